"""FreedroidRPG's dialogue: what its characters say to each other, in nine languages.

    package                     read here
    freedroidrpg-data           usr/share/locale/<locale>/LC_MESSAGES/freedroidrpg-dialogs.mo, -data.mo
                                usr/share/freedroidrpg/data/**/*.lua: where each text is written

FreedroidRPG is a role-playing game told almost wholly in conversation: each of its hundred
characters has a dialogue file (``dialogs/Bender.lua``) of what they and the player say ("Feel
free to stay here. There is no danger.", "Yes, yes, I don't care. Is that all?"). About 6,000
texts a language, most of them short whole sentences of spoken English, translated into Czech,
German, Spanish, French, Hungarian, Italian, Brazilian Portuguese, Russian and Swedish: the
everyday spoken register that manuals and interface strings lack.

**Alignment.** Each catalogue (.mo, read by :func:`tinykd.data.games.read_mo`) maps an English
msgid to its translation; a pair is one entry. Two catalogues are read (:data:`CATALOGUES`): the
dialogues, and the game data's (item and robot descriptions, quest diaries); the third, the
program's own (``freedroidrpg``: menus, the level editor), is interface text and left out. The
game's bold markup (``[b]%s[/b]``) is removed from both sides, its text kept; plural entries are
skipped; texts of several lines are cut as the games source does
(:func:`tinykd.data.games.plain_pairs`). Then, as in the cataclysm source
(:func:`tinykd.data.cataclysm.why_dropped`'s rules, counted per reason and language in the report):
a text whose format codes (``%s``) differ between the sides is dropped, and so are a label (fewer
than three words and no sentence end: an item's name, ``Bender's problem``) and a text with a
``<placeholder>`` (nine in the 1.0 package).

**Documents** decide the split: the Lua file that writes the text (``freedroid:storyline/act1/
dialogs/Bender.lua``: one character's conversation), the first in path order of those that do.
In the specification files (``base/item_specs.lua``, ``droid_specs.lua``: one file, hundreds of
items) each text is a document of its own (the file and the text), as in the cataclysm source; a
text that no Lua file writes (the maps' signs and events) takes its catalogue
(``freedroid:freedroidrpg-data``).

**Licence**, as the package's debian/copyright states for ``Files: *`` (the game, its data and its
po/ translations): "License: GPL-2+".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from . import cataclysm, clean, debian, games, languages, progress
from .assemble import SourcePair

SOURCE = "freedroid"
KIND = "narrative (spoken dialogue)"
LICENCE = "GPL-2+ (debian/copyright of freedroidrpg-data, Files: *)"
PACKAGE = "freedroidrpg-data"
LOCALE_DIR = "usr/share/locale"
DATA_DIR = "usr/share/freedroidrpg/data"
CATALOGUES = ("freedroidrpg-dialogs", "freedroidrpg-data")   # not "freedroidrpg": the program's interface
SPEC_FILES = re.compile(r"(^|/)\w+_specs\.lua$")           # one file, many items: each text a document
FILTERS = clean.FILTERS
LEFT_OUT_LOCALES: dict[str, str] = {}

_BOLD = re.compile(r"\[/?b\]")


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian package to fetch: it holds every language's catalogues, so ``langs`` changes nothing."""
    return [PACKAGE]


def without_markup(text: str) -> str:
    """``A [b]%s[/b] jumps out!`` -> ``A %s jumps out!``: the bold tags removed, their text kept."""
    return _BOLD.sub("", text)


def text_places(data_dir) -> dict[str, str]:
    """``{text: file}``: the first Lua file under ``data_dir`` (in path order) that writes each string literal."""
    data_dir = Path(data_dir)
    places: dict[str, str] = {}
    for path in sorted(p for p in data_dir.rglob("*.lua") if p.is_file()):
        rel = path.relative_to(data_dir).as_posix()
        for literal, _group, _domain in games.string_literals(path.read_text(encoding="utf-8", errors="replace")):
            places.setdefault(literal, rel)
    return places


def document(catalogue: str, msgid: str, places: Mapping[str, str]) -> str:
    """The split's document of a text: its Lua file, the file and the text in a specification file, or
    the catalogue where no Lua file writes it."""
    where = places.get(msgid)
    if where is None:
        return f"{SOURCE}:{catalogue}"
    return f"{SOURCE}:{where}:{msgid}" if SPEC_FILES.search(where) else f"{SOURCE}:{where}"


def entry_pairs(lang: str, doc: str, msgid: str, translation: str, counts: Counter) -> Iterator[SourcePair]:
    """The pairs of one catalogue entry: markup removed, cut into lines, each part dropped (and counted
    in ``counts`` by reason) where the cataclysm source's rules say so."""
    for pair in games.plain_pairs(lang, doc, without_markup(msgid), without_markup(translation)):
        why = cataclysm.why_dropped(pair.english, pair.translation)
        if why:
            counts[why] += 1
        else:
            yield pair


def catalogue_files(root) -> dict[str, dict[str, Path]]:
    """``{catalogue: {locale: .mo path}}`` of an unpacked package."""
    return {name: {mo.parent.parent.name: mo
                   for mo in sorted((Path(root) / LOCALE_DIR).glob(f"*/LC_MESSAGES/{name}.mo"))}
            for name in CATALOGUES}


def read(roots: Mapping[str, Path], langs: list[str] | None = None, stats: dict | None = None,
         log=print) -> Iterator[SourcePair]:
    """Aligned pairs of the game's dialogue and data catalogues in ``roots`` (``{package: unpacked
    tree}``), in ``langs`` (project codes, any spelling; None: all). ``stats`` (if given) gets
    ``"read"``: the entries read and pairs kept per language, and what the rules dropped."""
    wanted = None if langs is None else {languages.canonical(code) for code in langs}
    stats = {} if stats is None else stats
    per_lang: Counter = Counter()
    entries: Counter = Counter()
    dropped: dict[str, Counter] = defaultdict(Counter)
    for name in sorted(roots):
        root = Path(roots[name])
        files = catalogue_files(root)
        if not files[CATALOGUES[0]]:
            raise FileNotFoundError(f"{SOURCE}: no {CATALOGUES[0]}.mo under {root / LOCALE_DIR}")
        places = text_places(root / DATA_DIR)
        bar = progress.reading(list(CATALOGUES), f"{SOURCE}: catalogues", "catalogue")
        for catalogue in bar:
            for lang, catalogue_entries in games.merged_catalogues(files[catalogue]).items():
                if wanted is not None and lang not in wanted:
                    continue
                for msgid, text in games.in_msgid_order(catalogue_entries):
                    entries[lang] += 1
                    for pair in entry_pairs(lang, document(catalogue, msgid, places), msgid, text, dropped[lang]):
                        per_lang[lang] += 1
                        yield pair
    stats["read"] = games.catalogue_report(SOURCE, entries, per_lang, dropped, log)


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the package, read the catalogues, and assemble ``out_dir/corpus``; returns the report."""
    return debian.build_source(
        SOURCE, KIND, LICENCE, out_dir, work_dir, log, packages=packages(langs), required=PACKAGE,
        what="the game's dialogue catalogues", read=lambda roots, stats: read(roots, langs, stats, log=log),
        package_licence=("GPL-2+", "License: GPL-2+"), filters=FILTERS, left_out_locales=LEFT_OUT_LOCALES)
