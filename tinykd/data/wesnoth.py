"""Battle for Wesnoth's stories: what its characters say and its narrator tells, in 50+ languages.

    package                     read here
    wesnoth-1.16-data           usr/share/games/wesnoth/1.16/locale/<locale>/LC_MESSAGES/wesnoth-*.mo
    wesnoth-1.16-<campaign>     (each package adds its campaign's catalogue, wesnoth-<campaign>.mo)
                                usr/share/games/wesnoth/1.16/data/**/*.cfg, *.lua: where each text is written

The game's 16 campaigns are told in dialogue (``message= _ "Delfador, some orcs are following us!
We must make haste!"``) and narration between scenarios; with the tutorial, the units'
descriptions, the help and the multiplayer scenarios, every language has about 12,000 translated
texts, most of them whole sentences of everyday English: the general narrative text that the
other sources (interface strings, manuals, names) lack.

**Alignment.** Each catalogue (.mo, read by :func:`tinykd.data.games.read_mo`) maps an English
msgid to its translation; a pair is one entry. Wesnoth writes a context into the msgid itself,
before a caret (``scenario name^Blackwater Port``, ``female^Sergeant``): it is cut from the English
and, where a translator left it in place, from the translation. Plural entries (counters) are
skipped; so are the interface catalogues (:data:`INTERFACE_DOMAINS`, menus and the editor: the
firefox source has interface text). Texts of several lines are cut as the games source does
(:func:`tinykd.data.games.aligned_parts`). The help's markup is reduced to its text
(``<italic>text='Campaigns'</italic>`` -> ``Campaigns``; images and jumps dropped), then
tags are removed as in the games source. Variables (``$unit.name``) stay on both sides.

**Documents** decide the split: the WML or Lua file under ``data/`` where the text is written
(``wesnoth:campaigns/Heir_To_The_Throne/scenarios/02_Blackwater_Port.cfg``): one scenario, one
unit, one help section. A text written in several files takes the first (in path order) of those
that declare its catalogue (``#textdomain wesnoth-httt``); a text written nowhere (assembled from
macros) takes its catalogue as document (``wesnoth:wesnoth-httt``). Interface text is left out: the
core catalogue's texts that no data file writes (the C++ code's) and those of the GUI, theme and
preference files (:data:`INTERFACE_PLACES`).

**Languages.** Locale folders that are not a living language of their own are left out
(:data:`LEFT_OUT_LOCALES`: Old English, Ancient Greek, Latin, English in the Shavian alphabet,
Valencian spellings, Serbian's Latin and ijekavian variants beside ``sr``).

**Licence**, as debian/copyright of wesnoth-1.16-data (and of each campaign package, the same file)
states: "This program is free software; you can redistribute it and/or modify it under the terms
of the GNU General Public License version 2 or at your option any later version" (GPL-2+); the
translations are part of the game's source (its po/ folder).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from . import clean, debian, games, progress
from .assemble import SourcePair

SOURCE = "wesnoth"
KIND = "narrative (story dialogue)"
LICENCE = "GPL-2+ (debian/copyright of wesnoth-1.16-data and the campaign packages)"
BRANCH = "1.16"
GAME_DIR = f"usr/share/games/wesnoth/{BRANCH}"
# The campaign packages (their catalogue: wesnoth-<name>, but ttb's is wesnoth-tb).
CAMPAIGNS = ("did", "dm", "dw", "ei", "httt", "l", "low", "nr", "sof", "sota", "sotbe", "thot", "trow", "tsg", "ttb",
             "utbs")
DATA_PACKAGE = f"wesnoth-{BRANCH}-data"
FILTERS = clean.FILTERS
# Menus, dialogs and the map editor: interface text, not narrative. The core catalogue ("wesnoth")
# also holds the interface strings of the game's C++ code (written in no data file) and of the
# files and folders below.
INTERFACE_DOMAINS = frozenset({"wesnoth-lib", "wesnoth-editor"})
INTERFACE_PLACES = ("gui/", "themes/", "advanced_preferences.cfg", "english.cfg", "game_config.cfg", "cores.cfg",
                    "_main.cfg")
LEFT_OUT_LOCALES = {
    "ang@latin": "Old English", "grc": "Ancient Greek", "la": "Latin", "en@shaw": "English (Shavian alphabet)",
    "en_GB": "English", "racv": "Valencian (own orthography)", "ca_ES@valencia": "Valencian",
    "sr@latin": "Serbian, Latin script (sr kept)", "sr@ijekavian": "Serbian, ijekavian (sr kept)",
    "sr@ijekavianlatin": "Serbian, ijekavian Latin (sr kept)",
}


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian packages to fetch: each holds every language of its catalogues, so ``langs`` changes nothing."""
    return [DATA_PACKAGE] + [f"wesnoth-{BRANCH}-{c}" for c in CAMPAIGNS]


# --- the text of a catalogue entry ------------------------------------------------------------

_HELP_TEXT = re.compile(r"<(\w+)>(?:(?!</\1>).)*?\btext='((?:[^'\\]|\\.)*)'(?:(?!</\1>).)*</\1>", re.S)
_HELP_ELEMENT = re.compile(r"<(img|jump|ref|format|bold|italic|header)>.*?</\1>", re.S)


def without_context(text: str) -> str:
    """``scenario name^Blackwater Port`` -> ``Blackwater Port``: Wesnoth's context, written before a
    caret, is not part of the text."""
    return text.split("^", 1)[1] if "^" in text else text


def plain_text(text: str) -> str:
    """The help's markup elements reduced to their ``text='...'`` (or dropped: images, jumps),
    then other tags and character references as :func:`tinykd.data.games.strip_markup` does."""
    text = _HELP_TEXT.sub(lambda m: m.group(2).replace("\\'", "'"), text)
    return games.strip_markup(_HELP_ELEMENT.sub("", text))


def entry_pairs(lang: str, doc: str, msgid: str, translation: str) -> Iterator[SourcePair]:
    """The pairs of one catalogue entry: context cut, markup reduced, cut into lines or paragraphs."""
    english = without_context(msgid)
    context = msgid.split("^", 1)[0] + "^" if "^" in msgid else None
    if context and translation.startswith(context):                      # a translator left it in place
        translation = translation[len(context):]
    return games.plain_pairs(lang, doc, plain_text(english), plain_text(translation))


# --- where each text is written ---------------------------------------------------------------

_WML_TOKEN = re.compile(r"""
      ^\#textdomain\s+(?P<domain>\S+)                    # the catalogue of what follows
    | \#[^\n]*                                           # a comment (or a preprocessor line)
    | \b_\s*"(?P<wml>(?:[^"]|"")*)"                      # _ "translatable", "" a quote
    | \b_\s*<<(?P<raw>.*?)>>                             # _ <<translatable, raw>>
    | "(?:[^"]|"")*"                                     # an untranslatable string: skipped whole
""", re.S | re.M | re.X)
_LUA_DOMAIN = re.compile(r"""textdomain\s*\(?\s*["'](wesnoth[\w-]*)["']""")


def wml_strings(source: str) -> Iterator[tuple[str, str | None]]:
    """``(text, catalogue)`` for each translatable string of a WML file."""
    domain = None
    for m in _WML_TOKEN.finditer(source):
        if m.group("domain"):
            domain = m.group("domain")
        elif m.group("wml") is not None:
            yield m.group("wml").replace('""', '"'), domain
        elif m.group("raw") is not None:
            yield m.group("raw"), domain


def lua_strings(source: str) -> Iterator[tuple[str, str | None]]:
    """``(text, catalogue)`` for each string literal of a Lua file; the catalogue is the one the
    file binds to ``_`` (``wesnoth.textdomain "wesnoth-tutorial"``), if any."""
    bound = _LUA_DOMAIN.search(source)
    for literal, _group, _domain in games.string_literals(source):
        yield literal, bound.group(1) if bound else None


def text_places(data_dir) -> dict[str, list[tuple[str, str | None]]]:
    """``{text: [(file, catalogue), ...]}`` for every translatable string of the game's WML and Lua
    files under ``data_dir``, files in path order."""
    data_dir = Path(data_dir)
    places: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for path in sorted(p for p in data_dir.rglob("*") if p.suffix in (".cfg", ".lua") and p.is_file()):
        source = path.read_text(encoding="utf-8", errors="replace")
        strings = wml_strings(source) if path.suffix == ".cfg" else lua_strings(source)
        rel = path.relative_to(data_dir).as_posix()
        for text, domain in strings:
            places[text].append((rel, domain))
    return places


def document(catalogue: str, msgid: str, places: Mapping[str, list[tuple[str, str | None]]]) -> str | None:
    """The file that writes ``msgid`` for ``catalogue`` (else any file that writes it), or the
    catalogue; None for interface text (:data:`INTERFACE_PLACES`, or the core catalogue's texts
    that no data file writes: the C++ code's)."""
    found = places.get(msgid, [])
    best = [path for path, domain in found if domain == catalogue] or [path for path, _ in found]
    if not best:
        return None if catalogue == "wesnoth" else f"{SOURCE}:{catalogue}"
    return None if best[0].startswith(INTERFACE_PLACES) else f"{SOURCE}:{best[0]}"


# --- reading every catalogue ------------------------------------------------------------------

def catalogue_files(roots: Mapping[str, Path]) -> dict[str, dict[str, Path]]:
    """``{catalogue: {locale: .mo path}}`` over every unpacked package (interface catalogues and
    left-out locales not included)."""
    found: dict[str, dict[str, Path]] = defaultdict(dict)
    for root in roots.values():
        for mo in sorted((Path(root) / GAME_DIR / "locale").glob("*/LC_MESSAGES/*.mo")):
            locale = mo.parent.parent.name
            if mo.stem not in INTERFACE_DOMAINS and locale not in LEFT_OUT_LOCALES:
                found[mo.stem][locale] = mo
    return dict(sorted(found.items()))


def read(roots: Mapping[str, Path], langs: list[str] | None = None) -> Iterator[SourcePair]:
    """Aligned pairs of every narrative catalogue in ``roots`` (``{package: unpacked tree}``), in
    ``langs`` (canonical codes; None: all)."""
    places: dict[str, list] = defaultdict(list)
    for name in sorted(roots):
        for text, found in text_places(Path(roots[name]) / GAME_DIR / "data").items():
            places[text].extend(found)
    catalogues = catalogue_files(roots)
    bar = progress.reading(list(catalogues), f"{SOURCE}: catalogues", "catalogue", show=True)
    for catalogue in bar:
        bar.set_postfix_str(catalogue)
        for lang, entries in games.merged_catalogues(catalogues[catalogue]).items():
            if langs is not None and lang not in langs:
                continue
            for msgid, text in games.in_msgid_order(entries):
                if doc := document(catalogue, msgid, places):
                    yield from entry_pairs(lang, doc, msgid, text)


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the packages, read the pairs, and assemble ``out_dir/corpus``; returns the report."""
    return debian.build_source(
        SOURCE, KIND, LICENCE, out_dir, work_dir, log, packages=packages(langs), required=DATA_PACKAGE,
        what="the game's core catalogues and data", read=lambda roots, stats: read(roots, langs),
        package_licence=("GPL-2+", "or at your option any later version"), filters=FILTERS,
        left_out_locales=LEFT_OUT_LOCALES, interface_catalogues_left_out=sorted(INTERFACE_DOMAINS))
