"""``python -m tinykd.ship RUN_DIR``: put a run's student in tinykd/pretrained/ (``tinykd.runs.ship``).

A command of its own, not ``python -m tinykd.runs``: the package imports tinykd.runs (``tinykd.load``
reads run folders), and running a module that the package has already imported makes Python warn
that it exists twice (runpy's RuntimeWarning).
"""

from __future__ import annotations

import sys

from tinykd.runs import ship


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1 or argv[0].startswith("-"):
        raise SystemExit("usage: python -m tinykd.ship RUN_DIR   (copies the run's student into tinykd/pretrained/)")
    try:
        shipped = ship(argv[0])
    except (FileNotFoundError, ValueError) as err:
        raise SystemExit(f"error: {err}") from None
    print(f"shipped {argv[0]} -> {shipped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
