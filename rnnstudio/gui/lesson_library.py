"""The lessons the window offers: the package's, then each user folder opened.

A part of the :class:`~.session.Session` (``session.library``), so the Lessons menu, the
Lesson panel's chooser and a restored session all see one list. A folder with a broken
file still gives its good lessons; the broken file is one line in the window's message
bar (the session's ``error_raised``), naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..view.lessons import SHIPPED, Lesson, lessons_folder, read_lesson_folder

if TYPE_CHECKING:
    from .session import Session


class LessonLibrary(QObject):
    """``lessons``: every lesson, by ``order`` then title; ``changed`` when that list did."""

    changed = Signal()

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.session = session
        #: Lessons by where they came from: :data:`SHIPPED`, then user folders as opened.
        self.by_folder: dict[str, tuple[Lesson, ...]] = {}
        #: Why lessons did not load, one line a file (the panel shows the shipped ones').
        self.problems: tuple[str, ...] = ()

    @property
    def lessons(self) -> list[Lesson]:
        every = [lesson for lessons in self.by_folder.values() for lesson in lessons]
        return sorted(every, key=lambda lesson: (lesson.order, lesson.title))

    @property
    def folders(self) -> list[str]:
        """User folders whose lessons are offered (the shipped ones are not listed)."""
        return [folder for folder in self.by_folder if folder != SHIPPED]

    def load_shipped(self) -> None:
        """Read the package's lessons (again); a broken one is kept in ``problems``."""
        read = read_lesson_folder(lessons_folder())
        self.by_folder = {SHIPPED: read.lessons, **{
            folder: lessons for folder, lessons in self.by_folder.items() if folder}}
        self.problems = read.problems
        self.changed.emit()

    def add_folder(self, folder: str | Path) -> int:
        """Offer the lessons of a user's ``folder`` (read again if already open); returns
        how many loaded. Broken files are said through the session, one line each."""
        path = Path(folder).expanduser().resolve()
        read = read_lesson_folder(path, str(path))
        if not read.lessons and not read.problems:
            self.session.error_raised.emit(f"{path}: no lesson files (*.json) in this "
                                           "folder; docs/lessons.md shows one")
        if read.problems:
            count = len(read.lessons)
            loaded = f"{count} lesson{'' if count == 1 else 's'} loaded from {path.name}; "
            self.session.error_raised.emit(loaded + " · ".join(read.problems))
        if read.lessons:
            self.by_folder[str(path)] = read.lessons
            self.changed.emit()
        return len(read.lessons)

    def find(self, name: str, folder: str = SHIPPED) -> Lesson | None:
        """The lesson ``name`` from ``folder``, else any lesson of that name."""
        lessons = self.lessons
        return next((lesson for lesson in lessons
                     if (lesson.name, lesson.folder) == (name, folder)),
                    next((lesson for lesson in lessons if lesson.name == name), None))
