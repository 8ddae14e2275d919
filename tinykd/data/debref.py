"""The Debian Reference: technical documentation prose, translated paragraph by paragraph.

Source. The Debian Reference (Osamu Aoki) is a system administrator's guide: prose about
packages, the boot, the network, data and programming, with commands and tables in between.
Debian ships it as ``debian-reference-en`` and one package per translation,
``debian-reference-<lang>`` (bookworm, version 2.100: de es fr id it ja pt pt-br zh-cn zh-tw).
Two caveats, measured on 2.100: ``pt-br`` is left out, as its text is that of ``pt`` (European
Portuguese, see ``NOT_TRANSLATIONS``); and the Chinese builds fill a string missing in one of
``zh-cn``/``zh-tw`` by converting the other's with OpenCC (the packages' README), so the two
share part of their text in two scripts.

Layout. Each package holds XHTML pages, one per chapter, under ``usr/share/debian-reference/``:

    index.en.html  pr01.en.html  ch01.en.html ... ch12.en.html  apa.en.html      (English)
    index.de.html  pr01.de.html  ch01.de.html ... ch12.de.html  apa.de.html      (German)

The translations are made with po4a from the same DocBook source, so a translated page has
the same elements in the same order as the English page: po4a replaces the text of each block
(a paragraph, a list item, a table cell, a title) by its translation and keeps the structure.
The pages are well-formed XML, read with the standard library's ElementTree.

Alignment. A page is cut into sections: every ``<div class="section">`` (and the chapter,
preface, appendix and book around them) is named by the id of the anchor in its title, e.g.
``_the_apt_system``; DocBook ids are the same in every language. A section's *blocks* are its
innermost block elements, in page order (``p``, ``li``, ``dt``, ``dd``, ``td``, ``th``, titles), not
counting those of its subsections. For each section present in both languages:

    1. the structure must match: the same sequence of block tags (``p``, ``td``, ``h3.title``, ...);
       a section whose structure differs (a translator added a paragraph) is skipped whole;
    2. blocks pair up by position within the section;
    3. a title's label ("Table 2.1.", "Tabelle 2.1.", "表2.1", "第 2 章") is removed on both sides,
       and the two labels must carry the same number (a further check that the pair is aligned);
    4. only prose is kept: ``<pre>`` blocks (command lines, program output) are never read, and a
       block whose English has no word of three letters outside ``<code>`` (a package name, a
       popularity count, a size) is skipped.

Inline code inside prose ("Do not create "/etc/apt/preferences".") stays: it is part of the
sentence on both sides. For that reason the build does not run the ``code`` filter of
:mod:`tinykd.data.clean` (it would drop every sentence that names a file); non-prose blocks are
skipped here instead. Text inside a block keeps its inline markup's text; footnote markers
("[1]") are dropped, and the footnotes themselves (six, outside any section) are not read.

Document. The section (its id, ``debref:_the_apt_system``) is the document that decides the
split: a section's paragraphs go together; ~460 sections, so 10% is ~46 sections.

Licence. As ``usr/share/doc/debian-reference-*/copyright`` states (the same file in every
package): "Copyright: 2007-2013 Osamu Aoki", "License: GPL-2+ / This document may used under
the terms the GNU General Public License version 2 or higher", with the note "I have asked all
contributors including translators to license their work under the same copyright as I did (GPL)."
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from . import assemble, debian, languages, progress

SOURCE = "debref"
KIND = "documentation"
LICENCE = ("GPL-2+ (GNU General Public License version 2 or higher), Copyright 2007-2013 Osamu Aoki; "
           "translators asked to license their work under the same copyright (debian/copyright)")

ENGLISH_PACKAGE = "debian-reference-en"
# The translations Debian ships (bookworm), by package suffix; languages.canonical gives our spelling.
PACKAGE_LANGS = ("de", "es", "fr", "id", "it", "ja", "pt", "zh-cn", "zh-tw")
# Left out: debian-reference-pt-br 2.100 holds the European Portuguese text of debian-reference-pt
# ("ficheiro", "utilizador", "ecrã"): 5 951 of 6 147 aligned blocks are identical, the rest differ
# only in DocBook's own words ("Seção" for "Secção").
NOT_TRANSLATIONS = {"pt-br": "debian-reference-pt-br 2.100 is a copy of the European Portuguese debian-reference-pt"}
HTML_DIR = Path("usr") / "share" / "debian-reference"
# Not the "code" filter: inline commands and paths are part of the prose here (see the docstring).
FILTERS = ("empty", "untranslated", "length_ratio")

_XHTML = "{http://www.w3.org/1999/xhtml}"
_PAGE_FILE = re.compile(r"^(?P<page>[a-z0-9]+)\.(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z]{2,8})?)\.html$")
SECTION_CLASSES = {"book", "preface", "chapter", "appendix", "section"}
# Never read: navigation, tables of contents, the footnotes after the last section.
SKIPPED_CLASSES = {"toc", "navheader", "navfooter", "list-of-tables", "footnotes"}
SKIPPED_TAGS = {"head", "pre", "script", "style"}
BLOCK_TAGS = {"p", "li", "dt", "dd", "td", "th", "h1", "h2", "h3", "h4", "h5"}
TITLE_TAGS = {"h1", "h2", "h3", "h4", "h5"}
# The English label of a title: "Chapter 2. ", "Appendix A. ", "Table 2.1. ", "2.1.3. ", "A.1. ".
_ENGLISH_LABEL = re.compile(r"^(?:(?:Chapter|Appendix|Table)\s+)?((?:\d+|[A-Z])(?:\.\d+)*)\.\s+")
_GENERATED_ID = re.compile(r"^idm\d+$")        # DocBook's id for an element without one (the book)
_WORD = re.compile(r"[^\W\d_]{3,}")            # three letters in a row


class Block(NamedTuple):
    """One innermost block element of a section: its tag (``p``, ``td``, ``h2.title``), its text,
    whether it is prose (a word of three letters outside ``<code>``), and its ``frame``: the text
    with each cross-reference ("Section 2.1, “Debian package management prerequisites”") as ``§``."""

    tag: str
    text: str
    prose: bool
    frame: str


# --- reading one page -------------------------------------------------------------------------

def _local(element: ET.Element) -> str:
    return element.tag.removeprefix(_XHTML)


def _skipped(element: ET.Element) -> bool:
    return _local(element) in SKIPPED_TAGS or element.get("class") in SKIPPED_CLASSES


def _is_footnote_marker(element: ET.Element) -> bool:
    return _local(element) == "a" and element.get("class") == "footnote"


def _text(element: ET.Element, leave_out_code: bool = False, mark_xrefs: bool = False) -> str:
    """The element's text with its inline markup's text, whitespace collapsed; ``<pre>`` and
    footnote markers left out (and ``<code>`` too, with ``leave_out_code``; each cross-reference
    becomes ``§`` with ``mark_xrefs``)."""
    parts: list[str] = []

    def walk(e: ET.Element) -> None:
        left_out = _skipped(e) or _is_footnote_marker(e) or (leave_out_code and _local(e) == "code")
        if mark_xrefs and _local(e) == "a" and e.get("class") == "xref":
            parts.append("§")
        elif not left_out:
            parts.append(e.text or "")
            for child in e:
                walk(child)
                parts.append(child.tail or "")
        elif leave_out_code:
            parts.append(" ")           # "see <code>ls</code>(1)" must not glue the words around it

    walk(element)
    return " ".join("".join(parts).split())


def _contains_block(element: ET.Element) -> bool:
    return any(_local(e) in BLOCK_TAGS for e in element.iter() if e is not element)


def _section_id(div: ET.Element) -> str | None:
    """The id of the anchor in the section's own title (``<div class="titlepage">`` ...
    ``<h2 class="title"><a id="..."/>``), not in a subsection's."""
    titlepage = next((child for child in div if child.get("class") == "titlepage"), None)
    for heading in titlepage.iter() if titlepage is not None else ():
        if _local(heading) in TITLE_TAGS:
            anchor = next((a for a in heading.iter(f"{_XHTML}a") if a.get("id")), None)
            return anchor.get("id") if anchor is not None else None
    return None


def read_page(path) -> dict[str, list[Block]]:
    """``{section id: [Block, ...]}`` of one XHTML page, sections and blocks in page order.

    A section's blocks are the innermost block elements inside it but outside its subsections.
    A section without an id of its own (or with a generated one, ``idm1``) is named after the page.
    """
    root = ET.parse(path).getroot()
    page = _PAGE_FILE.match(Path(path).name)
    page_name = page.group("page") if page else Path(path).stem
    sections: dict[str, list[Block]] = {}

    def walk(e: ET.Element, section: str) -> None:
        if _skipped(e):
            return
        if _local(e) == "div" and e.get("class") in SECTION_CLASSES:
            found = _section_id(e)
            section = found if found and not _GENERATED_ID.match(found) else page_name
            sections.setdefault(section, [])
        if _local(e) in BLOCK_TAGS and not _contains_block(e):
            tag = _local(e) + (f".{e.get('class')}" if e.get("class") in ("title", "listitem") else "")
            prose = bool(_WORD.search(_text(e, leave_out_code=True)))
            sections.setdefault(section, []).append(Block(tag, _text(e), prose, _text(e, mark_xrefs=True)))
            return
        for child in e:
            walk(child, section)

    walk(root, page_name)
    return {name: blocks for name, blocks in sections.items() if blocks}


# --- aligning two pages -------------------------------------------------------------------------

def is_title(block: Block) -> bool:
    return block.tag.split(".")[0] in TITLE_TAGS or block.tag == "p.title"


def split_label(english: str, translation: str) -> tuple[str, str] | None:
    """Both titles without their label ("Table 2.1. ", "表2.1 "), or None if the labels' numbers differ.

    The English label gives the number; the translation's label is everything up to that number
    (within its first 20 characters) and what follows it: ".", spaces, "章".
    """
    match = _ENGLISH_LABEL.match(english)
    if not match:
        return english, translation
    number = match.group(1)
    found = re.search(rf"(?<![0-9A-Za-z.]){re.escape(number)}(?![0-9A-Za-z]|\.\d)\.?\s*(?:章\s*)?", translation[:20])
    if not found:
        return None
    return english[match.end():], translation[found.end():]


def is_untranslated(english: Block, translation: Block) -> bool:
    """po4a left the block in English: only DocBook's cross-references differ.

    DocBook writes a cross-reference in the page's language ("see Secção 1.1.6, “Consolas
    virtuais”"), also inside a paragraph that has no translation, so such a paragraph is not
    identical to the English, yet untranslated. A block that is nothing but a cross-reference
    is translated text, though ("Abschnitt 3.1.1, „Stufe 1: das UEFI“").
    """
    return english.frame == translation.frame and bool(_WORD.search(english.frame))


def align_page(english: dict[str, list[Block]], translation: dict[str, list[Block]],
               counts: Counter | None = None) -> Iterator[tuple[str, str, str]]:
    """``(section, English, translation)`` for every prose block of the sections both pages have
    with the same structure. An untranslated block comes as a copy of the English (translation =
    English), for the ``untranslated`` filter to count and drop. ``counts`` (if given) counts
    sections ``aligned``, ``skipped_structure`` and ``missing_section``, and blocks ``skipped_label``
    and ``untranslated_but_xref``."""
    counts = Counter() if counts is None else counts
    for section, en_blocks in english.items():
        tr_blocks = translation.get(section)
        if tr_blocks is None:
            counts["missing_section"] += 1
            continue
        if [b.tag for b in en_blocks] != [b.tag for b in tr_blocks]:
            counts["skipped_structure"] += 1
            continue
        counts["aligned"] += 1
        for en, tr in zip(en_blocks, tr_blocks):
            if not en.prose:
                continue
            if en.text != tr.text and is_untranslated(en, tr):
                counts["untranslated_but_xref"] += 1
                tr = en
            texts = split_label(en.text, tr.text) if is_title(en) else (en.text, tr.text)
            if texts is None:
                counts["skipped_label"] += 1
                continue
            yield section, *texts


# --- the source -------------------------------------------------------------------------------

def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian packages to fetch: English first, then each translation (all, or ``langs``)."""
    if langs is None:
        return [ENGLISH_PACKAGE] + [f"debian-reference-{suffix}" for suffix in PACKAGE_LANGS]
    by_code = {languages.canonical(suffix): suffix for suffix in PACKAGE_LANGS}
    copies = [f"{lang}: {NOT_TRANSLATIONS[suffix]}" for lang in langs for suffix in NOT_TRANSLATIONS
              if languages.canonical(lang) == languages.canonical(suffix)]
    if copies:
        raise ValueError(f"not a translation of its own: {'; '.join(copies)}")
    unknown = [lang for lang in langs if languages.canonical(lang) not in by_code]
    if unknown:
        raise ValueError(f"no Debian Reference translation for {unknown} (there are: {' '.join(sorted(by_code))})")
    return [ENGLISH_PACKAGE] + [f"debian-reference-{by_code[languages.canonical(lang)]}" for lang in langs]


def html_pages(roots: Iterable) -> dict[str, dict[str, Path]]:
    """``{language as in the file name: {page: path}}`` over unpacked package trees (each the
    package root, which holds ``usr/share/debian-reference/``, or that folder itself)."""
    found: dict[str, dict[str, Path]] = defaultdict(dict)
    for root in roots:
        root = Path(root)
        folder = root / HTML_DIR if (root / HTML_DIR).is_dir() else root
        for path in sorted(folder.glob("*.html")):
            match = _PAGE_FILE.match(path.name)
            if match:
                found[match.group("lang")][match.group("page")] = path
    return dict(found)


def read(roots: Iterable, counts: dict[str, Counter] | None = None, log=print) -> Iterator[assemble.SourcePair]:
    """Aligned pairs from unpacked package trees: every translation found beside the English.

    ``counts`` (if given) receives, per language, the sections aligned and skipped (see
    :func:`align_page`). Raises FileNotFoundError if no English page is found.
    """
    pages = html_pages(roots)
    english_code = next((code for code in pages if languages.is_english(code)), None)
    if english_code is None:
        raise FileNotFoundError(f"no English Debian Reference pages (*.en.html) under {HTML_DIR} in the trees given")
    log(f"  {SOURCE}: reading {len(pages[english_code])} English pages, then each language's")
    english = {page: read_page(path) for page, path in sorted(pages[english_code].items())}
    counts = {} if counts is None else counts
    bar = progress.reading([code for code in sorted(pages) if not languages.is_english(code)],
                           f"{SOURCE}: languages", "lang")
    tell = progress.say(bar, log)
    for code in bar:
        if code.lower() in NOT_TRANSLATIONS:
            tell(f"  {SOURCE}: {code} left out: {NOT_TRANSLATIONS[code.lower()]}")
            continue
        lang = languages.canonical(code)
        bar.set_postfix_str(lang)
        n = counts.setdefault(lang, Counter())
        before = n["pairs"]
        for page, path in sorted(pages[code].items()):
            if page not in english:
                n["page_without_english"] += 1
                continue
            for section, en, tr in align_page(english[page], read_page(path), n):
                n["pairs"] += 1
                yield assemble.SourcePair(lang, f"{SOURCE}:{section}", en, tr)
        tell(f"  {SOURCE}: {lang}: {n['pairs'] - before} pairs from {n['aligned']} sections; "
            f"{n['skipped_structure']} sections skipped (structure differs), {n['skipped_label']} titles skipped")


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the packages, read and align them, and assemble ``out_dir/corpus``; returns the report."""
    got, failed = debian.fetch(packages(langs), work_dir, log)
    debian.require([ENGLISH_PACKAGE], got, failed, SOURCE, "the English Debian Reference")
    counts: dict[str, Counter] = {}
    pairs = list(read([p.root for p in got.values()], counts, log))
    info = {
        "packages": {name: p.version for name, p in got.items()},
        "not_fetched": failed,
        "licence": LICENCE,
        "not_translations": {languages.canonical(code): why for code, why in NOT_TRANSLATIONS.items()},
        "sections": {lang: dict(sorted(c.items())) for lang, c in sorted(counts.items())},
    }
    return assemble.assemble(pairs, out_dir, SOURCE, KIND, info=info, filters=FILTERS, log=log)
