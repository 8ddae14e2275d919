"""What the lessons share: the fast flag, a plain-text table, and the --check switch of the exercises.

Everything else a lesson needs comes from tinykd itself.
"""

from __future__ import annotations

import os
import sys

# TINYKD_LESSON_FAST=1 makes every lesson use smaller sizes and fewer steps, so
# that tests/test_lessons.py can run them all in seconds. A learner leaves it unset.
FAST = os.environ.get("TINYKD_LESSON_FAST", "") == "1"


def section(title: str) -> None:
    """Print a numbered step's title, underlined."""
    print()
    print(title)
    print("-" * len(title))


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2e}" if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5) else f"{value:.4f}"
    return str(value)


def table(headers, rows) -> None:
    """Print rows under headers, columns aligned; floats in a readable format."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]

    def line(values):   # the first column (a name) left-aligned, numbers right-aligned
        return "  " + "  ".join(v.ljust(w) if i == 0 else v.rjust(w)
                                for i, (v, w) in enumerate(zip(values, widths)))

    print(line([str(h) for h in headers]))
    print(line(["-" * w for w in widths]))
    for r in cells:
        print(line(r))


def exercises(lesson_file: str) -> None:
    """``python lessons/NN_topic.py --check``: grade the lesson's exercises instead of running it.

    Called at the top of a lesson, so that --check skips the lesson's own work; the grader
    (lessons/_grader.py) takes the exercise functions out of the file and tests them.
    """
    if "--check" in sys.argv[1:]:
        import _grader
        sys.exit(_grader.run(lesson_file))
