"""Cataclysm: Dark Days Ahead's game texts: item and monster descriptions, dialogue, messages, in ~20 languages.

    package                     read here
    cataclysm-dda-data          usr/share/locale/<locale>/LC_MESSAGES/cataclysm-dda.mo

Cataclysm: Dark Days Ahead is a survival game set after the end of the world; almost all of its
text is data: what the player reads when looking at an item ("A telescoping umbrella which
collapses down for easy storage, useful for keeping dry when wielded."), a monster or a place,
what the characters say ("Heard anything about the outside world?"), the professions' and
scenarios' stories, and the messages of the game ("You have died of dehydration."). Everyday
English about tools, food, clothes, weather, bodies and fear, much of it in whole sentences.

**Alignment.** Each catalogue (.mo, read by :func:`tinykd.data.games.read_mo`) maps an English
msgid to its translation; a pair is one entry. A context (``msgctxt``: ``profession_female``,
``key name``) is not part of the text and is dropped. Plural entries (``%d rock``/``%d rocks``:
item names and counters) are skipped, as in the wesnoth source. Texts of several lines are cut as
the games source does (:func:`tinykd.data.games.plain_pairs`: lines or paragraphs where both
sides have as many and they look aligned; a translation that is mostly English is given as a copy
of the English, which clean's ``untranslated`` filter drops). Then, for each pair, the source's
own rules, counted per kind and language in the report's ``info["read"]``:

* colour and style tags (``<color_red>High</color>``, ``<info>``, ``<good>``, ``<bold>``: see
  :data:`_STYLE_TAG`) are removed from both sides, their text kept;
* a text with a **snippet placeholder** (``<npcname>``, ``<swear>``, ``<the_cataclysm>``: the game
  puts a name or a random phrase there) on either side is dropped: clean's markup removal would
  delete the placeholder and leave a hole in the sentence;
* a text with **format codes** (``%s``, ``%d``, ``%1$s``, ``%%``) is kept only if both sides hold the
  same codes, as many of each (in any order: ``%2$s ... %1$s`` is a translator's reordering); a
  translation that rewrote them (``%1$s lashes %2$s`` -> ``%s schlägt %s``) or lost one is dropped.
  Kept codes stay as written on both sides, as in the games source;
* a **label** (an English side of fewer than :data:`MIN_WORDS` words that does not end as a sentence
  does: ``fire ring``, ``Wearing:``, ``HAY``; ``Yeah, sure.`` is kept) is dropped: item names and
  interface labels, not the narrative text this source is for;
* a Brazilian Portuguese translation with a **glued name**: the English opens with a capital
  letter and the translation with a small one (``boné de beisebol Red Sox cap. Ele fornece ...``
  for "A Red Sox cap.  It provides ...", ``tubo de ensaioUm tubo de ensaio ...``): the pt_BR
  catalogue has about a thousand descriptions with the item's name pasted in front. The rule is
  applied to pt-BR only (:data:`GLUED_NAME_LANGS`): elsewhere a small first letter is the
  translators' habit, not damage (ru ``грузовик для животных`` for "Animal Control Truck", pl
  ``oczy.`` for "The eyes.", es, id), or a Latin word opening a CJK sentence (ja
  ``falseにすると`` for "If false, ..."). A glued name that starts with a capital is not caught.

Text that is mostly format codes or symbols is dropped by clean's ``code`` filter (:data:`FILTERS`).

**Documents** decide the split. The catalogue has no file per text, so each English text is a
document of its own, named by its msgid (``cataclysm:You have died of dehydration.``), which the
split hashes: every language of one text lands in the same split. The context is *not* used:
in this catalogue it names a kind of text (``prof_desc_female``: 238 texts), not one text, and the
same English is often written under two contexts (``profession_male`` and ``profession_female``:
"Beekeeper", "Imker" and "Imkerin"); keyed by the msgid, both go to one split. A text cut into
lines keeps its msgid as document, so its lines stay together.

**Languages.** Locales map to the project's codes as in the other games
(:func:`tinykd.data.games.language_of`: ``es_ES`` -> ``es``, ``it_IT`` -> ``it``, ``pt_BR`` -> ``pt-BR``,
``uk_UA`` -> ``uk``). Argentinian Spanish (``es_AR``) is left out beside ``es_ES`` (:data:`LEFT_OUT_LOCALES`):
a second, complete Spanish catalogue of the same texts (about 30% identical to es_ES, the rest
voseo rewordings: "Querés" for "Deseas"), which would double Spanish with one text's two wordings.
The 0.F-3 package has 25 locales, from 41,000 translated entries (es, ja, ru, zh-CN, pl) down
to a handful (ar: 5, fil-PH: 40, sr: 130); assemble leaves out a language with fewer than 20 pairs.

**Licence**, as the package's debian/copyright states for ``Files: *`` (the game's data and its
translations; no stanza names the po/ or lang/ files otherwise): "Copyright: Kevin Granade
<kevin.granade@gmail.com> ... and many other contributors", "License: CC-BY-SA-3.0".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from . import clean, debian, games, languages, progress
from .assemble import SourcePair

SOURCE = "cataclysm"
KIND = "narrative (game descriptions and dialogue)"
LICENCE = "CC-BY-SA-3.0 (debian/copyright of cataclysm-dda-data, Files: *)"
PACKAGE = "cataclysm-dda-data"
LOCALE_DIR = "usr/share/locale"
DOMAIN = "cataclysm-dda"
# Every clean.FILTERS applies: texts that are mostly codes ("%s: %d") go as code, untranslated
# copies as untranslated.
FILTERS = clean.FILTERS
LEFT_OUT_LOCALES = {"es_AR": "Spanish (Argentina): a second Spanish catalogue of the same texts (es_ES kept as es)"}
GLUED_NAME_LANGS = frozenset({"pt-BR"})   # where a small first letter marks an item name pasted in front
MIN_WORDS = 3                        # an English side with fewer words is a label, unless it ends as a sentence

# <color_red>, </color>, <color_%s>, and the named styles of the game's text (<info>, <good>, ...)
_STYLE_TAG = re.compile(r"</?(?:color(?:_[\w%]+)?|info|good|bad|bold|stat|neutral|header|warning|helpful)>")
_PLACEHOLDER = re.compile(r"<[^<>\s]{1,60}>")           # <npcname>, <swear!>, <C|c>, <reward_count:FMCNote>
# printf codes (also read by the freeciv source)
FORMAT_CODE = re.compile(r"%%|%(?:\d+\$)?[-+#0]*\d*(?:\.\d+)?[sdiufFeEgGxXocp]")
_WORD = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"""[.!?…]["'”»)]*$""")


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian package to fetch: it holds every language's catalogue, so ``langs`` changes nothing."""
    return [PACKAGE]


def language_of(locale: str) -> str | None:
    """The project's language code of a locale folder; None for English and :data:`LEFT_OUT_LOCALES`."""
    return games.language_of(locale, LEFT_OUT_LOCALES)


def without_style(text: str) -> str:
    """``<color_red>High</color>`` -> ``High``: colour and style tags removed, their text kept."""
    return _STYLE_TAG.sub("", text)


def format_codes(text: str) -> list[str]:
    """The printf codes of a text, sorted (``%1$s``, ``%d``, ``%%``)."""
    return sorted(FORMAT_CODE.findall(text))


def is_label(english: str) -> bool:
    """Fewer than :data:`MIN_WORDS` words and no sentence end: ``fire ring``, ``Wearing:``; not ``Yeah, sure.``"""
    return len(_WORD.findall(english)) < MIN_WORDS and not _SENTENCE_END.search(english.strip())


def has_glued_name(english: str, translation: str) -> bool:
    """The English opens with a capital letter and the translation with a small one (pt_BR's pasted item names)."""
    e, t = english.lstrip(), translation.lstrip()
    return bool(e) and bool(t) and e[0].isupper() and t[0].islower()


def why_dropped(english: str, translation: str, lang: str | None = None) -> str | None:
    """The source's reason to drop a pair in ``lang``, already cut and without style tags (module
    docstring), or None."""
    if _PLACEHOLDER.search(english) or _PLACEHOLDER.search(translation):
        return "snippet placeholder (<npcname>)"
    if format_codes(english) != format_codes(translation):
        return "format codes differ"
    if is_label(english):
        return f"label (< {MIN_WORDS} words, no sentence end)"
    if lang in GLUED_NAME_LANGS and translation != english and has_glued_name(english, translation):
        return "glued name (small letter where the English has a capital)"
    return None


def entry_pairs(lang: str, msgid: str, translation: str, counts: Counter | None = None) -> Iterator[SourcePair]:
    """The pairs of one catalogue entry: style tags removed, cut into lines or paragraphs, each part
    dropped (and counted in ``counts`` by reason) where :func:`why_dropped` says so."""
    counts = Counter() if counts is None else counts
    doc = f"{SOURCE}:{msgid}"
    for pair in games.plain_pairs(lang, doc, without_style(msgid), without_style(translation)):
        why = why_dropped(pair.english, pair.translation, lang)
        if why:
            counts[why] += 1
        else:
            yield pair


def catalogue_files(root) -> dict[str, Path]:
    """``{locale: .mo path}`` of an unpacked package (left-out locales included: :func:`read` skips them)."""
    return {mo.parent.parent.name: mo
            for mo in sorted((Path(root) / LOCALE_DIR).glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))}


def read(roots: Mapping[str, Path], langs: list[str] | None = None, stats: dict | None = None,
         log=print) -> Iterator[SourcePair]:
    """Aligned pairs of the game's catalogues in ``roots`` (``{package: unpacked tree}``), in ``langs``
    (project codes, any spelling; None: all). ``stats`` (if given) gets ``"read"``: the entries read and
    the pairs kept per language, and what the source's rules dropped, by reason and language."""
    wanted = None if langs is None else {languages.canonical(code) for code in langs}
    stats = {} if stats is None else stats
    per_lang: Counter = Counter()
    entries: Counter = Counter()
    dropped: dict[str, Counter] = defaultdict(Counter)
    for name in sorted(roots):
        files = {locale: mo for locale, mo in catalogue_files(roots[name]).items() if language_of(locale)}
        if not files:
            raise FileNotFoundError(f"{SOURCE}: no {DOMAIN}.mo under {Path(roots[name]) / LOCALE_DIR}")
        catalogues = games.merged_catalogues(files)
        bar = progress.reading(list(catalogues), f"{SOURCE}: catalogues", "language")
        for lang in bar:
            if wanted is not None and lang not in wanted:
                continue
            for msgid, text in games.in_msgid_order(catalogues[lang]):
                entries[lang] += 1
                for pair in entry_pairs(lang, msgid, text, dropped[lang]):
                    per_lang[lang] += 1
                    yield pair
    stats["read"] = games.catalogue_report(SOURCE, entries, per_lang, dropped, log)


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the package, read the catalogues, and assemble ``out_dir/corpus``; returns the report."""
    return debian.build_source(
        SOURCE, KIND, LICENCE, out_dir, work_dir, log, packages=packages(langs), required=PACKAGE,
        what="the game's translated texts", read=lambda roots, stats: read(roots, langs, stats, log=log),
        package_licence=("CC-BY-SA-3.0", "License: CC-BY-SA-3.0"), filters=FILTERS, left_out_locales=LEFT_OUT_LOCALES)
