"""Desktop manners shared by the app: identity, About, shortcuts, crash hook, palette.

Each module is independent and takes what it needs as arguments (the app, a window, a
list of shortcuts), so it is wired into ``app.py`` with one call and tested without the
main window.
"""
