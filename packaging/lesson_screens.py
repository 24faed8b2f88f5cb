"""Screenshots of every part of every shipped lesson, as a student sees it on one screen.

The issue that asks for lessons asks for them to be looked at, at a lecture projector's
1280 x 720 and at 1600 x 1000. Run once per screen under a virtual display of that size::

    xvfb-run -a -s "-screen 0 1280x720x24" python packaging/lesson_screens.py 1280x720 OUT
    xvfb-run -a -s "-screen 0 1600x1000x24" python packaging/lesson_screens.py 1600x1000 OUT

Writes ``OUT/<screen>-<lesson>-<part>.png`` (the whole X screen; a part that asks a
question also ``...-answered.png``, after the right answer) and prints one line per
picture with what the lesson panel shows, so a reader can check text against picture.
Settings go to a temporary folder: the pictures neither depend on nor change the user's.
"""

from __future__ import annotations

import sys
from pathlib import Path

from screens import open_on_screen, shoot
from screenshots import settle

from rnnstudio.view.lessons import load_lessons


def main(screen_name: str, out_dir: Path, only: list[str]) -> int:
    out_dir.mkdir(parents=True, exist_ok=True)
    app, session, window = open_on_screen()
    for lesson in load_lessons():
        if only and lesson.name not in only:
            continue
        for stage in range(len(lesson.stages)):
            window.reset_layout()
            session.open_lesson(lesson, stage)
            session.wait()
            settle(app, 1.5)
            name = f"{screen_name}-{lesson.name}-{stage + 1}"
            shoot(app, out_dir / f"{name}.png")
            print(f"  {lesson.title} / part {stage + 1}: {lesson.stages[stage].title}")
            question = lesson.stages[stage].question
            if question is not None:  # and as it looks once the student has answered
                session.answer_question(question.answer)
                shoot(app, out_dir / f"{name}-answered.png")
    window.close()
    session.shutdown()
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        raise SystemExit("usage: python packaging/lesson_screens.py WIDTHxHEIGHT OUT_DIR "
                         "[LESSON ...]")
    raise SystemExit(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:]))
