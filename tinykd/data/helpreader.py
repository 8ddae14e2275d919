"""Read the LibreOffice help pages and align English paragraphs with their translations.

The Debian packages ``libreoffice-help-<lang>`` ship the help as static HTML under
``usr/share/libreoffice/help/<lang>/text/...``.  Every page exists in every language
with the same file name, and every paragraph or heading carries an id such as
``par_id3145173`` or ``hd_id3148946`` that is the same in every language:

    en-US/text/scalc/01/04060101.html   <p id="par_id3145173">The twelve functions ...</p>
    de/text/scalc/01/04060101.html      <p id="par_id3145173">Die zwölf Funktionen ...</p>

So the key ``(page, id)`` aligns an English paragraph with its translation exactly.
A page may repeat an id (for example the macOS and the Windows variant of a keyboard
hint), so the full key is ``(page, id, occurrence)``.

Only the standard library's :mod:`html.parser` is used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

HELP_SUBDIR = Path("usr", "share", "libreoffice", "help")
ENGLISH_FOLDER = "en-US"

# Tags whose text becomes one unit when they carry a paragraph or heading id.
TEXT_TAGS = {"p", "h", "h1", "h2", "h3", "h4", "h5", "h6"}
ID_PREFIXES = ("par_", "hd_")
# Tags whose content is never prose.
SKIPPED_TAGS = {"script", "style", "noscript"}
# Void elements never get an end tag; <br> reads as a space.
VOID_TAGS = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area", "base"}

Key = tuple[str, str, int]  # (page, id, occurrence of the id on that page)


class AlignedPair(NamedTuple):
    """One English paragraph and its translation, with where they came from."""

    lang: str
    page: str  # e.g. "text/scalc/01/04060101.html"
    par_id: str  # e.g. "par_id3145173" (with "#2" appended for a repeated id)
    english: str
    translation: str


class ParagraphParser(HTMLParser):
    """Collect the text of every element whose id starts with ``par_`` or ``hd_``.

    After ``feed`` the attribute ``units`` is a list of ``(id, text)`` in page order.
    Text inside nested inline markup (``<span>``, ``<a>``...) is kept; ``<br>`` becomes
    a space; the text of ``<script>`` and ``<style>`` is dropped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.units: list[tuple[str, str]] = []
        self._open_id: str | None = None  # id of the unit being read
        self._open_tag: str | None = None
        self._depth = 0  # nesting of _open_tag inside the unit (usually 1)
        self._buffer: list[str] = []
        self._skip = 0  # > 0 while inside <script> or <style>

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self._skip += 1
            return
        if tag == "br" and self._open_id is not None:
            self._buffer.append(" ")
        if tag in VOID_TAGS:
            return
        if self._open_id is not None:
            if tag == self._open_tag:
                if tag == "p":  # a <p> inside a <p> means the first one was not closed
                    self._close()
                else:
                    self._depth += 1
                    return
            else:
                return
        element_id = dict(attrs).get("id") or ""
        if tag in TEXT_TAGS and element_id.startswith(ID_PREFIXES):
            self._open_id, self._open_tag, self._depth = element_id, tag, 1
            self._buffer = []

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if self._open_id is not None and tag == self._open_tag:
            self._depth -= 1
            if self._depth == 0:
                self._close()

    def handle_data(self, data):
        if self._open_id is not None and not self._skip:
            self._buffer.append(data)

    def close(self):
        super().close()
        if self._open_id is not None:
            self._close()

    def _close(self):
        self.units.append((self._open_id, "".join(self._buffer)))
        self._open_id, self._open_tag, self._depth, self._buffer = None, None, 0, []


def read_page(path) -> dict[tuple[str, int], str]:
    """Return ``{(id, occurrence): raw text}`` for one HTML page."""
    with open(path, encoding="utf-8", errors="replace") as f:
        parser = ParagraphParser()
        parser.feed(f.read())
        parser.close()
    seen: dict[str, int] = {}
    out: dict[tuple[str, int], str] = {}
    for unit_id, text in parser.units:
        k = seen.get(unit_id, 0)
        seen[unit_id] = k + 1
        out[(unit_id, k)] = text
    return out


def help_root(source_dir) -> Path:
    """The folder holding one subfolder per language, given an unpack directory."""
    candidate = Path(source_dir) / HELP_SUBDIR
    return candidate if candidate.is_dir() else Path(source_dir)


def language_folders(source_dir) -> list[str]:
    """Language folders present (``de``, ``pt-BR``, ...), symlinked folders skipped."""
    root = help_root(source_dir)
    return [folder.name for folder in sorted(root.iterdir())
            if not folder.is_symlink() and (folder / "text").is_dir()]


def list_pages(lang_dir) -> list[str]:
    """All HTML pages below ``lang_dir/text``, as sorted paths relative to ``lang_dir`` (with "/"),
    symlinked folders skipped."""
    lang_dir = Path(lang_dir)
    pages = []
    for dirpath, dirnames, filenames in os.walk(lang_dir / "text"):
        dirnames[:] = sorted(d for d in dirnames if not (Path(dirpath) / d).is_symlink())
        pages += [(Path(dirpath) / name).relative_to(lang_dir).as_posix() for name in filenames
                  if name.endswith(".html")]
    return sorted(pages)


def read_english(source_dir) -> dict[str, dict[tuple[str, int], str]]:
    """``{page: {(id, occurrence): text}}`` for the English help."""
    lang_dir = help_root(source_dir) / ENGLISH_FOLDER
    return {page: read_page(lang_dir / page) for page in list_pages(lang_dir)}


def aligned_pairs(source_dir, lang: str,
                  english: dict[str, dict[tuple[str, int], str]] | None = None) -> Iterator[AlignedPair]:
    """Yield every (English, translation) pair of one language, in (page, id) order.

    Pages or ids present in only one of the two languages are skipped.  The texts are raw
    (entities decoded, markup removed, whitespace untouched): cleaning comes later.
    """
    if english is None:
        english = read_english(source_dir)
    lang_dir = help_root(source_dir) / lang
    for page in list_pages(lang_dir):
        en_units = english.get(page)
        if not en_units:
            continue
        for (unit_id, k), text in read_page(lang_dir / page).items():
            if (unit_id, k) in en_units:
                par_id = unit_id if k == 0 else f"{unit_id}#{k + 1}"
                yield AlignedPair(lang, page, par_id, en_units[(unit_id, k)], text)
