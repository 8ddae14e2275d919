"""0 A.D.'s prose: history, geography and the game's own texts, in 21 languages.

    package                     read here
    0ad-data                    usr/share/games/0ad/mods/public/public.zip: its l10n/ folder only,
                                <locale>.public-<component>.po (translations), public-<component>.pot

0 A.D. is a historical strategy game of the ancient world (Athenians, Romans, Han, Kushites, ...).
Beside its interface it writes paragraphs of history and geography: the 14 civilisations' histories
("The Athenians were the most powerful of the Greek city-states ..."), the maps' descriptions
("The Sahel is the ecoclimatic and biogeographic zone of transition ..."), about 200 historical
quotes (Aeschylus, Arrian, Plutarch; each its own entry of ``gui/text/quotes.txt``), technology and
aura descriptions, tips, tutorials, the manual's introduction and the lobby's privacy policy and
terms. The game reads its catalogues as .po files (there are no .mo files): they are zip members of
the 3.2 GB public.zip, read with zipfile one by one, the archive never extracted.

**Alignment.** Each catalogue (parsed by :func:`tinykd.data.games.parse_po`) maps an English msgid to
its translation; a pair is one entry, the same English (context and msgid) found in several
components taken once (the first component in name order gives its translation and document).
Fuzzy, plural and untranslated (empty) entries are skipped; a translation identical to the English
is left to clean's ``untranslated`` filter (counted there). Each side is made plain
(:func:`plain_text`): the GUI's tags (``[font="sans-bold-16"]...[/font]``, ``[color=...]``,
``[icon=...]``, ``[imgleft=...]``) are removed, their text kept, escaped brackets ``\\[`` made
brackets (the quotes' editorial ``[Alexander]``, ``[…]``), and line breaks, written or as a literal
``\\n``, become spaces (paragraphs of one description join; translators break lines differently).
Then the source's rules, counted per reason and language in the report's ``info["read"]``:

* a text whose **placeholders** differ between the sides (``%(civ)s``, and printf codes ``%s``, as
  many of each, in any order) is dropped, as in the freedroid and cataclysm sources; kept
  placeholders stay as written on both sides;
* a text of fewer than :data:`MIN_WORDS` English words (placeholders not counted) is dropped: unit
  and building names, AI leaders' names, labels, buttons and short tooltips ("Athenians",
  "Hoplite", "Train units", "Game Setup"); the rest are sentences and prose. In the 0.0.26 package
  the templates hold 5,982 entries (5,811 texts once those of several components are taken once, 53
  of them plural), 2,246 of 4 words or more once plain; of the 115,835 translated entries of the 21
  languages, 71,758 are dropped as short and 9 for their placeholders, 44,047 pairs are read.
* then cataclysm's rules (:func:`tinykd.data.cataclysm.why_dropped`: a ``<placeholder>``).

**Documents** decide the split: the file the template's first ``#:`` reference names
(``zeroad:simulation/data/civs/athen.json``: a civilisation's history and bonuses;
``zeroad:maps/scenarios/sahel.xml``; ``zeroad:gui/hotkeys/spec/selection.json``). The templates'
references are taken, not each catalogue's (Transifex dropped the colon before the field in some:
``athen.jsonAINames[0]``), so every language of a text has one document. The text files the game
reads a line at a time (``.txt``: the quotes, the tips, the manual's introduction, the terms) hold
unrelated entries, so each entry there is a document of its own (the file and the text:
``zeroad:gui/text/quotes.txt:“She [Helen] brought ...``), as freedroid's specification files.

**Languages**: 21, from the file names (``pt_BR`` -> ``pt-BR``; ``en_GB`` is English and left out,
:data:`LEFT_OUT_LOCALES`). Asturian (``ast``) is read, though not among the shipped mix's languages.

**Licence**, as the package's debian/copyright states for ``Files: *`` (the game's data, public.zip
with its l10n/ translations): "Copyright: 2010 Wildfire Games", "License: CC-BY-SA-3.0". The
translators are named in each .po file's header comments.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from . import cataclysm, clean, debian, games, languages, progress
from .assemble import SourcePair

SOURCE = "zeroad"
KIND = "general prose (history, geography and the game's texts: 0 A.D.)"
LICENCE = "CC-BY-SA-3.0 (debian/copyright of 0ad-data, Files: *: 2010 Wildfire Games)"
PACKAGE = "0ad-data"
ARCHIVE = "usr/share/games/0ad/mods/public/public.zip"
FILTERS = clean.FILTERS
LEFT_OUT_LOCALES = {"en_GB": "English (British spelling of the same texts)"}
MIN_WORDS = 4                        # fewer English words: a name, a label or a button

_CATALOGUE = re.compile(r"^l10n/(?P<locale>[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,8})?)\.(?P<component>[\w-]+)\.po$")
_TEMPLATE = re.compile(r"^l10n/(?P<component>[\w-]+)\.pot$")
_FILE = re.compile(r"^(?P<file>.+?\.(?:json|xml|txt|js))")       # json before js: athen.jsonAINames[0]
_TAG = re.compile(r"\[/?(?:font|color|icon|imgleft|imgright|tooltip)(?:=[^\]]*)?\]")
_BROKEN_BREAK = re.compile(r"\\\s?[nN](?=[\s—–-])")          # a literal \n a translator spaced or capitalised
_BACKSLASH = re.compile(r"\\\s?")                               # any other backslash: a broken escape
_NAMED = re.compile(r"%\([A-Za-z_]\w*\)[sdif]")                   # %(civ)s
_LETTER = re.compile(r"[^\W\d_]")


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian package to fetch: it holds every language's catalogues, so ``langs`` changes nothing."""
    return [PACKAGE]


def language_of(locale: str) -> str | None:
    """The project's code of a catalogue's locale (``pt_BR`` -> ``pt-BR``); None for English."""
    return games.language_of(locale, LEFT_OUT_LOCALES)


def plain_text(text: str) -> str:
    """``[font="sans-bold-16"]Athenians[/font]\\nThe \\[Greek] city`` -> ``Athenians The [Greek] city``:
    the GUI's tags removed (their text kept), escaped brackets made brackets, line breaks (real or
    a literal backslash-n) made spaces, spaces collapsed. Escapes a translator broke are mended the
    same way (Turkish ``” \\ N— Herodot``: a line break; ``\\ [Darius]``, ``\\(``: the backslash dropped)."""
    text = _TAG.sub("", text).replace("\\n", "\n").replace("\\[", "[").replace("\\]", "]")
    text = _BACKSLASH.sub("", _BROKEN_BREAK.sub("\n", text))
    return " ".join(text.split())


def placeholders(text: str) -> list[str]:
    """The named placeholders and printf codes of a text, sorted (``%(civ)s``, ``%s``)."""
    return sorted(_NAMED.findall(text) + cataclysm.format_codes(_NAMED.sub(" ", text)))


def word_count(text: str) -> int:
    """Words with a letter in them, placeholders not counted."""
    return sum(bool(_LETTER.search(w)) for w in _NAMED.sub(" ", text).split())


def why_dropped(english: str, translation: str) -> str | None:
    """The source's reason to drop a pair already plain (module docstring), or None."""
    if placeholders(english) != placeholders(translation):
        return "format codes differ"
    if word_count(english) < MIN_WORDS:
        return f"short (< {MIN_WORDS} words)"
    return cataclysm.why_dropped(english, translation)


def reference_file(reference: str, where: str = "") -> str:
    """The file a ``#:`` reference names: ``simulation/data/civs/athen.json:AINames[0]`` (or
    ``...athen.jsonAINames[0]``) -> ``simulation/data/civs/athen.json``; ValueError for another kind."""
    match = _FILE.match(reference)
    if not match:
        raise ValueError(f"{where or SOURCE}: reference {reference!r} names no .json, .xml, .txt or .js file")
    return match.group("file")


def document(reference: str, msgid: str, where: str = "") -> str:
    """The split's document of a text: the file its reference names; in a text file read a line at a
    time (``.txt``), the file and the text."""
    file = reference_file(reference, where)
    return f"{SOURCE}:{file}:{msgid}" if file.endswith(".txt") else f"{SOURCE}:{file}"


def read_catalogues(archive) -> tuple[dict[str, list[games.PoEntry]], dict[str, dict[str, list[games.PoEntry]]]]:
    """``({component: template entries}, {locale: {component: entries}})`` of the archive's l10n/
    members (only those are read)."""
    templates: dict[str, list[games.PoEntry]] = {}
    catalogues: dict[str, dict[str, list[games.PoEntry]]] = defaultdict(dict)
    with zipfile.ZipFile(archive) as z:
        for member in sorted(n for n in z.namelist() if n.startswith("l10n/")):
            template, catalogue = _TEMPLATE.match(member), _CATALOGUE.match(member)
            if not template and not catalogue:
                continue
            name = f"{archive}:{member}"
            try:
                text = z.read(member).decode("utf-8")
            except UnicodeDecodeError as err:
                raise ValueError(f"{name}: not UTF-8 ({err})") from None
            entries = games.parse_po(text, name)
            if template:
                templates[template.group("component")] = entries
            else:
                catalogues[catalogue.group("locale")][catalogue.group("component")] = entries
    return templates, dict(catalogues)


def documents(templates: Mapping[str, list[games.PoEntry]], folder: str = "l10n/") -> dict[tuple[str | None, str], str]:
    """``{(context, msgid): document}`` from the templates' first references, components in name order
    (``folder``: where the templates are, for messages)."""
    docs: dict[tuple[str | None, str], str] = {}
    for component in sorted(templates):
        for e in templates[component]:
            if e.references and (e.context, e.msgid) not in docs:
                where = f"{folder}{component}.pot:{e.line}"
                docs[e.context, e.msgid] = document(e.references[0], e.msgid, where)
    return docs


def merged(components: Mapping[str, list[games.PoEntry]]) -> tuple[dict, dict, int]:
    """One language's catalogue: ``({(context, msgid): translation}, {(context, msgid): first entry},
    texts found in several components)``; fuzzy, plural and empty entries left out, the first component
    in name order giving a text found in several."""
    catalogue: dict[tuple[str | None, str], str] = {}
    first: dict[tuple[str | None, str], tuple[str, games.PoEntry]] = {}
    repeated = 0
    for component in sorted(components):
        for e in components[component]:
            if e.fuzzy or e.plural is not None or not e.msgstrs[0].strip():
                continue
            key = (e.context, e.msgid)
            if key in catalogue:
                repeated += 1
                continue
            catalogue[key] = e.msgstrs[0]
            first[key] = (component, e)
    return catalogue, first, repeated


def read(roots: Mapping[str, Path], langs: list[str] | None = None, stats: dict | None = None,
         log=print) -> Iterator[SourcePair]:
    """Aligned pairs of the game's catalogues in ``roots`` (``{package: unpacked tree}``), in ``langs``
    (project codes, any spelling; None: all). ``stats`` (if given) gets ``"read"``: the entries read and
    pairs kept per language, the texts found in several components, and what the rules dropped."""
    wanted = None if langs is None else {languages.canonical(code) for code in langs}
    stats = {} if stats is None else stats
    per_lang: Counter = Counter()
    entries: Counter = Counter()
    repeated: Counter = Counter()
    dropped: dict[str, Counter] = defaultdict(Counter)
    for name in sorted(roots):
        archive = Path(roots[name]) / ARCHIVE
        if not archive.is_file():
            raise FileNotFoundError(f"{SOURCE}: no {ARCHIVE} under {roots[name]}")
        templates, catalogues = read_catalogues(archive)
        if not catalogues:
            raise FileNotFoundError(f"{SOURCE}: no l10n/<locale>.<component>.po in {archive}")
        docs = documents(templates, f"{archive}:l10n/")
        by_lang = {lang: locale for locale in sorted(catalogues) if (lang := language_of(locale))}
        bar = progress.reading(list(by_lang), f"{SOURCE}: catalogues", "language")
        for lang in bar:
            if wanted is not None and lang not in wanted:
                continue
            locale = by_lang[lang]
            catalogue, first, repeated[lang] = merged(catalogues[locale])
            for (context, msgid), text in sorted(catalogue.items(), key=lambda kv: (kv[0][1], kv[0][0] or "")):
                entries[lang] += 1
                component, entry = first[context, msgid]
                doc = docs.get((context, msgid))
                if doc is None:              # not in any template: the catalogue's own reference
                    where = f"{archive}:l10n/{locale}.{component}.po:{entry.line}"
                    if not entry.references:
                        raise ValueError(f"{where}: {msgid[:40]!r} is in no template and has no #: reference")
                    doc = document(entry.references[0], msgid, where)
                for pair in games.plain_pairs(lang, doc, plain_text(msgid), plain_text(text)):
                    why = why_dropped(pair.english, pair.translation)
                    if why:
                        dropped[lang][why] += 1
                    else:
                        per_lang[lang] += 1
                        yield pair
    stats["read"] = games.catalogue_report(SOURCE, entries, per_lang, dropped, log,
                                           in_several_components=dict(sorted(repeated.items())))


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the package, read the catalogues, and assemble ``out_dir/corpus``; returns the report."""
    return debian.build_source(
        SOURCE, KIND, LICENCE, out_dir, work_dir, log, packages=packages(langs), required=PACKAGE,
        what="the game's data and its translations", read=lambda roots, stats: read(roots, langs, stats, log=log),
        package_licence=("CC-BY-SA-3.0", "License: CC-BY-SA-3.0"), filters=FILTERS, left_out_locales=LEFT_OUT_LOCALES)
