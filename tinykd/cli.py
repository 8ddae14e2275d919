"""What every command line shares: one flag style.

``python -m tinykd.train`` reads ``--batch_size`` (its options are TrainConfig's field names) and the
other commands were written with ``--batch-size``; each accepts both spellings, so a user never has to
remember which command wants which.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def dashed(argv: Sequence[str]) -> list[str]:
    """``--batch_size 8`` and ``--batch_size=8`` -> ``--batch-size``; values and positionals stay as they are."""
    out = []
    for arg in argv:
        if arg.startswith("--") and len(arg) > 2:
            name, eq, value = arg.partition("=")
            arg = name.replace("_", "-") + eq + value
        out.append(arg)
    return out


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``parser.parse_args`` with either spelling of every long option."""
    return parser.parse_args(dashed(sys.argv[1:] if argv is None else argv))
