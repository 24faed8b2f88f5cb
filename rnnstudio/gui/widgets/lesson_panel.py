"""The open lesson: its text, what to notice, and buttons between its stages."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...errors import RnnStudioError
from ...view.lessons import Lesson, load_lessons
from ..session import Session


def lesson_html(lesson: Lesson, stage: int) -> str:
    """Title, stage, text and the "what to notice" list of one lesson stage."""
    part = lesson.stages[stage]
    count = len(lesson.stages)
    # Bold body text, not a heading: the chooser above already shows the title in full,
    # and at 720p a two-line <h3> took a fifth of the text's height.
    heading = f"<p><b>{escape(lesson.title)}</b></p>"
    if count > 1:
        heading += f"<p><b>Part {stage + 1} of {count}: {escape(part.title)}</b></p>"
    paragraphs = "".join(f"<p>{escape(block)}</p>" for block in part.text.split("\n\n"))
    notice = "".join(f"<li>{escape(line)}</li>" for line in part.notice)
    if notice:
        notice = f"<p><b>What to notice</b></p><ul>{notice}</ul>"
    return heading + paragraphs + notice


class LessonPanel(QWidget):
    """Shows ``session.lesson``; choosing a lesson or a stage asks the session to open it."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.chooser = QComboBox()
        # The longest title must not set the column's width (it made the dock 390 px).
        self.chooser.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.chooser.setMinimumContentsLength(12)
        self.chooser.setToolTip("Guided examples: each sets a model, a sentence, a step "
                                "and the panels to look at")
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(False)
        self.previous_button = QPushButton("◀")
        self.previous_button.setToolTip("Previous part of the lesson")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("Next part of the lesson")
        self.previous_button.clicked.connect(lambda: self._go(-1))
        self.next_button.clicked.connect(lambda: self._go(1))
        try:
            self.lessons = load_lessons()
            problem = ""
        except RnnStudioError as error:
            self.lessons, problem = [], str(error)
        self.chooser.addItem("Choose a lesson…")
        for lesson in self.lessons:
            self.chooser.addItem(lesson.title)
        self.chooser.activated.connect(self._on_chosen)
        # One row of controls: on a 720p projector the lesson shares the left column
        # with Input and the unit inspector, and each line of text counts.
        controls = QHBoxLayout()
        controls.addWidget(self.chooser, 1)
        controls.addWidget(self.previous_button)
        controls.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.text, 1)
        if problem:
            layout.addWidget(QLabel(problem))
        self.text.setHtml("<p>Pick a lesson above or from the <b>Lessons</b> menu: it opens "
                          "a model, a sentence and the panels to look at, at the step "
                          "where something happens.</p>")
        self._update_buttons()
        session.lesson_changed.connect(self._show)
        if session.lesson is not None:
            self._show()

    def _on_chosen(self, index: int) -> None:
        if index > 0:
            self.session.open_lesson(self.lessons[index - 1])

    def _go(self, delta: int) -> None:
        if self.session.lesson is not None:
            self.session.open_lesson(self.session.lesson, self.session.lesson_stage + delta)

    def _show(self) -> None:
        lesson, stage = self.session.lesson, self.session.lesson_stage
        if lesson is None:
            return
        self.text.setHtml(lesson_html(lesson, stage))
        index = next((position + 1 for position, known in enumerate(self.lessons)
                      if known.name == lesson.name), 0)
        self.chooser.setCurrentIndex(index)
        self._update_buttons()

    def _update_buttons(self) -> None:
        lesson = self.session.lesson
        count = len(lesson.stages) if lesson is not None else 0
        stage = self.session.lesson_stage
        for button, shown in ((self.previous_button, stage > 0),
                              (self.next_button, stage < count - 1)):
            button.setVisible(count > 1)
            button.setEnabled(shown)
