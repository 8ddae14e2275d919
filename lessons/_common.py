"""Two small helpers shared by the lessons: the fast flag and a plain-text table.

Everything else a lesson needs comes from tinykd itself.
"""

from __future__ import annotations

import os

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
