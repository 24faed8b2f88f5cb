"""The desktop app: the only package that imports PySide6 and pyqtgraph.

``app.run(argv)`` starts it; everything on screen observes one ``session.Session``.
"""
