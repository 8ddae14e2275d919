"""Freeciv's nations and help: short histories of ~500 peoples and the game's help texts, in ~35 languages.

    package          read here
    freeciv-data     usr/share/locale/<locale>/LC_MESSAGES/freeciv-nations.mo, freeciv-core.mo

Freeciv is a free turn-based strategy game of building a civilisation from the Stone Age to
spaceflight. Two of its catalogues hold prose:

* ``freeciv-nations``: each nation's **legend**, one to five sentences of history and geography
  ("The Evenks are a Tungusic ethnic group in Siberia, Mongolia, and northern China. ..."), about
  500 of them; the rest of the catalogue is names of nations, adjectives and leaders' titles;
* ``freeciv-core``: the game's **help**: governments, buildings, wonders, units, technologies and
  game concepts ("Anarchy offers slightly less corruption than Despotism, but slightly more
  unhappiness."), the tips, and the interface and server messages.

History, geography, society and politics in whole sentences: general prose that the other sources
(software, story dialogue) have little of. ``freeciv-ruledit`` (the ruleset editor's interface) is
not read.

**Alignment.** Each catalogue (.mo, read by :func:`tinykd.data.games.read_mo`) maps an English
msgid to its translation; a pair is one entry. Plural entries (``%d turn``/``%d turns``) are
skipped. An entry is first reduced to its text (:func:`plain`), on both sides:

* the **qualifier**, Freeciv's context written into the msgid before a colon (``?plural:Assyrians``,
  ``?female:Lama %s``, ``?city_surplus:Building tithes``), is cut as the game cuts it before
  showing the text; translators sometimes leave it in their translation, where it is cut too;
* a tip's **label** (``TIP:``, ``TIP 2:``; ``TIPP 2:``, ``CONSEJO 1ª:``, ``ヒント：`` in the
  translations: 22 texts) and the **tag of an AI player** who speaks in a diplomacy message
  (``*%s (AI)* Yes, peace in our time!``; ``*%s (KI)*``, ``*%s (компьютер)*``: 35 texts) are cut;
* the Japanese translators' **notes** (``[訳注:孫の孫]``, ``（訳註：...）``: 37 texts) are removed;
* text **broken at a width** (the tutorial's messages: "Welcome to Freeciv.  ... Your\\ntask is to
  conquer the world!") has the lines of each paragraph joined (:func:`is_hard_wrapped`; not the
  indented tables of keys and commands), lines of CJK text without a space;
* a **bullet** at the start of a line (``* Can clean %s from tiles.``, ``• Kann ...``, `` - If the
  defender is a veteran, ...``, ``— ...``) is removed (:data:`_BULLET`).

Then texts of several lines are cut as the games source does (:func:`tinykd.data.games.plain_pairs`:
lines or paragraphs where both sides have as many and they look aligned; a translation that is
mostly English is given as a copy of the English, which clean's ``untranslated`` filter drops),
and each pair meets the source's rules, counted per reason and language in ``info["read"]``:

* a text with **chat markup** (``[b]``, ``[/link]``, ``[l tgt="tile"]``: the help of the chat's
  formatting, quoting the syntax it explains) is dropped (:data:`_CHAT_MARKUP`);
* a text with an **argument placeholder** (``set <option-name> <value>``, ``Load a game from
  <file-name>.``: server commands' help) is dropped: clean's markup removal would delete the
  placeholder and leave a hole in the sentence, as with cataclysm's snippets;
* a text with **format codes** is kept only if both sides hold the same codes, as many of each,
  in any order (:func:`format_codes`): printf's (``%s``, ``%d``, ``%1$s``, ``%%``), where the
  English's unnumbered codes count as numbered in their order, as C numbers them (``Your %s
  captured the %s %s.`` -> ``%1$s ... %3$s ... %2$s``: the translator's reordering, kept; the
  cataclysm source drops it) and a percent sign after a digit opens none (German ``100%igen``);
  and, where the English has them (the Qt client's texts), Qt's (``%1``, ``%2``; a Turkish
  ``%50`` for "50%" is no code). Kept codes stay as written;
* a **menu item** of the GTK client, its access key marked by one underscore (``C_onnect to Network
  Game``, ``Save Game _As...``), is dropped: the underscore would stay in the English, and menu
  labels are the interface text the firefox source has plenty of;
* a **label** (an English side of fewer than :data:`tinykd.data.cataclysm.MIN_WORDS` words, format
  codes not counted, that does not end as a sentence does: nation names, ``Sheikh %s``, ``Building
  tithes``) is dropped, as in the cataclysm source.

Text that is mostly codes or symbols (``-f/--file and -a/--autoconnect ...``) is dropped by clean's
``code`` filter (:data:`FILTERS`).

**Documents** decide the split: the catalogue and the msgid (``freeciv-nations:The Sami are ...``,
``freeciv-core:Anarchy offers ...``), which the split hashes, so every language of one text lands in
the same split, and a text cut into lines keeps its entry as document. About 120 msgids are in
both catalogues (leaders' titles, one legend): the two documents may fall into two splits, and
assemble's overlap rule then drops the held-out copy.

**Languages.** Locales map to the project's codes as in the other games
(:func:`tinykd.data.games.language_of`: ``pt_BR`` -> ``pt-BR``, ``zh_CN`` -> ``zh-CN``; ``pt`` and
``zh_TW`` are languages of their own). British English (``en_GB``) is left out
(:data:`LEFT_OUT_LOCALES`). The 3.0.6 package has 35 other locales, from about 8,000 translated
entries (ca, fi, fr, pl, ru) down to 1,400 (he, fa); the legends are translated in full in ca, de,
es, fr, pl and ru, in part elsewhere (ja 436, fi 378, gd 348, nl 181, da 167, uk 126, ...).

**Licence**, as the package's debian/copyright states for ``Files: *`` (the game's data and its
translations; no stanza names the translations otherwise): "Copyright: The Freeciv project",
"License: GPL-2+".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from . import cataclysm, clean, debian, games, languages, progress
from .assemble import SourcePair

SOURCE = "freeciv"
KIND = "general prose (nations' histories and the game's help: Freeciv)"
LICENCE = "GPL-2+ (debian/copyright of freeciv-data, Files: *)"
PACKAGE = "freeciv-data"
LOCALE_DIR = "usr/share/locale"
DOMAINS = ("freeciv-nations", "freeciv-core")        # not freeciv-ruledit: the ruleset editor's interface
# Every clean.FILTERS applies: texts that are mostly codes go as code, untranslated copies as untranslated.
FILTERS = clean.FILTERS
LEFT_OUT_LOCALES = {"en_GB": "English (British spelling)"}

_QUALIFIER = re.compile(r"^\?[^:\n]*:")                       # ?plural:, ?Production surplus [short]:
_TIP = re.compile(r"^TIP(?: \d+)?:\s*")                       # TIP:, TIP 2:
_TIP_LABEL = re.compile(r"^\S{1,15}?(?:\s*\d+[ªº]?)?\s*[:：]\s*")   # TIPP 2: / ASTUCE 2 : / CONSEJO 1ª: / ヒント2:
_SPEAKER = re.compile(r"^\*%s \(AI\)\*\s*")                     # *%s (AI)* Yes, peace in our time!
_SPEAKER_THERE = re.compile(r"^\S{0,3}\s?\*?%(?:1\$)?s \([^()]{1,24}\)\*?\s*")  # *%s (KI)*, ال *%s (ذ.ا)*, %s (AI)*
_BULLET = re.compile(r"^[ \t]*[*•·・＊‒–—-][ \t]+", re.M)        # "* ", "  • ", " - ", "— " at a line's start
_CHAT_MARKUP = re.compile(r"\[/?(?:b|i|u|s|c|l|bold|italic|underline|strike|color|colour|link)\b[^\]\n]*\]")
_PLACEHOLDER = re.compile(r"<[A-Za-z][^<>\n]{0,60}>")          # <player-name>, <option name>, <x>
_QT_ARG = re.compile(r"(?<!%)%\d+(?![\d$]|\.\d|[A-Za-z])")       # %1, %2 (not %2d, %1$s, %4.0f)
_ACCESS_KEY = re.compile(r"^[^_]*(?<!\d)_(?=[^\W_])[^_]*$")      # C_onnect to Network Game, Save Game _As...
_NOTE = re.compile(r"\s*(?:\[訳[註注][^\]]*\]|[（(]訳[註注][^）)]*[）)])")   # ja: [訳注:...], （訳註：...）
_WRAPPED = re.compile(r"[^\W_],?\n(?=[a-z])")                   # "Your\ntask is ...": a line broken mid-sentence
_INDENTED = re.compile(r"^[ \t]+\S|^[=-]{3,}$", re.M)             # tables of keys and commands: not wrapped prose
_WIDE = "\u3000-\u9fff\uac00-\ud7af\uff00-\uffef"                  # CJK text: lines joined without a space
_WIDE_BREAK = re.compile(rf"(?<=[{_WIDE}])\n(?=[{_WIDE}])")
_LINE_BREAK = re.compile(r"(?<!\n)[ \t]*\n[ \t]*(?!\n)")           # one line break, not a blank line


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian package to fetch: it holds every language's catalogues, so ``langs`` changes nothing."""
    return [PACKAGE]


def language_of(locale: str) -> str | None:
    """The project's language code of a locale folder; None for English and :data:`LEFT_OUT_LOCALES`."""
    return games.language_of(locale, LEFT_OUT_LOCALES)


def without_qualifier(text: str) -> str:
    """``?plural:Assyrians`` -> ``Assyrians``: the qualifier the game cuts from what it shows."""
    return _QUALIFIER.sub("", text, count=1)


def without_tip_label(english: str, translation: str) -> tuple[str, str]:
    """``TIP 2:  Upgrade ...`` / ``TIPP 2: Siedler ...`` -> ``Upgrade ...`` / ``Siedler ...``: a tip's
    label cut from the English, and from the translation where it opens with a word (and number) and
    a colon; other texts unchanged."""
    if not _TIP.match(english):
        return english, translation
    return _TIP.sub("", english, count=1), _TIP_LABEL.sub("", translation, count=1)


def is_hard_wrapped(english: str) -> bool:
    """Prose whose lines are broken at a width, mid-sentence (the tutorial's messages: "... Your\\ntask
    is to conquer the world!"), not a table of indented lines."""
    return bool(_WRAPPED.search(english)) and not _INDENTED.search(english)


def unwrapped(text: str) -> str:
    """The lines of each paragraph joined (by a space, none between two CJK characters); blank lines kept."""
    return _LINE_BREAK.sub(" ", _WIDE_BREAK.sub("", text))


def without_notes(translation: str) -> str:
    """The Japanese translators' notes (``[訳注:孫の孫]``, ``（訳註：...）``) removed."""
    return _NOTE.sub("", translation)


def has_access_key(english: str) -> bool:
    """A menu item of the GTK client, its access key marked by one underscore (``C_onnect to Network
    Game``, ``Save Game _As...``), not a sentence that names an identifier (``... is PLR_SET.``)."""
    return bool(_ACCESS_KEY.match(english)) and (english.endswith("...") or not english.endswith((".", "!", "?")))


def without_speaker(english: str, translation: str) -> tuple[str, str]:
    """``*%s (AI)* Yes, peace in our time!`` / ``*%s (KI)* Ja, ...`` -> ``Yes, peace in our time!`` /
    ``Ja, ...``: the tag that names an AI player speaking, cut from both sides; other texts unchanged."""
    if not _SPEAKER.match(english):
        return english, translation
    return _SPEAKER.sub("", english, count=1), _SPEAKER_THERE.sub("", translation, count=1)


def without_bullets(text: str) -> str:
    """Each line's bullet (``* ``, ``• ``, `` - ``) removed."""
    return _BULLET.sub("", text)


def format_codes(text: str) -> list[str]:
    """The printf codes of a text, numbered as C numbers them and sorted: ``%s of %d%%`` ->
    ``["%%", "%1$s", "%2$d"]``, the same as a translator's ``%2$d ... %1$s ... %%``. A percent sign
    after a digit opens no code (``100%igen``)."""
    codes, n = [], 0
    for match in cataclysm.FORMAT_CODE.finditer(text):
        code = match.group(0)
        if code != "%%" and text[max(0, match.start() - 1):match.start()].isdigit():
            continue                                     # a percent sign: German "100%igen", not %i
        if code != "%%" and "$" not in code:
            n += 1
            code = f"%{n}${code[1:]}"
        codes.append(code)
    return sorted(codes)


def qt_codes(text: str) -> list[str]:
    """The Qt client's argument codes of a text, sorted (``%1``, ``%2``; not ``%2d``, ``%1$s``, ``%4.0f``)."""
    return sorted(_QT_ARG.findall(text))


def why_dropped(english: str, translation: str) -> str | None:
    """The source's reason to drop a pair, already cut (module docstring), or None."""
    if _CHAT_MARKUP.search(english) or _CHAT_MARKUP.search(translation):
        return "chat markup ([b], [/link])"
    if _PLACEHOLDER.search(english) or _PLACEHOLDER.search(translation):
        return "argument placeholder (<player-name>)"
    if format_codes(english) != format_codes(translation) or (qt_codes(english)
                                                              and qt_codes(english) != qt_codes(translation)):
        return "format codes differ"
    if has_access_key(english):
        return "menu item (access key: C_onnect)"
    if cataclysm.is_label(cataclysm.FORMAT_CODE.sub(" ", _QT_ARG.sub(" ", english))):
        return f"label (< {cataclysm.MIN_WORDS} words, no sentence end)"
    return None


def plain(msgid: str, translation: str) -> tuple[str, str]:
    """An entry's two sides less what is not its text (module docstring): the qualifier, the Japanese
    translators' notes, a tip's label and an AI speaker's tag, line breaks of text broken at a width,
    and bullets."""
    english, text = without_qualifier(msgid), without_notes(without_qualifier(translation))
    english, text = without_speaker(*without_tip_label(english, text))
    if is_hard_wrapped(english):
        english, text = unwrapped(english), unwrapped(text)
    return without_bullets(english), without_bullets(text)


def entry_pairs(lang: str, domain: str, msgid: str, translation: str,
                counts: Counter | None = None) -> Iterator[SourcePair]:
    """The pairs of one catalogue entry (document ``domain:msgid``): made :func:`plain`, cut into lines
    or paragraphs, each part dropped (and counted in ``counts`` by reason) where :func:`why_dropped` says so."""
    counts = Counter() if counts is None else counts
    for pair in games.plain_pairs(lang, f"{domain}:{msgid}", *plain(msgid, translation)):
        why = why_dropped(pair.english, pair.translation)
        if why:
            counts[why] += 1
        else:
            yield pair


def catalogue_files(root, domain: str) -> dict[str, Path]:
    """``{locale: .mo path}`` of one catalogue in an unpacked package (left-out locales included)."""
    return {mo.parent.parent.name: mo
            for mo in sorted((Path(root) / LOCALE_DIR).glob(f"*/LC_MESSAGES/{domain}.mo"))}


def read(roots: Mapping[str, Path], langs: list[str] | None = None, stats: dict | None = None,
         log=print) -> Iterator[SourcePair]:
    """Aligned pairs of the two catalogues in ``roots`` (``{package: unpacked tree}``), in ``langs``
    (project codes, any spelling; None: all). ``stats`` (if given) gets ``"read"``: the entries read and
    the pairs kept per language (and per catalogue), and what the source's rules dropped, by reason and
    language."""
    wanted = None if langs is None else {languages.canonical(code) for code in langs}
    stats = {} if stats is None else stats
    per_lang: Counter = Counter()
    entries: Counter = Counter()
    per_domain: dict[str, Counter] = defaultdict(Counter)
    dropped: dict[str, Counter] = defaultdict(Counter)
    for name in sorted(roots):
        for domain in DOMAINS:
            files = {locale: mo for locale, mo in catalogue_files(roots[name], domain).items() if language_of(locale)}
            if not files:
                raise FileNotFoundError(f"{SOURCE}: no {domain}.mo under {Path(roots[name]) / LOCALE_DIR}")
            catalogues = games.merged_catalogues(files)
            for lang in progress.reading(list(catalogues), f"{SOURCE}: {domain}", "language"):
                if wanted is not None and lang not in wanted:
                    continue
                for msgid, text in games.in_msgid_order(catalogues[lang]):
                    entries[lang] += 1
                    for pair in entry_pairs(lang, domain, msgid, text, dropped[lang]):
                        per_lang[lang] += 1
                        per_domain[domain][lang] += 1
                        yield pair
    stats["read"] = games.catalogue_report(
        SOURCE, entries, per_lang, dropped, log,
        pairs_by_catalogue={d: dict(sorted(c.items())) for d, c in per_domain.items()})


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the package, read the catalogues, and assemble ``out_dir/corpus``; returns the report."""
    return debian.build_source(
        SOURCE, KIND, LICENCE, out_dir, work_dir, log, packages=packages(langs), required=PACKAGE,
        what="the game's translated catalogues", read=lambda roots, stats: read(roots, langs, stats, log=log),
        package_licence=("GPL-2+", "Files: * Copyright: The Freeciv project License: GPL-2+"), filters=FILTERS,
        left_out_locales=LEFT_OUT_LOCALES, catalogues=list(DOMAINS))
