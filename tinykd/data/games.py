"""Games' translated texts: descriptive and story prose from three free strategy games' Debian packages.

    game          package           read here                                       the texts
    FreeOrion     freeorion-data    .../games/freeorion/default/stringtables/       Pedia articles, species,
                                    <lang>.txt (en.txt: the English)                buildings, ships, techs
    Widelands     widelands-data    .../games/widelands/data/locale/<lang>/         campaign and tutorial
                                    LC_MESSAGES/<domain>.mo, + its Lua/map files    stories, tribes' help
    Warzone 2100  warzone2100-data  /usr/share/locale/<lang>/LC_MESSAGES/           mission briefings,
                                    warzone2100.mo, + .../warzone2100/base.wz (zip) subtitles, research

**FreeOrion** string tables are keyed alike in every language: a key on one line, its text on
the next (``'''`` quotes a text of several lines; ``#`` lines are comments; an entry a language
has not translated is missing or commented out). A pair is one key's English and translated
text. Texts refer to other entries: ``[[KEY]]`` is replaced by that entry's text and
``[[buildingtype KEY]]`` by its name, as the game does; where a language lacks the entry referred
to (the game then shows the English one) the line is left out. Only en.txt's content sections
are read (:data:`FREEORION_SECTIONS`: Pedia articles, species, specials, buildings, ship parts
and hulls, techs, monsters, fields, beginner hints, AI diplomacy lines), not menus, options or
templated reports.

**Widelands** and **Warzone 2100** are gettext catalogues (.mo, read by :func:`read_mo`): each
entry maps an English ``msgid`` to its translation, and a pair is one entry. The context
(``msgctxt``, stored as ``ctx\\x04msgid``) is dropped; plural entries (``msgid\\x00plural``:
counters such as "%i point") are skipped. Widelands' narrative catalogues are its campaign,
scenario and tutorial stories, the tribes' encyclopedia, map descriptions, tips and win conditions
(:func:`is_widelands_narrative`), less key bindings and credits. Warzone's one catalogue also
holds the whole interface, so only the msgids written in base.wz's briefing, research, subtitle
and mission script files are read (:func:`warzone_texts`).

**Cutting and cleaning.** A text of several lines is cut into lines where both sides have as many
lines, else into paragraphs where both have as many paragraphs, and only where the parts look
aligned (:func:`_consistent`: length ratios, numbers, headings); otherwise it stays whole.
Markup is dropped (``<i>``, ``<rgba ..>``, ``<img ..></img>``; Widelands' ``<br>`` inside a verse
becomes a space; ``&nbsp;`` a character). Format placeholders (``%1$s``, ``%s``, ``%1%``,
``%empire%``) stay on both sides: they are the same tokens in both, and dropping them would leave
broken grammar. A translation that is mostly the English's own words (FreeOrion's de.txt still
holds some old English texts) is given as a copy of the English, which clean's ``untranslated``
filter drops and counts.

**Documents** decide the split. FreeOrion: the key less its suffix (``_DESC``, ``_SHORT_DESC``,
``_GAMEPLAY_DESC``, ``_TITLE``, ``_TEXT``, ``_LABEL``), so an article's name and text stay
together (``games:freeorion:BLD_SHIPYARD_BASE``). Widelands: where the English is written in the
game's sources, the Lua file and the definition around it (one message, objective or unit:
``games:widelands:campaigns/atl01.wmf/scripting/texts.lua#obj_expand``,
``games:widelands:tribes/initialization/empire/units.lua#empire_bakery``), or the map
(``games:widelands:maps/Crater.wmf/elemental``), else the catalogue. Warzone 2100: the briefing
or research item (``games:warzone2100:CAM1A``, ``games:warzone2100:RES_CYMET4``), or the subtitle
or script file.

**Licence**, as the packages' debian/copyright state it: freeorion-data, "Files: *.png *.ogg *.txt
*.frag / Copyright: The FreeOrion project / License: CC-BY-SA-3.0" (the string tables are .txt);
widelands-data, "Files: * / Copyright: 2002-2019 by the Widelands Development Team / License:
GPL-2+"; warzone2100-data, "Files: * / Copyright: 1999-2004, Eidos Interactive, 2005-2013,
Warzone 2100 Project / License: GPL-2+" and "Files: po/*.po / Copyright: 2007-2008, Warzone 2100
Resurrection Project, 2008, Rosetta Contributors and Canonical Ltd / License: GPL-2+".
"""

from __future__ import annotations

import html
import json
import re
import struct
import time
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from . import assemble, clean, debian, languages, progress
from .assemble import SourcePair

SOURCE = "games"
KIND = "narrative"
LICENCE = ("FreeOrion string tables: CC-BY-SA-3.0; Widelands and Warzone 2100 translations: GPL-2+ "
           "(debian/copyright of freeorion-data, widelands-data, warzone2100-data)")

# game -> its Debian package, and the licence its copyright file gives the translated text
GAMES = {"freeorion": "freeorion-data", "widelands": "widelands-data", "warzone2100": "warzone2100-data"}
PARTS = tuple(GAMES)                         # what `python -m tinykd.data games --parts ...` may choose
LICENCES = {"freeorion-data": "CC-BY-SA-3.0", "widelands-data": "GPL-2+", "warzone2100-data": "GPL-2+"}
# Every clean.FILTERS applies: the texts are prose, a few are placeholders only ("%1$s: %2$s",
# dropped as code) and some are left untranslated (copies of the English).
FILTERS = clean.FILTERS

FREEORION_DIR = "usr/share/games/freeorion/default/stringtables"
WIDELANDS_DIR = "usr/share/games/widelands/data"
WARZONE_LOCALE_DIR = "usr/share/locale"
WARZONE_ARCHIVE = "usr/share/games/warzone2100/base.wz"

# Locale folder or file names whose region (or spelling) adds nothing: one language each.
LOCALE_ALIASES = {"cz": "cs", "ar_SA": "ar", "bg_BG": "bg", "ca_ES": "ca", "id_ID": "id", "my_MM": "my",
                  "tt_RU": "tt"}


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian packages to fetch: each holds every language of its game, so ``langs`` changes nothing."""
    return list(GAMES.values())


def language_of(name: str, left_out=()) -> str | None:
    """The canonical language of a locale name (``pt_BR`` -> ``pt-BR``, ``cz`` -> ``cs``); None for English
    and for a name in ``left_out`` (a source's LEFT_OUT_LOCALES: a second catalogue of one language, ...)."""
    if name in left_out:
        return None
    code = languages.canonical(LOCALE_ALIASES.get(name, name))
    return None if languages.is_english(code) else code


# --- text shared by the three games ---------------------------------------------------------

_IMAGE = re.compile(r"<img\b[^<>]*>(\s*</img>)?", re.I)
_LINE_BREAK = re.compile(r"[ \t]*<br\s*/?>[ \t]*", re.I)
_PARAGRAPH = re.compile(r"</?p\b[^<>]*>", re.I)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(\s[^<>]*)?/?>")
_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z]+);")


def strip_markup(text: str) -> str:
    """Plain text: images dropped, paragraph tags made line breaks, ``<br>`` a space (it breaks
    the lines of a short verse, which a translation may order otherwise), other tags removed,
    character references (``&nbsp;``) made characters."""
    text = _PARAGRAPH.sub("\n", _LINE_BREAK.sub(" ", _IMAGE.sub("", text)))
    text = _TAG.sub("", text)
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated blocks, their lines kept (joined by line breaks)."""
    return ["\n".join(_lines(block)) for block in re.split(r"\n\s*\n", text) if block.strip()]


_NUMBER = re.compile(r"\d+")


def _consistent(parts: list[tuple[str, str]], factor: float = 2.0, min_chars: int = 20) -> bool:
    """Whether the parts of a cut text look aligned: each part's length ratio (translation /
    English) within ``factor`` of the whole text's (parts of ``min_chars`` or more), the same
    numbers on both sides of each part, and a part that opens with a heading line (one that ends
    in ":") does so on both sides."""
    if len(parts) == 1:
        return True
    whole = sum(len(t) for _, t in parts) / max(1, sum(len(e) for e, _ in parts))
    for e, t in parts:
        ratio = len(t) / max(1, len(e)) / max(whole, 1e-9)
        if max(len(e), len(t)) >= min_chars and not 1 / factor <= ratio <= factor:
            return False
        if set(_NUMBER.findall(e)) != set(_NUMBER.findall(t)):
            return False
        if ("\n" in e or "\n" in t) and e.split("\n")[0].endswith(":") != t.split("\n")[0].endswith(":"):
            return False
    return True


def aligned_parts(english: str, translation: str) -> list[tuple[str, str]]:
    """The text cut into lines where both sides have as many lines, else into paragraphs (blank-line
    separated) where both have as many paragraphs, else the whole text as one pair. A cut is taken
    only where the parts look aligned (:func:`_consistent`): a translation may move a heading or
    a sentence from one line to the next, and the counts then agree by chance."""
    for cut in (_lines, _paragraphs):
        e, t = cut(english), cut(translation)
        if len(e) == len(t) and _consistent(list(zip(e, t))):
            return [(a, b) for a, b in zip(e, t)]
    return [(english, translation)]


_WORD = re.compile(r"[^\W\d_]{2,}")


def mostly_english(english: str, translation: str, min_words: int = 8, share: float = 0.7) -> bool:
    """A translation of ``min_words`` words or more, ``share`` of them words of the English: an old
    English text left in place (FreeOrion's de.txt holds a few), or one translated in part."""
    english_words = {w.lower() for w in _WORD.findall(english)}
    words = [w.lower() for w in _WORD.findall(translation)]
    return len(words) >= min_words and sum(w in english_words for w in words) >= share * len(words)


def plain_pairs(lang: str, doc: str, english: str, translation: str) -> Iterator[SourcePair]:
    """The pairs of one entry already in plain text, cut into lines or paragraphs. A translation that
    is mostly English words is given as a copy of the English, so that clean's ``untranslated``
    filter drops it and counts it."""
    for e, t in aligned_parts(english, translation):
        yield SourcePair(lang, doc, e, e if mostly_english(e, t) else t)


def _pairs(lang: str, doc: str, english: str, translation: str) -> Iterator[SourcePair]:
    """The pairs of one entry, markup stripped (:func:`plain_pairs`)."""
    return plain_pairs(lang, doc, strip_markup(english), strip_markup(translation))


# --- gettext catalogues (.mo, .po) ----------------------------------------------------------

class MoEntry(NamedTuple):
    context: str | None
    msgid: str
    plural: str | None          # msgid_plural, for a plural entry
    msgstrs: tuple[str, ...]    # one translation, or one per plural form


def read_mo(path) -> list[MoEntry]:
    """The entries of a GNU .mo file (the header, msgid "", left out).

    Layout: a magic number (its byte order gives the file's), a revision, the number of strings
    N, and the offsets of two tables of N (length, offset) pairs: the msgids and the msgstrs.
    A msgid is ``context\\x04msgid`` when it has a context and ``msgid\\x00msgid_plural`` when
    plural; a plural msgstr holds its forms separated by ``\\x00``.
    """
    data = Path(path).read_bytes()
    magic = struct.unpack("<I", data[:4])[0] if len(data) >= 20 else 0
    order = {0x950412DE: "<", 0xDE120495: ">"}.get(magic)
    if order is None:
        raise ValueError(f"{path}: not a .mo file")
    count, ids_at, strs_at = struct.unpack(order + "3I", data[8:20])

    def raw(table: int, i: int) -> bytes:
        length, offset = struct.unpack(order + "2I", data[table + 8 * i: table + 8 * i + 8])
        return data[offset: offset + length]

    strings = [(raw(ids_at, i), raw(strs_at, i)) for i in range(count)]
    header = next((msgstr for msgid, msgstr in strings if msgid == b""), b"").decode("ascii", errors="replace")
    declared = re.search(r"charset=([\w-]+)", header)
    charset = declared.group(1) if declared and declared.group(1).upper() != "CHARSET" else "utf-8"
    entries = []
    for msgid_raw, msgstr_raw in strings:
        if not msgid_raw:
            continue
        msgid, msgstr = msgid_raw.decode(charset), msgstr_raw.decode(charset)
        context, _, msgid = msgid.rpartition("\x04")
        msgid, _, plural = msgid.partition("\x00")
        entries.append(MoEntry(context or None, msgid, plural or None, tuple(msgstr.split("\x00"))))
    return entries


class PoEntry(NamedTuple):
    context: str | None
    msgid: str
    plural: str | None          # msgid_plural, for a plural entry
    msgstrs: tuple[str, ...]    # one translation, or one per plural form (msgstr[0], msgstr[1], ...)
    references: tuple[str, ...]  # the ``#:`` comments' places (``gui/text/quotes.txt:109``), in order
    fuzzy: bool                 # ``#, fuzzy``: a guess the translator has not checked
    line: int                   # where the entry starts in its file (1-based), for messages


_PO_KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d+)\])?)\s+(".*)$')
_PO_STRING = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*$')
_PO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _po_string(quoted: str, where: str) -> str:
    """The text of one quoted .po string (``"a \\"b\\"\\n"``), escapes resolved."""
    match = _PO_STRING.match(quoted.strip())
    if not match:
        raise ValueError(f"{where}: not a quoted string: {quoted.strip()[:60]!r}")

    def escape(m: re.Match) -> str:
        if m.group(1) not in _PO_ESCAPES:
            raise ValueError(f"{where}: unknown escape \\{m.group(1)} in {quoted.strip()[:60]!r}")
        return _PO_ESCAPES[m.group(1)]
    return re.sub(r"\\(.)", escape, match.group(1))


def parse_po(text: str, name: str = "<po>") -> list[PoEntry]:
    """The entries of a gettext .po (or .pot) file, the header (msgid "") and obsolete ``#~`` entries
    left out. An entry is its comments (``#:`` references, ``#,`` flags; others ignored), then
    ``msgctxt``, ``msgid``, ``msgid_plural`` and ``msgstr`` (or ``msgstr[N]``), each a quoted string
    continued by quoted lines; entries are separated by blank lines or the next comment. Malformed
    input raises a ValueError naming ``name`` and the line."""
    entries: list[PoEntry] = []
    fields: dict[str, str] = {}
    refs: list[str] = []
    flags: set[str] = set()
    start, last = 0, None                 # the entry's first line; the keyword a quoted line continues

    def finish() -> None:
        nonlocal fields, refs, flags, start, last
        if fields:
            if "msgid" not in fields:
                raise ValueError(f"{name}:{start}: an entry without msgid")
            forms = sorted((int(k[7:-1]), v) for k, v in fields.items() if k.startswith("msgstr["))
            if "msgstr" not in fields and not forms:
                raise ValueError(f"{name}:{start}: msgid {fields['msgid'][:40]!r} has no msgstr")
            if fields["msgid"]:
                msgstrs = (fields["msgstr"],) if "msgstr" in fields else tuple(v for _, v in forms)
                entries.append(PoEntry(fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural"),
                                       msgstrs, tuple(refs), "fuzzy" in flags, start))
        fields, refs, flags, start, last = {}, [], set(), 0, None

    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
        line = raw.strip()
        where = f"{name}:{number}"
        if not line:
            finish()
        elif line.startswith("#"):
            if fields and last is not None:        # a comment after an entry's strings begins the next entry
                finish()
            start = start or number
            if line.startswith("#~"):
                continue
            if line.startswith("#:"):
                refs += line[2:].split()
            elif line.startswith("#,"):
                flags |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith('"'):
            if last is None:
                raise ValueError(f"{where}: a quoted line that continues no msgid or msgstr")
            fields[last] += _po_string(line, where)
        elif match := _PO_KEYWORD.match(line):
            keyword = match.group(1)
            if keyword in fields or (keyword == "msgctxt" and "msgid" in fields):
                finish()                            # the next entry starts without a blank line
            if keyword.startswith("msgstr") and "msgid" not in fields:
                raise ValueError(f"{where}: {keyword} without a msgid before it")
            start = start or number
            fields[keyword] = _po_string(match.group(3), where)
            last = keyword
        else:
            raise ValueError(f"{where}: not a line of a .po file: {line[:60]!r}")
    finish()
    return entries


def singular_catalogue(path) -> dict[tuple[str | None, str], str]:
    """``{(context, msgid): translation}`` of a .mo file's translated singular entries."""
    return {(e.context, e.msgid): e.msgstrs[0] for e in read_mo(path)
            if e.plural is None and e.msgstrs[0].strip()}


def in_msgid_order(catalogue: Mapping[tuple[str | None, str], str]) -> list[tuple[str, str]]:
    """``(msgid, translation)`` of a catalogue (:func:`singular_catalogue`) in the order of the msgids, then of
    their contexts: the order every reader of catalogues yields its pairs in, the same on every machine."""
    ordered = sorted(catalogue.items(), key=lambda kv: (kv[0][1], kv[0][0] or ""))
    return [(msgid, text) for (_context, msgid), text in ordered]


def merged_catalogues(by_locale: Mapping[str, Path]) -> dict[str, dict]:
    """``{lang: catalogue}`` from ``{locale folder name: .mo path}``; English left out. Where two
    folders are one language (``id`` and ``id_ID``), the larger catalogue's translation is taken
    and the other only adds the entries it lacks."""
    by_lang: dict[str, list[dict]] = defaultdict(list)
    for locale in sorted(by_locale):
        lang = language_of(locale)
        if lang is not None:
            by_lang[lang].append(singular_catalogue(by_locale[locale]))
    merged = {}
    for lang, catalogues in sorted(by_lang.items()):
        merged[lang] = {}
        for catalogue in sorted(catalogues, key=len, reverse=True):
            for key, text in catalogue.items():
                merged[lang].setdefault(key, text)
    return merged


def catalogue_report(source: str, entries: Counter, pairs: Counter, dropped: Mapping[str, Counter], log=print,
                     **more) -> dict:
    """What a reader of catalogues (cataclysm, freeciv) puts in its build report's ``info["read"]``: the
    entries read and the pairs kept per language, ``more``, and what its rules dropped, by reason and by
    language; the drops' totals are logged."""
    totals = sum(dropped.values(), Counter())
    if totals:
        log(f"  {source}: dropped " + ", ".join(f"{n} {why}" for why, n in sorted(totals.items())))
    return {"entries": dict(sorted(entries.items())), "pairs": dict(sorted(pairs.items())), **more,
            "dropped": dict(sorted(totals.items())),
            "dropped_by_language": {lang: dict(sorted(c.items())) for lang, c in sorted(dropped.items()) if c}}


def _wanted(lang: str, langs) -> bool:
    return langs is None or lang in langs


# --- FreeOrion ------------------------------------------------------------------------------

# The sections of en.txt (its "## ..." comment lines) whose entries are descriptive or story text.
FREEORION_SECTIONS = frozenset({
    "Predefined Ship Designs (located in default/scripting/ship_designs/)", "Monsters", "Fields",
    "Encyclopedia article categories and short descriptions", "Encyclopedia articles in Guides category",
    "Encyclopedia articles in Game Concepts category", "Encyclopedia articles", "Guides", "Random beginner hints",
    "Victory/defeat", "Species", "Encyclopedia articles in Species Types category",
    "Encyclopedia articles in Species category", "Specials", "Ship hull categories", "Technology categories",
    "Technology theories", "Technology application",
    "Fighter explanation, needs improving and a Pedia article writing", "Technology refinement", "Buildings",
    "Ship parts", "Ship hulls", "AI diplomacy strings and lists",
})
_KEY_LINE = re.compile(r"^([A-Za-z0-9_]+)\s*(#.*)?$")
_SECTION = re.compile(r"^##\s+(\S.*?)\s*$")
_EXPANSION = re.compile(r"\[\[(?:([A-Za-z]+) )?([A-Za-z0-9_]+)\]\]")   # [[KEY]], [[buildingtype KEY]]
_ARTICLE_PART = re.compile(r"(_SHORT_DESC|_GAMEPLAY_DESC|_DESC|_TITLE|_TEXT|_LABEL)$")


class StringTableEntry(NamedTuple):
    key: str
    text: str
    section: str        # the last "## ..." comment above it


def parse_stringtable(text: str) -> list[StringTableEntry]:
    """The entries of a FreeOrion string table: the first line names the language; then a key
    line (an identifier, maybe a ``#`` comment after it) and its text on the next line, or
    between ``'''`` over several lines. Other ``#`` lines are comments."""
    lines = text.lstrip("\ufeff").splitlines()
    entries, section, i = [], "", 1
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if line.startswith("#"):
            if match := _SECTION.match(line):
                section = match.group(1)
            continue
        key = _KEY_LINE.match(line)
        if not key or i >= len(lines):
            continue
        value = lines[i]
        i += 1
        if value.startswith("'''"):                # a quoted text: up to the line that ends with '''
            value = value[3:]
            while not value.rstrip().endswith("'''") and i < len(lines):
                value += "\n" + lines[i]
                i += 1
            value = value.rstrip().removesuffix("'''")
        entries.append(StringTableEntry(key.group(1), value, section))
    return entries


def expand_references(text: str, table: Mapping[str, str], depth: int = 0) -> str:
    """``[[KEY]]`` -> that entry's text, ``[[type KEY]]`` -> that entry's text (the name of a
    building, tech, ...), expanded again inside; a reference to a key the table lacks stays as it is."""
    def replace(match: re.Match) -> str:
        value = table.get(match.group(2))
        return match.group(0) if value is None or depth >= 8 else expand_references(value, table, depth + 1)
    return _EXPANSION.sub(replace, text)


def freeorion_document(key: str) -> str:
    """The article a key belongs to: ``BLD_SHIPYARD_BASE_DESC`` -> ``games:freeorion:BLD_SHIPYARD_BASE``."""
    return f"{SOURCE}:freeorion:{_ARTICLE_PART.sub('', key)}"


def read_freeorion(root, langs=None) -> Iterator[SourcePair]:
    """Pairs of every language's string table with en.txt, key by key (content sections only)."""
    folder = Path(root) / FREEORION_DIR
    english_entries = parse_stringtable((folder / "en.txt").read_text(encoding="utf-8"))
    english = {e.key: e.text for e in english_entries}
    keys = [e.key for e in english_entries if e.section in FREEORION_SECTIONS]
    for path in sorted(folder.glob("*.txt")):
        lang = language_of(path.stem)
        if lang is None or not _wanted(lang, langs):
            continue
        table = {e.key: e.text for e in parse_stringtable(path.read_text(encoding="utf-8"))}
        for key in keys:
            if key not in table or not english[key].strip():
                continue
            for pair in _pairs(lang, freeorion_document(key), expand_references(english[key], english),
                               expand_references(table[key], table)):
                if "[[" not in pair.english + pair.translation:      # no reference left unexpanded
                    yield pair


# --- Widelands ------------------------------------------------------------------------------

WIDELANDS_CATALOGUES = frozenset({"tribes_encyclopedia", "maps", "texts", "training_wheels", "win_conditions"})
# Files of those catalogues that hold interface text or names: key bindings, credits.
WIDELANDS_NOT_NARRATIVE = frozenset({"tribes/scripting/help/controls.lua", "txts/developers.lua", "txts/AUTHORS.lua",
                                     "txts/TRANSLATORS.lua"})


def is_widelands_narrative(domain: str) -> bool:
    """Stories (campaign, scenario and tutorial maps) and help texts; not the interface
    (``widelands``, ``widelands_editor``, ``widelands_console``) nor the lists of names
    (``tribes``, ``world``)."""
    return domain.startswith(("scenario_", "mp_scenario_", "map_")) or domain in WIDELANDS_CATALOGUES


class Place(NamedTuple):
    """Where a string literal is written in the game's files."""

    path: str               # relative to the data folder
    group: str              # the definition around it: a unit's name, a message's table, a function
    domain: str | None      # the text domain the file declares there, if any


_LUA_TOKEN = re.compile(r"""
      --\[(?P<ceq>=*)\[.*?\](?P=ceq)\]                      # long comment
    | --[^\n]*                                              # comment
    | ^(?:local\s+)?(?P<top>[A-Za-z_][\w.]*)\s*=(?!=)       # a top-level definition
    | ^function\s+(?P<function>[\w.:]+)                     # a top-level function
    | \bname\s*=\s*"(?P<name>[^"\n]*)"                      # a unit's or objective's name
    | \b(?:set|push)_textdomain\s*\(\s*"(?P<domain>[^"]+)"
    | "(?P<dq>(?:[^"\\\n]|\\.)*)"                           # "string"
    | '(?P<sq>(?:[^'\\\n]|\\.)*)'                           # 'string'
    | \[(?P<leq>=*)\[\n?(?P<long>.*?)\](?P=leq)\]           # [[long string]]
""", re.S | re.M | re.X)
_ESCAPES = {"n": "\n", "t": "\t", "\n": "\n"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text, flags=re.S)


def string_literals(source: str) -> Iterator[tuple[str, str, str | None]]:
    """``(literal, group, domain)`` for each string literal of a Lua (or map .ini) file; the group
    is the latest top-level definition or ``name = "..."`` above it."""
    group, domain = "", None
    for m in _LUA_TOKEN.finditer(source):
        if m.group("top") or m.group("function"):
            group = m.group("top") or m.group("function")
        elif m.group("name") is not None:
            group = m.group("name")
        elif m.group("domain"):
            domain = m.group("domain")
        elif m.group("long") is not None:
            yield m.group("long"), group, domain
        elif m.group("dq") is not None or m.group("sq") is not None:
            yield _unescape(m.group("dq") if m.group("dq") is not None else m.group("sq")), group, domain


def widelands_places(data_dir) -> dict[str, list[Place]]:
    """Every string literal of the game's Lua scripts and map files (``elemental``, ``objective``)."""
    data_dir = Path(data_dir)
    places: dict[str, list[Place]] = defaultdict(list)
    files = sorted(p for p in data_dir.rglob("*") if p.is_file() and "locale" not in p.relative_to(data_dir).parts
                   and (p.suffix == ".lua" or p.name in ("elemental", "objective")))
    for path in files:
        rel = path.relative_to(data_dir).as_posix()
        for literal, group, domain in string_literals(path.read_text(encoding="utf-8", errors="replace")):
            places[literal].append(Place(rel, group if path.suffix == ".lua" else "", domain))  # a map: one document
    return places


def widelands_document(domain: str, msgid: str, places: Mapping[str, list[Place]]) -> str | None:
    """Where the text is written: a place in the file that declares ``domain``, else one in the
    map folder the domain names (``scenario_atl01.wmf`` -> ``.../atl01.wmf/...``), else the first;
    the catalogue where the text is found nowhere (texts glued from pieces); None for a text of
    :data:`WIDELANDS_NOT_NARRATIVE`."""
    found = places.get(msgid, [])
    folder = re.sub(r"^(mp_scenario_|scenario_|map_)", "", domain).lower()
    best = ([p for p in found if p.domain == domain]
            or [p for p in found if folder in p.path.lower().split("/")] or found)
    if not best:
        return f"{SOURCE}:widelands:{domain}"
    place = best[0]
    if place.path in WIDELANDS_NOT_NARRATIVE:
        return None
    return f"{SOURCE}:widelands:{place.path}#{place.group}" if place.group else f"{SOURCE}:widelands:{place.path}"


def read_widelands(root, langs=None) -> Iterator[SourcePair]:
    """Pairs of every narrative catalogue of every language: msgid (context dropped) -> msgstr."""
    data_dir = Path(root) / WIDELANDS_DIR
    places = widelands_places(data_dir)
    domains = sorted({p.stem for p in (data_dir / "locale").glob("*/LC_MESSAGES/*.mo")})
    for domain in filter(is_widelands_narrative, domains):
        by_locale = {p.parent.parent.name: p for p in (data_dir / "locale").glob(f"*/LC_MESSAGES/{domain}.mo")}
        for lang, catalogue in merged_catalogues(by_locale).items():
            if not _wanted(lang, langs):
                continue
            for msgid, text in in_msgid_order(catalogue):
                if doc := widelands_document(domain, msgid, places):
                    yield from _pairs(lang, doc, msgid, text)


# --- Warzone 2100 ---------------------------------------------------------------------------

_WZ_STRING = re.compile(r"""_\(\s*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')\s*\)""")
_WZ_ID_LINE = re.compile(r"""^\s*([A-Za-z0-9_-]+)\s+_\(\s*"((?:[^"\\\n]|\\.)*)"\s*\)""")


# Cut-scene subtitles and the scripts of the campaign missions, the fast-play demo and the tutorial
# (not script/rules.js: button labels).
WARZONE_STORY_FILES = ("sequenceaudio/", "script/campaign/", "script/fastplay/", "script/tutorial.js")


def _wz_group(message_id: str) -> str:
    """``CAM1A_MSG2`` -> ``CAM1A``: the lines of one briefing or research item together."""
    return re.sub(r"_MSG\d*$", "", message_id)


def warzone_texts(archive) -> dict[str, str]:
    """``{English text: group}`` of the story and research texts in base.wz, the first place of
    each text in this order: briefing strings (messages/strings/*.txt, but names.txt: names of
    designs), research and intelligence messages (messages/*.json), cut-scene subtitles
    (sequenceaudio/), mission and tutorial scripts (:data:`WARZONE_STORY_FILES`)."""
    texts: dict[str, str] = {}
    with zipfile.ZipFile(archive) as wz:
        names = sorted(n for n in wz.namelist() if not n.endswith("/"))

        def read(name: str) -> str:
            return wz.read(name).decode("utf-8", errors="replace")

        for name in names:
            if re.fullmatch(r"messages/strings/[^/]+\.txt", name) and not name.endswith("/names.txt"):
                for line in read(name).splitlines():
                    if match := _WZ_ID_LINE.match(line):
                        texts.setdefault(_unescape(match.group(2)), _wz_group(match.group(1)))
        for name in names:
            if re.fullmatch(r"messages/[^/]+\.json", name):
                for key, message in json.loads(read(name)).items():
                    lines = message.get("text", []) if isinstance(message, dict) else []
                    for line in [lines] if isinstance(lines, str) else lines:
                        texts.setdefault(line, message.get("id", key))
        for name in names:
            if name.startswith(WARZONE_STORY_FILES) and name.endswith((".txt", ".txa", ".js")):
                for match in _WZ_STRING.finditer(read(name)):
                    texts.setdefault(_unescape(match.group(1) if match.group(1) is not None else match.group(2)),
                                     name)
    return texts


def read_warzone(root, langs=None) -> Iterator[SourcePair]:
    """Pairs of each language's warzone2100.mo, for the msgids that are story or research texts."""
    root = Path(root)
    texts = warzone_texts(root / WARZONE_ARCHIVE)
    by_locale = {p.parent.parent.name: p for p in (root / WARZONE_LOCALE_DIR).glob("*/LC_MESSAGES/warzone2100.mo")}
    for lang, catalogue in merged_catalogues(by_locale).items():
        if not _wanted(lang, langs):
            continue
        for english in sorted(texts):
            if english.strip() and (None, english) in catalogue:
                yield from _pairs(lang, f"{SOURCE}:warzone2100:{texts[english]}", english, catalogue[(None, english)])


# --- all together ---------------------------------------------------------------------------

READERS = {"freeorion": read_freeorion, "widelands": read_widelands, "warzone2100": read_warzone}


def read(roots: Mapping[str, Path], langs: list[str] | None = None) -> Iterator[SourcePair]:
    """Aligned pairs of every game whose package is in ``roots`` (``{package: unpacked tree}``),
    in ``langs`` (canonical codes; None: all)."""
    bar = progress.reading([game for game, package in GAMES.items() if package in roots], f"{SOURCE}: games", "game",
                           show=True)
    for game in bar:
        bar.set_postfix_str(game)
        yield from READERS[game](roots[GAMES[game]], langs)


def game_of(doc: str) -> str:
    return doc.split(":")[1]


def per_game(raw: list[SourcePair], filters=FILTERS) -> dict:
    """Per game and language: the pairs read, those kept by the filters, and the share of the kept
    pairs whose English has at least 5 words (the rest are names and labels)."""
    kept, _ = clean.clean_pairs(raw, filters)
    read_n, kept_n, long_n = Counter(), Counter(), Counter()
    for p in raw:
        read_n[game_of(p.doc), p.lang] += 1
    for p in kept:
        kept_n[game_of(p.doc), p.lang] += 1
        long_n[game_of(p.doc), p.lang] += len(p.english.split()) >= 5
    stats: dict[str, dict] = defaultdict(dict)
    for game, lang in sorted(read_n):
        n = kept_n[game, lang]
        stats[game][lang] = {"read": read_n[game, lang], "kept": n,
                             "five_words_share": round(long_n[game, lang] / n, 4) if n else 0.0}
    return dict(stats)


def format_per_game(report: dict) -> str:
    """Markdown: pairs kept by the filters (before the split) per language and game, and the share of
    them with at least 5 English words."""
    stats = report["info"]["per_game"]
    games = list(stats)
    langs = sorted({lang for g in stats.values() for lang in g})
    lines = ["| lang | " + " | ".join(f"{g} kept (5+ words)" for g in games) + " |", "|---|" + "---|" * len(games)]
    for lang in langs:
        cells = [f"{s['kept']} ({s['five_words_share']:.0%})" if (s := stats[g].get(lang)) else "" for g in games]
        lines.append(f"| {lang} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print,
          parts: list[str] | None = None) -> dict:
    """Fetch the packages, read the pairs, and assemble ``out_dir/corpus``; returns the report.
    ``parts``: only these games (keys of GAMES; the shipped mix takes the GPL-2+ ones, whose
    texts may be redistributed together)."""
    start = time.time()
    unknown = sorted(set(parts or ()) - set(GAMES))
    if unknown:
        raise ValueError(f"no game {unknown}; the games are {sorted(GAMES)}")
    wanted = [GAMES[g] for g in parts] if parts else None
    got, failed = debian.fetch([p for p in packages(langs) if wanted is None or p in wanted], work_dir, log)
    raw = list(read({name: package.root for name, package in got.items()}, langs))
    log(f"{SOURCE}: read {len(raw)} pairs in {time.time() - start:.0f}s")
    info = {
        "packages": {name: debian.licence_report(p, LICENCES[name], f"License: {LICENCES[name]}")
                     for name, p in got.items()},
        "left_out_packages": failed,
        "licence": LICENCE,
        "per_game": per_game(raw),
    }
    report = assemble.assemble(raw, out_dir, SOURCE, KIND, info=info, filters=FILTERS, log=log)
    log(f"{SOURCE}: built in {time.time() - start:.0f}s")
    return report
