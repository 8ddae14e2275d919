"""The GIMP user manual as parallel text: documentation, one HTML page per topic, in 25 languages.

Debian 12 ships the manual of GIMP 2.10 as one package per language, ``gimp-help-<lang>``, all
built from the same DocBook sources; their licence is in ``gimp-help-common``, to which each
language package's ``usr/share/doc/gimp-help-<lang>`` links. Each package holds one folder of
about 685 HTML pages (``pt_BR``, ``zh_CN`` and ``en_GB`` write the region with an underscore):

    usr/share/gimp/2.0/help/en/gimp-filter-gaussian-blur.html
    usr/share/gimp/2.0/help/de/gimp-filter-gaussian-blur.html
    usr/share/gimp/2.0/help/ja/gimp-filter-gaussian-blur.html

The translations are made with PO files: each paragraph, title, list item, term or table cell
of the DocBook source is one message, translated whole or left in English, and every language's
HTML comes out of the same stylesheet. So a page has the same file name and the same block
elements, in the same order, in every language. Alignment:

1. **Page**: by file name. The page is the document (``"gimp:gimp-filter-gaussian-blur.html"``):
   it decides the split, so the paragraphs of one topic stay together.
2. **Section, by id**: a page is cut into sections at the elements that carry an id written in
   the DocBook source (``gimp-filter-gaussian-blur``, ``abyss-policy``, ``glossary-alpha``: the
   same in every language, unlike the generated ``idm35716``). Sections are matched by id, not by
   place: the glossary is sorted in each language's alphabetical order.
3. **Block, by position**: the text units of a section are its block elements (``p``, ``li``,
   ``dt``, ``dd``, ``td``, ``th``, ``h1``..``h6``), each with its text outside nested blocks; empty
   paragraphs are no units (translated pages lose some of them). A section's structure is the
   sequence of its units' tags. Where the English and the translated section have the same
   structure, the i-th unit of one is the i-th of the other; a section whose structure differs
   (a translator's note, a footnote more or less) is skipped whole. A unit is a paragraph; it is
   never split into sentences.
4. **Check**: in a few PO files the translations slipped by one or more messages (Czech, on six
   pages, gives "Activate the filter" for the paragraph before that title). Such a page shows
   English texts of the page in other units' places; it is skipped (:func:`looks_shifted`).

Not read: the navigation header and footer (the neighbouring pages' titles), generated tables of
contents, the index page and the bibliography (index entries are sorted per language; the
bibliography is names, titles and links), program listings (``pre``), the stylesheet's headings
("Note" over an admonition, "Name" on a reference page, "Copyright"), units without text of their
own (a list of cross-reference links), figure captions that are only file names, and placeholders
("TODO", "TO DO", "FIXME", a PO file's "translator-credits").

Text the stylesheet generates is cut off: the number labels of titles (``"3.3.1. "``,
``"Figure 17.11. "``, ``"Abbildung 17.11. "``, ``"図17.11 "``, ``"17.11. ábra - "``, ``"第17章 "``).
A unit left in English is skipped and counted, also where only generated text differs from the
English: the words of cross-reference links (an untranslated German paragraph reads "These
options are described in Abschnitt 2, „Gemeinsame Funktionsmerkmale“") and quotation marks.
The languages differ widely in how much is translated (Debian 12: Italian 89 % of the units,
German 67 %, Dutch 28 %, Chinese 5 %, Persian none); assemble's check of the untranslated share
only sees what is yielded, so the shares are in the report's ``info["untranslated_share"]``.

Licence, as ``usr/share/doc/gimp-help-common/copyright`` states it: "Copyright: 2002, 2003, ...,
2010 The GIMP Documentation Team (see AUTHORS)", "License: GFDL-NIV-1.2+": "Permission is granted
to copy, distribute and/or modify this document under the terms of the GNU Free Documentation
License (GFDL), version 1.2 or any later version published by the Free Software Foundation with no
Invariant Sections, no Front-Cover Texts, and no Back-Cover Texts." The extract is built on demand
into a git-ignored folder; a copy passed on must carry the GFDL.

Only the standard library's :mod:`html.parser` is used.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

from . import assemble, clean, debian, languages, progress
from .assemble import SourcePair

SOURCE = "gimp"
KIND = "documentation"
LICENCE = ("GFDL-NIV-1.2+: GNU Free Documentation License 1.2 or any later version, with no Invariant "
           "Sections, no Front-Cover Texts, and no Back-Cover Texts; Copyright 2002-2010 The GIMP "
           "Documentation Team")

ENGLISH_PACKAGE = "gimp-help-en"
COMMON_PACKAGE = "gimp-help-common"     # the copyright file that every gimp-help-<lang> links to
# The translations Debian 12 (bookworm) ships, as package suffixes (gimp-help-en-gb is English).
DEBIAN_LANGS = ("ca", "cs", "da", "de", "el", "es", "fa", "fi", "fr", "hr", "hu", "it", "ja", "ko", "lt", "nl",
                "nn", "pt", "pt-br", "ro", "ru", "sl", "sv", "uk", "zh-cn")
HELP_DIR = Path("usr", "share", "gimp", "2.0", "help")
ENGLISH_FOLDER = "en"
SKIPPED_PAGES = {"gimp-help-index.html", "bibliography.html"}


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian packages to fetch: English, the licence package, then one per language.

    ``langs`` in any spelling (``pt_BR``, ``pt-BR``, ``zh-cn``); by default every translation
    Debian ships. English variants are dropped.
    """
    wanted = DEBIAN_LANGS if langs is None else [languages.canonical(code).lower() for code in langs
                                                 if not languages.is_english(code)]
    return [ENGLISH_PACKAGE, COMMON_PACKAGE] + [f"gimp-help-{code}" for code in wanted]


# --- reading one page --------------------------------------------------------------------------

# Block elements: each holds one text unit (its text outside nested blocks, maybe empty).
UNIT_TAGS = {"p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Never read: the page's <head>, code, and the containers of generated or re-sorted text.
SKIPPED_TAGS = {"head", "script", "style", "pre"}
SKIPPED_CLASSES = {"navheader", "navfooter", "toc", "list-of-figures", "list-of-tables", "list-of-examples",
                   "list-of-equations", "list-of-procedures", "index", "indexdiv"}
# The stylesheet's words: the "Note" over an admonition, the "Name" of a reference page, "Copyright".
ADMONITIONS = {"note", "tip", "warning", "caution", "important"}
VOID_TAGS = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col", "area", "base"}
# An id the stylesheet generates (idm35716, ientry-idm4502, ftn.idm880) differs between languages.
_GENERATED_ID = re.compile(r"idm?\d+")


class Unit(NamedTuple):
    """One block element's text, with what alignment and cleaning need to know about it."""

    tag: str            # p, li, dt, dd, td, th, h1..h6
    kind: str           # "heading", "title" (of a figure, table...), "caption", "generated" or "text"
    text: str           # its text, markup removed, whitespace as in the page
    own_text: str       # the same without the words of cross-reference links (the stylesheet writes those)
    section: str        # the source-written id of its section ("" before the page's first one)


class PageParser(HTMLParser):
    """Collect a page's text units in page order (``units`` after ``feed`` and ``close``).

    Text inside inline markup (``<span>``, ``<a>``, ``<em>``...) belongs to the enclosing unit;
    a nested block element starts a unit of its own; ``<br>`` reads as a space. A unit belongs to
    the section of the last source-written id before it, or of one at its very start
    (``<h3><a id="gimp-filter-gaussian-blur"></a>3.3. Gaussian Blur</h3>`` opens that section).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.units: list[Unit | None] = []
        self._stack: list[tuple[str, set[str], bool, bool]] = []   # open elements: (tag, classes, skipped, xref)
        self._open: list[dict] = []                                  # open units, innermost last
        self._skip = 0                                               # > 0 inside a skipped element
        self._xref = 0                                               # > 0 inside a cross-reference link
        self._section = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        element_id = attributes.get("id") or ""
        if element_id and not _GENERATED_ID.search(element_id) and not self._skip:
            self._section = element_id
            if self._open and not "".join(self._open[-1]["text"]).strip():
                self._open[-1]["section"] = element_id       # the id opens the unit being read
        if tag in VOID_TAGS:
            if tag == "br":
                self.handle_data(" ")
            return
        classes = set((attributes.get("class") or "").split())
        kind = self._kind(tag, classes)
        skipped = tag in SKIPPED_TAGS or bool(classes & SKIPPED_CLASSES)
        xref = tag == "a" and "xref" in classes
        self._stack.append((tag, classes, skipped, xref))
        self._skip += skipped
        self._xref += xref
        if tag in UNIT_TAGS and not self._skip:
            self._open.append({"tag": tag, "kind": kind, "index": len(self.units), "section": self._section,
                               "text": [], "own": []})
            self.units.append(None)                            # its place in page order, filled at its end

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID_TAGS or all(entry[0] != tag for entry in self._stack):
            return                                             # a stray end tag
        while self._stack:                                     # close what was left open inside it too
            open_tag, _, skipped, xref = self._stack.pop()
            if open_tag in UNIT_TAGS and not self._skip:
                self._close_unit()
            self._skip -= skipped
            self._xref -= xref
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open and not self._skip:
            self._open[-1]["text"].append(data)
            if not self._xref:
                self._open[-1]["own"].append(data)

    def close(self) -> None:
        super().close()
        while self._open:
            self._close_unit()

    def _kind(self, tag: str, classes: set[str]) -> str:
        open_classes = set().union(*(entry[1] for entry in self._stack))
        if ((tag == "th" and open_classes & ADMONITIONS) or (tag in HEADINGS and "refnamediv" in open_classes)
                or "copyright" in classes):
            return "generated"
        if tag in HEADINGS:
            return "heading"
        if tag == "p" and "title" in classes:
            return "title"
        if "caption" in open_classes:
            return "caption"
        return "text"

    def _close_unit(self) -> None:
        unit = self._open.pop()
        self.units[unit["index"]] = Unit(unit["tag"], unit["kind"], "".join(unit["text"]), "".join(unit["own"]),
                                         unit["section"])


def read_page(path: Path) -> list[Unit]:
    """The text units of one HTML page, in page order; empty paragraphs are left out."""
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return [u for u in parser.units if u.tag != "p" or u.text.strip()]


def structure(units: Sequence[Unit]) -> tuple[str, ...]:
    """The sequence of block tags: the same for two versions of a page built from one source."""
    return tuple(u.tag for u in units)


def sections(units: Sequence[Unit]) -> dict[str, list[Unit]]:
    """The units grouped by section (source-written id), each group in page order."""
    out: dict[str, list[Unit]] = {}
    for u in units:
        out.setdefault(u.section, []).append(u)
    return out


def align_page(english: Sequence[Unit], translation: Sequence[Unit]) -> tuple[list[tuple[Unit, Unit]], str]:
    """Pair the units of two versions of one page; also says how: "page", "sections" or "skipped".

    Each English section whose translated section (same id) has the same structure pairs its units
    by position; a section that differs is skipped. "page": every section paired, "sections": some,
    "skipped": none.
    """
    en_sections, tr_sections = sections(english), sections(translation)
    pairs, matched = [], 0
    for key, en_units in en_sections.items():
        tr_units = tr_sections.get(key)
        if tr_units is not None and structure(tr_units) == structure(en_units):
            pairs.extend(zip(en_units, tr_units))
            matched += 1
    return pairs, "page" if matched == len(en_sections) else "sections" if matched else "skipped"


# --- generated text -----------------------------------------------------------------------------

# An English number label: "3.3.1. ", "A.2. ", "Figure 17.11. ", "Chapter 17. ", "Part II. ".
_ENGLISH_LABEL = re.compile(r"^(?P<word>(?:Figure|Table|Example|Equation|Procedure|Chapter|Appendix|Part)\s)?"
                            r"(?P<number>(?:[IVX]+|[A-Z]|\d+)(?:\.\d+)*)\.(?:\s+|$)")
_SECTION_NUMBER = re.compile(r"^\d+(?:\.\d+)+\.\s+")
_LABEL_END = 30     # characters from a title's start within which the translation's number must lie
# After a number that follows the label word: "Kapitel 17. ", "図17.11 ", "第17章 ", "第 17 章 ".
_AFTER_NUMBER = re.compile(r"^\s*[章部節节]?\.?\s*")
# After a number that comes first, the label word and a separator: "17.11. ábra - ", "17장. ".
_WORD_AFTER_NUMBER = re.compile(r"^\.?\s*(?:\w+\s+[-–]\s+|\w{1,2}\.\s+)?")


def strip_label(english: str, translation: str) -> tuple[str, str]:
    """Cut the generated number label off a title (normalised text) in both languages.

    The English label gives the number's shape ("17.11"); in the translation the label is everything
    up to a number of that shape (within the first characters) and the separator after it. Titles
    without a label come back as they are.
    """
    match = _ENGLISH_LABEL.match(english)
    if not match:   # a deep section the English leaves unnumbered, which a language numbers: "8.11.3.1.1. "
        return english, _SECTION_NUMBER.sub("", translation, count=1)
    # the number's shape, not its value: a language with a figure more numbers the next ones differently
    shape = r"\.".join(r"\d+" if part.isdigit() else "[A-Z]+" for part in match["number"].split("."))
    number = re.search(rf"(?<![0-9A-Za-z.]){shape}(?![0-9A-Za-z]|\.\d)", translation[:_LABEL_END])
    if not number:
        return english[match.end():], translation
    rest = translation[number.end():]
    after = _WORD_AFTER_NUMBER if number.start() == 0 and match["word"] else _AFTER_NUMBER
    return english[match.end():], after.sub("", rest, count=1)


_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+")
_PLACEHOLDER = re.compile(r"\b(TODO|TO DO|FIXME)\b|translator-credits")
_QUOTES = re.compile(r"[\"'“”„‟‘’‚‛«»‹›「」『』《》〈〉]")
_FILE_NAMES = re.compile(r"^([\w.+-]+\.(png|jpe?g|gif|xcf|svg|tiff?|webp|bmp|psd|ora|pdf)[\s,;]*)+$", re.IGNORECASE)


def comparison_key(text: str) -> str:
    """The text as it compares for "left untranslated": normalised, without quotation marks."""
    return clean.normalize_text(_QUOTES.sub("", text))


def is_file_name(text: str) -> bool:
    """Only file names, as a caption that names the image shown (``"taj_orig.jpg"``)."""
    return bool(_FILE_NAMES.match(clean.normalize_text(text)))


def pair_units(english: Unit, translation: Unit) -> tuple[str, str] | None:
    """The normalised (English, translation) texts of two aligned units; None when the unit is
    not text to learn from. A translation that differs from the English only in generated text
    (cross-reference links, quotation marks, the label) comes back as an exact copy of the English.
    """
    if english.kind == "generated" or not _LETTER.search(english.own_text):
        return None                                          # the stylesheet's, or only links or numbers
    if english.kind == "caption" and is_file_name(english.text):
        return None
    if _PLACEHOLDER.search(english.text) or _PLACEHOLDER.search(translation.text):
        return None                                          # "TODO", a PO file's "translator-credits"
    texts = [clean.normalize_text(t) for t in (english.text, translation.text, english.own_text, translation.own_text)]
    if english.kind in ("heading", "title"):
        texts[0:2] = strip_label(*texts[0:2])
        texts[2:4] = strip_label(*texts[2:4])
    en_text, tr_text, en_own, tr_own = texts
    if not en_text:
        return None                                          # a label without a title
    if comparison_key(en_own) == comparison_key(tr_own):
        tr_text = en_text                                    # left in English
    return en_text, tr_text


def looks_shifted(texts: Sequence[tuple[str, str]]) -> bool:
    """Whether a page's translations sit at the wrong units, as where a PO file's translations
    slipped by one message: some translations are the English text of another unit of the page.
    A long English sentence in another's place is a sure sign; a short one ("Filter" for
    "Operating Modes") may be a free translation, so short ones must come at least twice.
    """
    english = {comparison_key(en) for en, _ in texts}
    signs = [tr for en, tr in texts if comparison_key(tr) in english and comparison_key(tr) != comparison_key(en)]
    return len(signs) >= 2 or any(len(_WORD.findall(tr)) >= 4 for tr in signs)


# --- reading the packages -------------------------------------------------------------------------

def help_folders(roots: Iterable[Path | str]) -> dict[str, Path]:
    """``{folder name: path}`` of the language folders in unpacked trees.

    A root is an unpacked package (holding ``usr/share/gimp/2.0/help/<lang>/``) or a help folder
    (holding ``<lang>/`` folders of HTML pages).
    """
    found = {}
    for root in map(Path, roots):
        help_dir = root / HELP_DIR if (root / HELP_DIR).is_dir() else root
        if not help_dir.is_dir():
            continue
        for folder in sorted(help_dir.iterdir()):
            if folder.is_dir() and not folder.is_symlink() and any(folder.glob("*.html")):
                found[folder.name] = folder
    return found


def list_pages(folder: Path) -> list[str]:
    """The HTML pages of a language folder (the manual's pages are flat), sorted, the skipped ones left out."""
    return sorted(p.name for p in folder.glob("*.html") if p.is_file() and p.name not in SKIPPED_PAGES)


def read(roots: Iterable[Path | str], stats: dict[str, Counter] | None = None, log=print) -> Iterator[SourcePair]:
    """Yield the aligned, translated units of every page (see the module docstring), language by
    language in folder-name order, pages in file-name order.

    ``roots``: unpacked package trees or help folders; one must hold the English folder ``en``
    (else FileNotFoundError). ``stats``, when given, receives per language the pages aligned whole,
    by sections, skipped, or missing in English, the units aligned and those left in English.
    """
    folders = help_folders(roots)
    if ENGLISH_FOLDER not in folders:
        raise FileNotFoundError(f"{SOURCE}: no English manual ({HELP_DIR / ENGLISH_FOLDER}) in {sorted(folders)}; "
                                f"it comes with the package {ENGLISH_PACKAGE}")
    stats = defaultdict(Counter) if stats is None else stats
    en_dir = folders[ENGLISH_FOLDER]
    en_pages = list_pages(en_dir)
    log(f"  {SOURCE}: reading the English manual ({len(en_pages)} pages), then each language's")
    english = {page: read_page(en_dir / page) for page in en_pages}
    bar = progress.reading([(n, f) for n, f in sorted(folders.items()) if not languages.is_english(n)],
                           f"{SOURCE}: languages", "lang")
    tell = progress.say(bar, log)
    for name, folder in bar:
        lang = languages.canonical(name)
        bar.set_postfix_str(lang)
        counts = stats.setdefault(lang, Counter())
        for page in list_pages(folder):
            if page not in english:
                counts["pages not in English"] += 1
                continue
            aligned, how = align_page(english[page], read_page(folder / page))
            texts = [t for t in (pair_units(en, tr) for en, tr in aligned) if t is not None]
            if texts and looks_shifted(texts):
                counts["pages skipped: translations shifted"] += 1
                continue
            counts[{"page": "pages aligned whole", "sections": "pages aligned by sections",
                    "skipped": "pages skipped"}[how]] += 1
            for en_text, tr_text in texts:
                counts["units"] += 1
                if en_text == tr_text:
                    counts["units left in English"] += 1
                else:
                    yield SourcePair(lang, f"{SOURCE}:{page}", en_text, tr_text)
        tell(f"  {SOURCE}: {lang:6s} {counts['units'] - counts['units left in English']:6d} translated units of "
            f"{counts['units']}; pages aligned whole {counts['pages aligned whole']}, by sections "
            f"{counts['pages aligned by sections']}, skipped {counts['pages skipped']} (structure) "
            f"+ {counts['pages skipped: translations shifted']} (translations shifted)")


# --- building -------------------------------------------------------------------------------------

def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the packages, read and align them, and write ``out_dir/corpus``; returns the report.

    A language package that cannot be fetched is left out and named in the report's ``info``;
    without the English package there is nothing to align to, and debian.PackageUnavailable says so. The
    report holds no time, so a rebuild from the same packages writes the same bytes.
    """
    t0 = time.time()
    got, failed = debian.fetch(packages(langs), work_dir, log=log)
    debian.require([ENGLISH_PACKAGE], got, failed, SOURCE, "the English manual")
    copyright_text = got[COMMON_PACKAGE].copyright() if COMMON_PACKAGE in got else ""
    stats: dict[str, Counter] = {}
    raw = list(read([p.root for name, p in got.items() if name != COMMON_PACKAGE], stats, log=log))
    untranslated = sorted(lang for lang, c in stats.items() if c["units left in English"] == c["units"])
    if untranslated:
        log(f"  {SOURCE}: no translated unit in {' '.join(untranslated)}")
    info = {
        "packages": {name: p.version for name, p in sorted(got.items())},
        "not_fetched": failed,
        "licence": LICENCE,
        "copyright_file_license_field": next((line.split(":", 1)[1].strip() for line in copyright_text.splitlines()
                                              if line.startswith("License:")), "not found"),
        # read skips the units left in English, so assemble's untranslated share does not see them
        "no_translated_unit": untranslated,
        "untranslated_share": {lang: round(c["units left in English"] / max(1, c["units"]), 4)
                               for lang, c in sorted(stats.items())},
        "read": {lang: dict(sorted(c.items())) for lang, c in sorted(stats.items())},
    }
    log(f"  {SOURCE}: fetched and read in {time.time() - t0:.0f}s")
    # Manual prose: every filter applies ("code" drops the paragraphs that name a path or file).
    return assemble.assemble(raw, out_dir, SOURCE, KIND, info=info, filters=clean.FILTERS, log=log)
