"""Tux Paint's stamp captions: one short English sentence per picture, in 70+ languages.

    package                     read here
    tuxpaint-stamps-default     usr/share/tuxpaint/stamps/**/*.txt: one caption per stamp

Tux Paint is a drawing program for children; its "rubber stamps" (a frog, a violin, a 25-cent
coin, a fire engine) each come with a caption that the program shows and reads out: "A frog.",
"A US 25 cent piece ($.25) called a quarter.". Short, plain, everyday sentences about
animals, food, clothes, vehicles and the like, the vocabulary the other sources (interface
strings, manuals, stories) have little of.

**Alignment.** Each stamp's ``.txt`` holds its caption in every language: the first line is the
English, each other line ``<locale>.utf8=<translation>`` (``de.utf8=Ein Frosch.``,
``pt_BR.utf8=Um sapo.``). The upstream script (``po2txt.py``) writes them from the translators'
.po files, so a pair is one line with its file's first line; no guessing is involved. The
translation is taken as written but for .po escapes that the script left in (``\\t``), and Hindi's
sentence mark: its translators typed an ASCII ``|`` for the danda ``।`` (:data:`CHARACTER_FIXES`).
Blank lines are skipped; what is not a translation line (no ``=``, no ``.utf8`` marking, a second
line for one locale, a line that is not UTF-8) is skipped and counted per kind in the report's
``info["read"]``, with the first few named by file and line (``info["skipped_lines"]``); a file
with no English first line or no translation adds nothing. A translation identical to the English
(``km.utf8=A quetzal.``) or empty is read as such and dropped by clean's ``untranslated`` and
``empty`` filters, which count it.

**Documents** decide the split: the stamp's file, relative to the stamps folder
(``tuxpaint:animals/amphibians/frog.txt``), so that a caption goes to one split in every
language. Some captions are written for several stamps (``A frog.``: ``frog.txt`` and
``frog-1.txt``, with the same translations): assemble's overlap rule drops a dev or test pair
whose English or translation is also in a training file, as for every source.

**Languages.** Locales map to the project's codes as the other games' do
(:func:`tinykd.data.games.language_of`: ``pt_BR`` -> ``pt-BR``, ``zh_CN`` -> ``zh-CN``); English
variants (``en_AU``, ``en_GB``, ...) are not translations, and the spelling variants beside a
language that is read are left out (:data:`LEFT_OUT_LOCALES`: Valencian beside ``ca``, Serbian's
Latin script beside ``sr``), as in the wesnoth source, and so is Tamil, whose lines are in the
legacy TSCII encoding, not Unicode (``´Õ þ¾Âõ.`` for "A heart."). Every other locale is a language
of its own (72 in the 2022.06.04 package, from 952 captions in ca, cs, fr, ja, pt down to a few
dozen in ak, nso, oc; assemble leaves out one with fewer than 20 pairs). Part of the Malayalam is English
spelled out in Malayalam letters (``ഒരു ക്രൌനെദ് കരനെ`` for "A crowned crane."); it is kept.

**Licence**, as the package's debian/copyright states for ``Files: *`` (the stamps, their captions
and their translations): "Copyright: 2002-2022 by Bill Kendrick", "License: GPL-2", whose text is
"either version 2 of the License, or (at your option) any later version" (GPL-2+).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

from . import clean, debian, games, languages, progress
from .assemble import SourcePair

SOURCE = "tuxpaint"
KIND = "descriptions (picture captions)"
LICENCE = "GPL-2+ (debian/copyright of tuxpaint-stamps-default)"
PACKAGE = "tuxpaint-stamps-default"
STAMPS_DIR = "usr/share/tuxpaint/stamps"
# Every clean.FILTERS applies: captions are plain sentences ("A frog."); a few are left untranslated.
FILTERS = clean.FILTERS
LEFT_OUT_LOCALES = {"ca@valencia": "Valencian (ca kept)", "sr@latin": "Serbian, Latin script (sr kept)",
                    "ta": "Tamil in the legacy TSCII encoding read as Latin-1, not Unicode (´Õ ¨¸.)"}
# (language, what its translators typed, what they meant): Hindi's danda typed as an ASCII bar.
CHARACTER_FIXES = (("hi", "|", "\u0964"),)
SKIPPED_LINES_NAMED = 20                 # how many skipped lines the report names by file and line

_LINE = re.compile(r"^(?P<locale>[A-Za-z]{2,3}(?:_[A-Za-z0-9]{2,3})?(?:@[A-Za-z]+)?)(?P<utf8>\.utf-?8)?=(?P<text>.*)$",
                   re.IGNORECASE)
_PO_ESCAPE = re.compile(r"\\([tn\"\\])")


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian package to fetch: it holds every language of the captions, so ``langs`` changes nothing."""
    return [PACKAGE]


def language_of(locale: str) -> str | None:
    """The project's language code of a caption's locale; None for English and :data:`LEFT_OUT_LOCALES`."""
    return games.language_of(locale, LEFT_OUT_LOCALES)


def unescape(text: str) -> str:
    """The .po escapes that po2txt.py leaves in a translation (``\\t``, ``\\n``, ``\\"``, ``\\\\``) as characters."""
    return _PO_ESCAPE.sub(lambda m: {"t": "\t", "n": "\n"}.get(m.group(1), m.group(1)), text)


def fixed(lang: str, text: str) -> str:
    """``text`` with :data:`CHARACTER_FIXES` for ``lang`` applied."""
    for fix_lang, typed, meant in CHARACTER_FIXES:
        if lang == fix_lang:
            text = text.replace(typed, meant)
    return text


def read_caption(path, doc: str, counts: Counter | None = None,
                 skipped: list[str] | None = None) -> Iterator[SourcePair]:
    """The pairs of one stamp's caption file (see the module docstring), every language read.

    ``counts`` (if given) gets the lines skipped by kind and the files without English or without a
    translation; ``skipped`` gets ``"file:line: why"`` for each skipped line.
    """
    counts = Counter() if counts is None else counts
    skipped = [] if skipped is None else skipped
    lines = Path(path).read_bytes().split(b"\n")
    english, seen, found = None, set(), 0
    for number, raw in enumerate(lines, 1):
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            counts["lines not UTF-8"] += 1
            skipped.append(f"{doc}:{number}: not UTF-8")
            continue
        if not line.strip():
            continue
        if english is None:                                   # the first line written: the English
            if _LINE.match(line.strip()) and ".utf" in line.split("=", 1)[0].lower():
                counts["files without an English caption"] += 1
                skipped.append(f"{doc}:{number}: a translation where the English caption belongs")
                return
            english = line.strip()
            continue
        match = _LINE.match(line.strip())
        why = ("not a translation line (locale.utf8=text)" if not match else
               "no .utf8 marking (encoding unknown)" if not match.group("utf8") else
               "a second line for this locale" if match.group("locale") in seen else "")
        if why:
            counts[f"lines skipped: {why}"] += 1
            skipped.append(f"{doc}:{number}: {why}")
            continue
        locale = match.group("locale")
        seen.add(locale)
        lang = language_of(locale)
        if lang is None:
            continue
        found += 1
        yield SourcePair(lang, doc, english, fixed(lang, unescape(match.group("text"))))
    if english is None:
        counts["files without an English caption"] += 1
    elif not found:
        counts["files without a translation"] += 1


def stamps_dir(root) -> Path:
    """The stamps folder of an unpacked package (or ``root`` itself, a stamps folder)."""
    root = Path(root)
    stamps = root / STAMPS_DIR if (root / STAMPS_DIR).is_dir() else root
    if not stamps.is_dir():
        raise FileNotFoundError(f"{SOURCE}: no stamps folder {STAMPS_DIR} in {root}")
    return stamps


def caption_files(stamps: Path) -> list[Path]:
    """The caption files under a stamps folder, in path order."""
    return sorted(p for p in stamps.rglob("*.txt") if p.is_file())


def read(roots: Mapping[str, Path], langs: list[str] | None = None, stats: dict | None = None,
         log=print) -> Iterator[SourcePair]:
    """Aligned pairs of every caption file in ``roots`` (``{package: unpacked tree}``), in ``langs``
    (project codes; None: all). ``stats`` (if given) gets ``"read"`` (files, pairs per language, what was
    skipped) and ``"skipped_lines"`` (the first :data:`SKIPPED_LINES_NAMED` skipped lines, by file and line)."""
    wanted = None if langs is None else {languages.canonical(code) for code in langs}
    stats = {} if stats is None else stats
    counts: Counter = Counter()
    skipped: list[str] = []
    per_lang: Counter = Counter()
    for name in sorted(roots):
        stamps = stamps_dir(roots[name])
        bar = progress.reading(caption_files(stamps), f"{SOURCE}: captions", "file")
        for path in bar:
            counts["files"] += 1
            doc = f"{SOURCE}:{path.relative_to(stamps).as_posix()}"
            for pair in read_caption(path, doc, counts, skipped):
                if wanted is None or pair.lang in wanted:
                    per_lang[pair.lang] += 1
                    yield pair
    stats["read"] = {**dict(sorted(counts.items())), "pairs": dict(sorted(per_lang.items()))}
    stats["skipped_lines"] = skipped[:SKIPPED_LINES_NAMED]
    if skipped:
        log(f"  {SOURCE}: {len(skipped)} lines skipped, e.g. {skipped[0]} (info.read says how many of each kind)")


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the package, read the captions, and assemble ``out_dir/corpus``; returns the report."""
    gpl = "either version 2 of the License, or (at your option) any later version"
    return debian.build_source(
        SOURCE, KIND, LICENCE, out_dir, work_dir, log, packages=packages(langs), required=PACKAGE,
        what="the stamps' captions", read=lambda roots, stats: read(roots, langs, stats, log=log),
        package_licence=("GPL-2+", gpl), filters=FILTERS, left_out_locales=LEFT_OUT_LOCALES,
        character_fixes={lang: f"{typed} -> {meant}" for lang, typed, meant in CHARACTER_FIXES})
