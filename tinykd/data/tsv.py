"""Read a plain parallel corpus: one ``english<TAB>translation`` pair per line.

This is the common shape of OPUS and Tatoeba exports.  Empty (or all-whitespace) lines
are skipped; any other line must have exactly two non-empty, tab-separated fields, or a
:class:`CorpusFormatError` names the file and the line number.  Long sentences are let
through: truncation happens at tokenisation.
"""

from __future__ import annotations

import gzip
from typing import Iterator, List, Tuple


class CorpusFormatError(ValueError):
    """A line of a parallel corpus file is not ``english<TAB>translation``."""

    def __init__(self, path: str, line_number: int, message: str):
        self.path, self.line_number = path, line_number
        super().__init__(f"{path}:{line_number}: {message}")


def _open(path: str):
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return open(path, encoding="utf-8", newline="\n")


def iter_tsv(path: str) -> Iterator[Tuple[str, str]]:
    """Yield ``(english, translation)`` for each non-empty line of ``path`` (``.gz`` allowed)."""
    with _open(path) as f:
        for line_number, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 2:
                raise CorpusFormatError(
                    path, line_number, f"expected 2 tab-separated fields (english, translation), got {len(fields)}")
            english, translation = fields[0].strip(), fields[1].strip()
            if not english or not translation:
                side = "english" if not english else "translation"
                raise CorpusFormatError(path, line_number, f"the {side} field is empty")
            yield english, translation


def read_tsv(path: str) -> List[Tuple[str, str]]:
    """All pairs of a TSV file as a list of ``(english, translation)``."""
    return list(iter_tsv(path))
