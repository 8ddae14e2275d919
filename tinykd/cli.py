"""What every command line shares: one flag style, and the defaults in every help.

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


def shown_default(value) -> str:
    """A default as a help text shows it: a list as its items, the rest as it prints."""
    return " ".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)


def has_default(action: argparse.Action) -> bool:
    """Whether the help of ``action`` should tell its default: an option with a value of its own
    (not a flag, not None, not an empty list)."""
    value = action.default
    return (bool(action.option_strings) and action.help is not argparse.SUPPRESS and value is not None
            and value is not argparse.SUPPRESS and not isinstance(value, bool) and value != [] and value != ()
            and not isinstance(action, (argparse._HelpAction, argparse._VersionAction)))


def parsers(parser: argparse.ArgumentParser):
    """``parser`` and every subcommand's parser below it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from parsers(sub)


def show_defaults(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add "(default: X)" to the help of every option of ``parser`` and its subcommands that has a
    default its help does not already state, from the default itself (so it never goes stale)."""
    for p in parsers(parser):
        for action in p._actions:
            if not has_default(action):
                continue
            shown = shown_default(action.default)
            if action.help and shown in action.help and "default" in action.help:
                continue
            addition = f"(default: {shown})".replace("%", "%%")      # argparse %-formats help texts
            action.help = f"{action.help} {addition}" if action.help else addition
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``parser.parse_args`` with either spelling of every long option, and every option's default
    in ``--help`` (:func:`show_defaults`)."""
    return show_defaults(parser).parse_args(dashed(sys.argv[1:] if argv is None else argv))
