"""The open lesson: its text, its question, what to notice, and buttons between stages.

With no lesson open, the panel lists the lessons as the primer's arc (one claim each,
what each teaches); a link opens one. A stage's question ("predict before you step")
shows its choices as links in the text and as buttons A-E below it (keys 1-5 or A-E when
the panel has focus); once answered, the panel says right or wrong and why, then shows
what to notice, and the next part and the steps past the question open.
"""

from __future__ import annotations

from html import escape
from string import ascii_uppercase

from PySide6.QtCore import QEvent, Qt, QUrl
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ...view.lessons import Lesson, Question, index_tip, index_title
from ..session import Session

#: One item of a list (a choice, a lesson of the index): a paragraph indented a little,
#: where an <ul> took 40 px of a 376 px column at 1280 x 720.
_ITEM = "<p style='margin-left: 10px; margin-top: 2px; margin-bottom: 2px'>"
_PRESS_KEYS = (Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter)


def lesson_html(lesson: Lesson, stage: int, chosen: int | None = None) -> str:
    """Title, stage, text, the question (``chosen``: the answer given, if any) and,
    unless a question still waits, the "what to notice" list of one lesson stage."""
    part = lesson.stages[stage]
    count = len(lesson.stages)
    # Bold body text, not a heading: the chooser above already shows the title in full,
    # and at 720p a two-line <h3> took a fifth of the text's height.
    heading = f"<p><b>{escape(lesson.title)}</b></p>"
    if count > 1:
        heading += f"<p><b>Part {stage + 1} of {count}: {escape(part.title)}</b></p>"
    paragraphs = "".join(f"<p>{escape(block)}</p>" for block in part.text.split("\n\n"))
    if part.question is not None:
        paragraphs += question_html(part.question, chosen)
        if chosen is None:
            return heading + paragraphs
    notice = "".join(f"<li>{escape(line)}</li>" for line in part.notice)
    if notice:
        notice = f"<p><b>What to notice</b></p><ul>{notice}</ul>"
    return heading + paragraphs + notice


def question_html(question: Question, chosen: int | None) -> str:
    """The question, its lettered choices (links until answered) and, once answered,
    right or wrong and why."""
    items = []
    for index, choice in enumerate(question.choices):
        letter = ascii_uppercase[index]
        if chosen is None:
            items.append(f'{_ITEM}<a href="choice:{index}">{letter}. {escape(choice)}</a></p>')
        else:
            mark = " ✓" if index == question.answer else (" ✗" if index == chosen else "")
            items.append(f"{_ITEM}{letter}. {escape(choice)}{mark}</p>")
    html = f"<p><b>Predict first:</b> {escape(question.ask)}</p>{''.join(items)}"
    if chosen is None:
        last = ascii_uppercase[len(question.choices) - 1]
        return html + (f"<p><i>Answer (A–{last}) to see what happens"
                       f"{' before you step on' if question.at is not None else ''}.</i></p>")
    right = ascii_uppercase[question.answer]
    verdict = ("<b>Right.</b>" if chosen == question.answer else
               f"<b>Not quite:</b> you chose {ascii_uppercase[chosen]}; the answer is {right}.")
    return html + f'<p><a name="verdict"></a>{verdict} {escape(question.why)}</p>'


def arc_html(lessons: list[Lesson]) -> str:
    """The start page: the lessons in order, each with what it teaches (a link opens it)."""
    items = "".join(
        f'{_ITEM}<a href="lesson:{number}">{escape(index_title(lesson, number + 1))}</a>'
        f"{' — ' + escape(lesson.summary) if lesson.summary else ''}</p>"
        for number, lesson in enumerate(lessons))
    return ("<p>The lessons follow the RNN / LSTM / GRU primer, one claim each, shown on a "
            f"model that does it:</p>{items}")


class ChoiceButton(QPushButton):
    """A choice's button that Space and Return press when it has the focus: Space is
    the window's Play / pause shortcut, which took the key from a plain button."""

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() in _PRESS_KEYS):
            event.accept()  # the key comes here as a key press, not as a shortcut
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if event.key() in _PRESS_KEYS:
            self.click()
        else:
            super().keyPressEvent(event)


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
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(self._on_link)
        self.previous_button = QPushButton("◀")
        self.previous_button.setToolTip("Previous part of the lesson")
        self.next_button = QPushButton("Next ▶")
        self.next_button.setToolTip("Next part of the lesson")
        self.previous_button.clicked.connect(lambda: self._go(-1))
        self.next_button.clicked.connect(lambda: self._go(1))
        self.chooser.activated.connect(self._on_chosen)
        # One row of controls: on a 720p projector the lesson shares the left column
        # with Input and the unit inspector, and each line of text counts.
        controls = QHBoxLayout()
        controls.addWidget(self.chooser, 1)
        controls.addWidget(self.previous_button)
        controls.addWidget(self.next_button)
        self.answer_row = QWidget()
        answers = QHBoxLayout(self.answer_row)
        answers.setContentsMargins(0, 0, 0, 0)
        answers.addWidget(QLabel("Your answer:"))
        self.choice_buttons = [ChoiceButton(letter) for letter in ascii_uppercase[:5]]
        # A letter each, not a style's 80 px default: five of those made the row 421 px
        # wide, wider than the lesson column at 1280 x 720, and pushed the window off it.
        letter_width = self.fontMetrics().horizontalAdvance("W") * 3
        for index, button in enumerate(self.choice_buttons):
            button.setFixedWidth(letter_width)
            button.setToolTip(f"Answer {ascii_uppercase[index]} to the lesson's question "
                              f"(key {index + 1} or {ascii_uppercase[index]})")
            button.clicked.connect(lambda *_, index=index: session.answer_question(index))
            answers.addWidget(button)
            for key in (str(index + 1), ascii_uppercase[index]):
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
                shortcut.activated.connect(
                    lambda index=index: session.answer_question(index))
        answers.addStretch(1)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.answer_row)
        layout.addWidget(self.problems)
        session.library.changed.connect(self._fill_chooser)
        session.lesson_changed.connect(self._show)
        session.question_answered.connect(self._on_answered)
        self._fill_chooser()

    @property
    def lessons(self) -> list[Lesson]:
        return self.session.library.lessons

    def _fill_chooser(self) -> None:
        """The index: "N. Title" by order, a tooltip with what each teaches."""
        self.lessons_shown = self.lessons
        self.chooser.clear()
        self.chooser.addItem("Choose a lesson…")
        for number, lesson in enumerate(self.lessons_shown, start=1):
            self.chooser.addItem(index_title(lesson, number))
            self.chooser.setItemData(number, index_tip(lesson), Qt.ItemDataRole.ToolTipRole)
        problems = self.session.library.problems
        self.problems.setText(" · ".join(problems))
        self.problems.setVisible(bool(problems))
        self._show()

    def _on_chosen(self, index: int) -> None:
        if index > 0:
            self.session.open_lesson(self.lessons_shown[index - 1])

    def _on_link(self, url: QUrl) -> None:
        kind, _, number = url.toString().partition(":")
        if kind == "choice" and number.isdigit():
            self.session.answer_question(int(number))
        elif kind == "lesson" and number.isdigit() and int(number) < len(self.lessons_shown):
            self.session.open_lesson(self.lessons_shown[int(number)])

    def _on_answered(self) -> None:
        """Show the verdict: at 1280 x 720 it is below the text's 133 px otherwise."""
        self._show()
        self.text.scrollToAnchor("verdict")

    def _go(self, delta: int) -> None:
        if self.session.lesson is not None:
            self.session.open_lesson(self.session.lesson, self.session.lesson_stage + delta)

    def _show(self) -> None:
        lesson, stage = self.session.lesson, self.session.lesson_stage
        if lesson is None:
            self.text.setHtml(arc_html(self.lessons_shown))
        else:
            self.text.setHtml(lesson_html(lesson, stage,
                                          self.session.lesson_answers.get(stage)))
        index = next((position + 1 for position, known in enumerate(self.lessons_shown)
                      if known == lesson), 0)
        self.chooser.setCurrentIndex(index)
        self._update_buttons()

    def _update_buttons(self) -> None:
        lesson, session = self.session.lesson, self.session
        count = len(lesson.stages) if lesson is not None else 0
        stage = session.lesson_stage
        waiting = session.question
        for button, shown in ((self.previous_button, stage > 0),
                              (self.next_button, stage < count - 1 and waiting is None)):
            button.setVisible(count > 1)
            button.setEnabled(shown)
        self.answer_row.setVisible(waiting is not None)
        for index, button in enumerate(self.choice_buttons):
            button.setVisible(waiting is not None and index < len(waiting.choices))
            if waiting is not None and index < len(waiting.choices):
                button.setToolTip(f"{waiting.choices[index]} (key {index + 1} or "
                                  f"{ascii_uppercase[index]})")
