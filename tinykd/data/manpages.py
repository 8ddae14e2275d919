"""Translated manual pages: technical documentation prose, paragraph by paragraph.

Source. The manpages-l10n project translates the manual pages of a Linux system (man-pages,
coreutils, util-linux, systemd, gzip, ...) into 21 languages. Debian ships each language as
``manpages-<lang>`` and, for the programming sections 2 and 3, ``manpages-<lang>-dev``
(bookworm: version 4.18.1-1). The English originals come from the packages of the programs
themselves: ``manpages``, ``manpages-dev``, ``coreutils``, ``util-linux``, ... (``ENGLISH_PACKAGES``:
33 packages; measured on bookworm, 5 499 of the 6 477 translated page files have their English page
there, and 5 410 of those align; the rest, grub, kbd, at, nano ..., is left out).

Layout. roff source, gzipped:

    usr/share/man/man1/ls.1.gz                      English (package coreutils)
    usr/share/man/de/man1/ls.1.gz                   German (package manpages-de)
    usr/share/man/pt_BR/man7/signal.7.gz            Brazilian Portuguese (manpages-pt-br)

Alignment. manpages-l10n makes each translated page with po4a from the English page of a given
upstream version: po4a replaces the text of each paragraph and keeps the requests (``.SH``, ``.PP``,
``.TP``, ``.nf`` ...) in place. A page is parsed (:func:`parse_roff`) into a sequence of units, each
a structural request or a piece of text: a title (``.SH``/``.SS``), a tag (the line after ``.TP``,
the argument of ``.IP``), a paragraph (ended by the next request, a blank line, ``.br`` or ``.sp``),
or a no-fill block (``.nf``/``.EX``: code, never read). Font requests (``.B``, ``.BR``, ``.IR`` ...)
are inline text, since po4a turns ``.B ls`` into ``\\fBls\\fP``; so are links (``.UR``/``.UE``). A
page pair is aligned when its two sequences of unit kinds are identical, once the translators'
closing section (one ``.SH`` more, "ÜBERSETZUNG", "TRADUCTION") is cut off; then units pair up by
position. A page whose sequence differs (the English package is a newer or older version than the
one translated, or the translation is incomplete) is skipped whole and counted. mdoc pages (BSD
macros: ``.Dd``, ``.Nm``) and ``.so`` redirections are skipped too.

Only prose is kept: a unit whose English has no word of three letters outside bold and italic
(an option list "\\fB\\-a\\fR, \\fB\\-\\-all\\fR", a synopsis) is skipped. roff escapes become text
(``\\-`` "-", ``\\(em`` "—", ``\\(lq`` "“", ``\\e`` "\\"); fonts and spacing escapes are dropped.
Paths, options and function names inside a sentence stay, so the build does not run the ``code``
filter of :mod:`tinykd.data.clean` (it would drop every sentence that names a file).

Document. The page, ``manpages:man1/ls.1``: its translation in every language goes to the same split.

Licence. The translations, as ``usr/share/doc/manpages-<lang>/copyright`` states for every file:
"License: GPL-3+" ("This package is free software: you can redistribute it and/or modify it under
the terms of the GNU General Public License as published by the Free Software Foundation, either
version 3 of the License, or (at your option) any later version."). The English pages keep their
own packages' licences (man-pages: "Linux-man-pages-copyleft", GPL-2+, BSD ...; coreutils: GPL-3+).
"""

from __future__ import annotations

import gzip
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from . import assemble, debian, languages, progress

SOURCE = "manpages"
KIND = "documentation"
LICENCE = ("translations: GPL-3+ (manpages-l10n, debian/copyright of manpages-<lang>); English originals: "
           "their own packages' licences (man-pages: Linux-man-pages-copyleft, GPL-2+, BSD; coreutils: GPL-3+ ...)")

# manpages-l10n 4.18.1 in bookworm, by package suffix; the -dev packages hold sections 2 and 3.
TRANSLATIONS = ("cs", "da", "de", "el", "es", "fi", "fr", "hu", "id", "it", "mk", "nb", "nl", "pl", "pt-br", "ro",
                "ru", "sr", "sv", "uk", "vi")
WITH_DEV = ("cs", "da", "de", "es", "fr", "it", "nl", "pl", "pt-br", "ru", "uk")
# The packages that own the English originals of the translated pages: measured with dpkg -S on a
# bookworm system, every package behind at least 5 (page, language) pairs.
ENGLISH_PACKAGES = (
    "manpages", "manpages-dev", "coreutils", "util-linux", "systemd", "gzip", "diffutils", "bzip2", "e2fsprogs",
    "uuid-dev", "bsdextrautils", "grep", "bash", "mount", "openssh-client", "binutils-common", "systemd-sysv",
    "bsdutils", "gettext", "hostname", "tar", "init-system-helpers", "net-tools", "ed", "libcrypt-dev", "make",
    "findutils", "less", "util-linux-extra", "file", "gettext-base", "sed", "ncurses-bin",
)
# Not the "code" filter: paths, options and commands are part of a manual page's sentences.
FILTERS = ("empty", "untranslated", "length_ratio")

MAN_DIR = Path("usr") / "share" / "man"
_SECTION_DIR = re.compile(r"^man[0-9n]$")


# --- roff: from source to units -------------------------------------------------------------------

class Unit(NamedTuple):
    """A piece of a parsed page: ``kind`` is ``title``, ``tag``, ``text`` or ``code`` (with the raw
    roff ``text``), or the name of a structural request (``PP``, ``TP``, ``RS``, ``nf`` ...)."""

    kind: str
    text: str = ""


TEXT_KINDS = ("title", "tag", "text", "code")
FONT_REQUESTS = {"B": "B", "I": "I", "SM": "R", "SB": "B"}       # one font for all arguments
ALTERNATING_FONTS = {"BR": "BR", "RB": "RB", "BI": "BI", "IB": "IB", "IR": "IR", "RI": "RI"}
NO_FILL = {"nf": "fi", "EX": "EE"}                                 # code until the closing request
SKIPPED_BLOCKS = {"TS": "TE", "de": "..", "ig": "..", "EQ": "EN", "PS": "PE"}   # tables, definitions, equations
LINKS = {"UR", "UE", "MT", "ME"}
# A line break or a blank line (.br, .sp, an empty line) ends the text being read, without being
# structure: index pages join hundreds of .br lines, and help2man puts one inside a sentence.
BREAKS = {"br", "sp"}
# Requests that change the layout inside a paragraph, not its structure, or carry no prose (.TH): ignored.
INLINE_REQUESTS = {"in", "ti", "ne", "ad", "na", "hy", "nh", "ft", "ps", "vs", "ll", "PD", "ta", "hw",
                   "ss", "ce", "fam", "nr", "ds", "cs", "lf", "TH"}
MDOC_REQUESTS = {"Dd", "Dt", "Nm", "Sh"}

_REQUEST = re.compile(r"^[.']\s*(\S+?)(?:\s+(.*))?$")
_ARGUMENT = re.compile(r'"((?:[^"]|"")*)"?|(\S+)')
_COMMENT = re.compile(r'\\["#].*$')


def _arguments(text: str) -> list[str]:
    """A request's arguments: separated by spaces, or quoted ("two words", "" for a quote)."""
    return [m.group(1).replace('""', '"') if m.group(0).startswith('"') else m.group(2)
            for m in _ARGUMENT.finditer(text)]


def _font_request(name: str, arguments: list[str]) -> str:
    """``.B ls`` -> ``\\fBls\\fR``; ``.BR ls (1)`` -> ``\\fBls\\fR(1)``: the text po4a writes for it."""
    if name in FONT_REQUESTS:
        return f"\\f{FONT_REQUESTS[name]}{' '.join(arguments)}\\fR"
    fonts = ALTERNATING_FONTS[name]
    return "".join(f"\\f{fonts[i % 2]}{a}" for i, a in enumerate(arguments)) + "\\fR"


def parse_roff(source: str) -> list[Unit]:
    """The page's units in order (see the module docstring). Comments are dropped."""
    lines = source.split("\n")
    units: list[Unit] = []
    pending: list[str] = []         # the lines of the text unit being read
    kind = "text"                   # its kind
    closing: str | None = None      # inside a no-fill block: the request that ends it
    expect: str | None = None       # the next line is a "tag" (after .TP) or a "title" (after a bare .SH)

    def flush() -> None:
        nonlocal pending
        if pending:
            units.append(Unit(kind, "\n".join(pending)))
        pending = []

    def add_line(line: str) -> None:
        nonlocal kind, expect
        if expect:
            flush()
            units.append(Unit(expect, line))
            expect = None
            return
        if not pending:
            kind = "code" if closing else "text"
        pending.append(line)

    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if line.startswith((".\\\"", "'\\\"", ".\\#")) or line.strip() in (".", "'"):
            continue
        request = _REQUEST.match(line)
        if not request and not line.strip() and not closing:
            flush()
            continue
        if not request:
            add_line(line)
            continue
        name, rest = request.group(1), _COMMENT.sub("", request.group(2) or "")
        if name in SKIPPED_BLOCKS:
            end = re.compile(rf"^[.']\s*{re.escape(SKIPPED_BLOCKS[name])}(\s|$)")
            while i < len(lines) and not end.match(lines[i]):
                i += 1
            i += 1
            flush()
            units.append(Unit(name))
        elif name in FONT_REQUESTS or name in ALTERNATING_FONTS:
            if not rest.strip() and i < len(lines):     # ".B" alone applies to the next line
                rest, i = lines[i], i + 1
            add_line(_font_request(name, _arguments(rest)))
        elif name in LINKS:
            arguments = _arguments(rest)
            if name in ("UR", "MT") and arguments:
                add_line(f"<{arguments[0]}>")
            elif arguments:
                add_line("".join(arguments))             # the punctuation after the link: ".UE ."
        elif name in BREAKS and not closing:
            flush()
        elif name in INLINE_REQUESTS or name in BREAKS:
            continue
        elif closing and name == closing:
            flush()
            closing = None
            units.append(Unit(name))
        elif name in NO_FILL:
            flush()
            units.append(Unit(name))
            closing = NO_FILL[name]
        elif name in ("SH", "SS"):
            flush()
            units.append(Unit(name))
            if rest.strip():
                units.append(Unit("title", " ".join(_arguments(rest))))
            else:
                expect = "title"
        elif name in ("TP", "TQ"):
            flush()
            units.append(Unit(name))
            expect = "tag"
        elif name == "IP":
            flush()
            units.append(Unit(name))
            arguments = _arguments(rest)
            if arguments:
                units.append(Unit("tag", arguments[0]))
        else:                                            # .PP, .RS, .RE, .HP, .if ...: structure
            flush()
            units.append(Unit(name))
    flush()
    return units


# --- roff escapes to text ------------------------------------------------------------------------

NAMED_CHARACTERS = {
    "em": "—", "en": "–", "aq": "'", "dq": '"', "lq": "“", "rq": "”", "oq": "‘", "cq": "’", "bu": "•", "hy": "-",
    "co": "©", "rg": "®", "tm": "™", "mi": "−", "pl": "+", "mu": "×", "de": "°", "Fo": "«", "Fc": "»", "fo": "‹",
    "fc": "›", "ga": "`", "ha": "^", "ti": "~", "rs": "\\", "sl": "/", "ba": "|", "bv": "|", "<=": "≤", ">=": "≥",
    "!=": "≠", "->": "→", "<-": "←", "ua": "↑", "da": "↓", "sc": "§", "dg": "†", "ps": "¶", "Eu": "€", "eu": "€",
    "ss": "ß", "at": "@", "sh": "#", "Do": "$", "lB": "[", "rB": "]", "lC": "{", "rC": "}", "la": "⟨", "ra": "⟩",
    "or": "|", "pc": "·", "ct": "¢", "Po": "£", "Ye": "¥", "+-": "±", "12": "½", "14": "¼", "34": "¾",
    ":a": "ä", ":o": "ö", ":u": "ü", ":A": "Ä", ":O": "Ö", ":U": "Ü", "'e": "é", "`e": "è", "'a": "á", "`a": "à",
    "R": "®", "Tm": "™", "Lq": "“", "Rq": "”",
}
ONE_CHARACTER = {"-": "-", "e": "\\", "\\": "\\", "~": " ", "0": " ", " ": " ", "t": " ", "'": "´", "`": "`",
                 ".": ".", "E": "\\"}
_ESCAPE = re.compile(r"""\\(?:
      f(?P<font>\[[^\]]*\]|\(..|.)                    # font: \fB \f(CW \f[BI]
    | s[-+]?(?:\d|\(\d\d|\[\d+\])                     # size
    | \((?P<named>..)                                 # character: \(em
    | \[(?P<bracket>[^\]]*)\]                         # character: \[em], \[u00E9]
    | \*(?:\((?P<string2>..)|\[(?P<stringb>[^\]]*)\]|(?P<string1>.))   # predefined string: \*(lq
    | [hvwlLNDXoZbRxHSk]'[^']*'                       # a function of a quoted argument: \h'1n'
    | [nmgkMVY](?:\(..|\[[^\]]*\]|.)                  # register, colour, ...
    | (?P<one>.)                                      # one character: \- \e \& \~ \c ...
)""", re.X)
_BOLD_OR_ITALIC = {"B", "I", "BI", "3", "2", "4", "CB", "CI"}


def roff_text(raw: str, roman_only: bool = False) -> str:
    """The text a reader sees: escapes resolved, whitespace collapsed (``roman_only``: the text
    in bold and italic left out)."""
    out: list[str] = []
    font, previous = "R", "R"       # \fP returns to the previous font
    last = 0
    for m in _ESCAPE.finditer(raw):
        shown = not (roman_only and font in _BOLD_OR_ITALIC)
        if shown:
            out.append(raw[last:m.start()])
        last = m.end()
        if m.group("font") is not None:
            name = m.group("font").strip("[]").removeprefix("(") or "P"
            font, previous = (previous, font) if name == "P" else (name, font)
        elif not shown:
            continue
        elif m.group("named") is not None:
            out.append(NAMED_CHARACTERS.get(m.group("named"), ""))
        elif m.group("bracket") is not None:
            code = m.group("bracket")
            out.append(chr(int(code[1:], 16)) if re.fullmatch(r"u[0-9A-Fa-f]{4,6}", code)
                       else NAMED_CHARACTERS.get(code, ""))
        elif m.group("one") is not None:
            out.append(ONE_CHARACTER.get(m.group("one"), ""))
        else:                       # a predefined string (\*(lq), or an escape that prints nothing
            string = m.group("string2") or m.group("stringb") or m.group("string1")
            out.append(NAMED_CHARACTERS.get(string, "") if string else "")
    if not (roman_only and font in _BOLD_OR_ITALIC):
        out.append(raw[last:])
    return " ".join("".join(out).split())


# --- pages and their alignment -------------------------------------------------------------------

_PARAGRAPHS = {"PP", "P", "LP"}
_PROSE_WORD = re.compile(r"[^\W\d_]{3,}")       # three letters in a row


def read_page(path) -> list[Unit] | None:
    """The units of one page (gzipped or not), or None for a ``.so`` redirection or an mdoc page."""
    path = Path(path)
    data = path.read_bytes()
    source = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8", errors="replace")
    units = parse_roff(source)
    if any(u.kind in MDOC_REQUESTS or u.kind == "so" for u in units):
        return None
    return units


def _comparable(units: list[Unit]) -> list[Unit]:
    """Without empty text units, and without paragraph requests that start no text (a ``.PP``
    before a ``.SH``): po4a's output differs from its input in those only."""
    units = [u for u in units if u.kind not in TEXT_KINDS or roff_text(u.text)]
    return [u for i, u in enumerate(units)
            if u.kind not in _PARAGRAPHS or (i + 1 < len(units) and units[i + 1].kind in ("text", "code"))]


def is_prose(raw: str) -> bool:
    """A word of three letters outside bold and italic: not an option list or a synopsis."""
    return bool(_PROSE_WORD.search(roff_text(raw, roman_only=True)))


def align_page(english: list[Unit], translation: list[Unit],
               counts: Counter | None = None) -> Iterator[tuple[str, str]]:
    """``(English, translation)`` for every prose unit of a page pair whose structures match.

    The translators' section that manpages-l10n appends ("TRADUCTION": one ``.SH`` more than the
    English) is cut off first. ``counts`` (if given) counts pages ``aligned`` or ``skipped_structure``.
    """
    counts = Counter() if counts is None else counts
    english, translation = _comparable(english), _comparable(translation)
    titles = [i for i, u in enumerate(translation) if u.kind == "SH"]
    if len(titles) == sum(u.kind == "SH" for u in english) + 1:
        translation = translation[:titles[-1]]
    if [u.kind for u in english] != [u.kind for u in translation]:
        counts["skipped_structure"] += 1
        return
    counts["aligned"] += 1
    for en, tr in zip(english, translation):
        if en.kind in ("title", "tag", "text") and is_prose(en.text):
            yield roff_text(en.text), roff_text(tr.text)


# --- the source -------------------------------------------------------------------------------

def _by_code(suffixes) -> dict[str, str]:
    return {languages.canonical(suffix): suffix for suffix in suffixes}


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian packages to fetch: the English ones first, then each translation (all, or
    ``langs``) with its ``-dev`` package where there is one."""
    by_code = _by_code(TRANSLATIONS)
    wanted = list(by_code) if langs is None else [languages.canonical(lang) for lang in langs]
    unknown = [lang for lang in wanted if lang not in by_code]
    if unknown:
        raise ValueError(f"no manpages-l10n translation for {unknown} (there are: {' '.join(sorted(by_code))})")
    names = list(ENGLISH_PACKAGES)
    for lang in wanted:
        suffix = by_code[lang]
        names += [f"manpages-{suffix}"] + ([f"manpages-{suffix}-dev"] if suffix in WITH_DEV else [])
    return names


def man_pages(roots: Iterable) -> dict[str, dict[str, Path]]:
    """``{"en" or language code: {"man1/ls.1": path}}`` over unpacked package trees (each the package
    root, which holds ``usr/share/man/``, or that folder itself). Symbolic links are left out: they
    name a page that is read under its own name."""
    found: dict[str, dict[str, Path]] = defaultdict(dict)
    for root in roots:
        root = Path(root)
        folder = root / MAN_DIR if (root / MAN_DIR).is_dir() else root
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            if _SECTION_DIR.match(sub.name):
                lang, sections = "en", [sub]
            else:
                try:
                    lang = languages.canonical(sub.name)
                except ValueError:
                    continue                            # not a language folder
                sections = sorted(p for p in sub.iterdir() if p.is_dir() and _SECTION_DIR.match(p.name))
            for section in sections:
                for path in sorted(section.iterdir()):
                    if path.is_file() and not path.is_symlink():
                        found[lang].setdefault(f"{section.name}/{path.name.removesuffix('.gz')}", path)
    return dict(found)


def read(roots: Iterable, counts: dict[str, Counter] | None = None, log=print) -> Iterator[assemble.SourcePair]:
    """Aligned pairs from unpacked package trees: every translated page beside its English page.

    ``counts`` (if given) receives, per language, pages ``aligned``, ``skipped_structure``,
    ``no_english`` (no English page in the trees) and ``not_read`` (a redirection or mdoc page).
    """
    pages = man_pages(roots)
    if "en" not in pages:
        raise FileNotFoundError(f"no English manual pages ({MAN_DIR}/man*/) in the trees given")
    log(f"  {SOURCE}: reading {len(pages['en'])} English manual pages, then each language's")
    english = {page: read_page(path) for page, path in pages["en"].items()}
    counts = {} if counts is None else counts
    bar = progress.reading([lang for lang in sorted(pages) if not languages.is_english(lang)],
                           f"{SOURCE}: languages", "lang")
    tell = progress.say(bar, log)
    for lang in bar:
        bar.set_postfix_str(lang)
        n = counts.setdefault(lang, Counter())
        before = n["pairs"]
        for page, path in sorted(pages[lang].items()):
            if page not in english:
                n["no_english"] += 1
                continue
            en_units, tr_units = english[page], read_page(path)
            if en_units is None or tr_units is None:
                n["not_read"] += 1
                continue
            for en, tr in align_page(en_units, tr_units, n):
                n["pairs"] += 1
                yield assemble.SourcePair(lang, f"{SOURCE}:{page}", en, tr)
        tell(f"  {SOURCE}: {lang}: {n['pairs'] - before} pairs from {n['aligned']} pages; {n['skipped_structure']} "
            f"pages skipped (structure differs), {n['no_english']} without an English page")


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the packages, read and align them, and assemble ``out_dir/corpus``; returns the report."""
    got, failed = debian.fetch(packages(langs), work_dir, log)
    debian.require(ENGLISH_PACKAGES, got, failed, SOURCE, "the English manual pages")
    counts: dict[str, Counter] = {}
    pairs = list(read([p.root for p in got.values()], counts, log))
    info = {
        "packages": {name: p.version for name, p in got.items()},
        "not_fetched": failed,
        "licence": LICENCE,
        "pages": {lang: dict(sorted(c.items())) for lang, c in sorted(counts.items())},
    }
    return assemble.assemble(pairs, out_dir, SOURCE, KIND, info=info, filters=FILTERS, log=log)
