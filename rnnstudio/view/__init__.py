"""What the window shows, as plain data: no Qt here (tests import it without a QApplication).

The GUI's Session computes these values once per trace (or per cursor move, for what follows
the cursor) and every panel draws them; the same values are tested without a window.
"""
