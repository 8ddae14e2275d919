"""FreeDict bilingual dictionaries as parallel text: English words and short phrases with their translations.

FreeDict (https://freedict.org) publishes free translating dictionaries, written in TEI and shipped
by Debian in the dictd format, one package per direction:

    dict-freedict-eng-deu   usr/share/dictd/freedict-eng-deu.index      headword TAB offset TAB length
                            usr/share/dictd/freedict-eng-deu.dict.dz    the entries, plain text (gzip-compatible)
    dict-freedict-deu-eng   the other direction (another headword list, not a mirror)

Offsets and lengths in the index are base-64 numbers (``A``-``Z``, ``a``-``z``, ``0``-``9``, ``+``,
``/``). An entry is the TEI entry rendered as text: a headword line (headword, pronunciation in
slashes, grammar in angle brackets), then the senses, numbered ``1.``, ``2.`` (``I.``/``II.`` and
``a.`` in some) when there are several. A sense's translations stand on its first line, separated
by commas; what follows is definitions, notes, examples and cross-references::

    smoky //ˈsmoʊki// <adj>
    1. savuinen
    filled with smoke
    2. savuinen, savunmakuinen
    having a smoke flavor

Alignment: the dictionary aligns the headword with its translations; here each (headword,
translation) is one pair, the English side being the headword of an ``eng-xxx`` dictionary, or a
translation of an ``xxx-eng`` one. From the first :data:`MAX_SENSES` senses at most
:data:`MAX_TRANSLATIONS` translations are kept per headword; a translation loses its labels
(``<n, masc>``, ``[Am.]``, ``(mim.)``), placeholders (sth., sb., etw., jdn., vmit) and a final
period; it is dropped when it is longer than :data:`MAX_WORDS` words or :data:`MAX_CHARS`
characters (an explanation rather than a translation), holds a cross-reference (``{...}``), a
path-like ``/``, a colon, an ellipsis, a sentence break (". "), or is an affix (``-kuvioinen``).
A sense whose number stands alone on its line has no translation (only a definition), and a
translation must be in the right script (English in Latin letters, Japanese with kana or kanji,
Russian in Cyrillic, ...), which keeps definitions out. A translation that is the English word
itself, but for case ("Tokyo", "Geisha"), is left out and counted (``copies``).

Ten dictionaries imported from one old source lost the spaces of many translations
("gotothecinema", 14% of nld-eng): where another dictionary has the phrase with its spaces, they
are put back (:func:`unglue`, counted as ``unglued``).

Language codes: ISO 639-3 in package names, mapped to the project's codes in :data:`LANGUAGES`.
Three are not what the code says: ``eng-rom`` is English-Romanian (``ro``: "linie de comandă"),
not Romany; ``nor`` is Norwegian Bokmål (``nb``: "ikke", "jeg"); ``por`` is mostly Brazilian
Portuguese (``pt-BR``: "ônibus", "trem", "registro"; por-eng has a few pre-1990 spellings).

Document = the English word, lowercased (``freedict:house``): every pair of one English word goes
to one split in every language, so a held-out word is never trained on.

Licence: per dictionary, as the packages' shared copyright file states it (``Files: deu-eng/*``):
GPL-2+ for most, GPL-3+ (deu-eng, eng-deu, dan-eng, eng-dan, isl-eng, slv-eng), GPL-2 (eng-hun,
hun-eng), CC-BY-SA-3.0 (jpn-eng, and the 2022.12 Wiktionary-based eng-bul, eng-fin, eng-ind,
eng-jpn, eng-nor, ell-eng, fin-eng, pol-eng), CC-BY-3.0 (epo-eng), GPL-3+ and GFDL-1.2+ (eng-pol).
The build report records each package's licence as read from its copyright file.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from . import assemble, clean, corpus, debian, progress, split

SOURCE = "freedict"
KIND = "dictionary"
LICENCE = ("per dictionary (see info.packages): GPL-2+ for most; GPL-3+, GPL-2, CC-BY-SA-3.0, CC-BY-3.0, "
           "GPL-3+ and GFDL-1.2+ for some; copyright FreeDict contributors and the dictionaries' authors")
FILTERS = ("empty", "untranslated")          # words and short phrases: no code or length-ratio filter

MAX_SENSES = 3            # translations are taken from the first senses only
MAX_TRANSLATIONS = 3      # per headword
MAX_WORDS = 6             # a longer "translation" is an explanation
MAX_CHARS = 48            # eng-hrv and hrv-eng cut phrases at 50 characters ("... o određi")

# ISO 639-3 (FreeDict's package names) -> the project's language codes (languages.canonical)
LANGUAGES = {
    "afr": "af", "ara": "ar", "bul": "bg", "ces": "cs", "cym": "cy", "dan": "da", "deu": "de", "ell": "el",
    "epo": "eo", "fin": "fi", "fra": "fr", "gle": "ga", "hin": "hi", "hrv": "hr", "hun": "hu", "ind": "id",
    "isl": "is", "ita": "it", "jpn": "ja", "kha": "kha", "kur": "ku", "lat": "la", "lit": "lt", "nld": "nl",
    "nor": "nb",        # the dictionary is Norwegian Bokmål
    "pol": "pl",
    "por": "pt-BR",     # mostly Brazilian spelling and words
    "rom": "ro",        # FreeDict's eng-rom is English-Romanian, not Romany
    "rus": "ru", "slk": "sk", "slv": "sl", "spa": "es", "srp": "sr", "swe": "sv", "swh": "sw", "tur": "tr",
}
# The FreeDict dictionaries with English on one side that Debian 12 (bookworm) ships.
DICTIONARIES = (
    "afr-eng", "ara-eng", "ces-eng", "cym-eng", "dan-eng", "deu-eng", "ell-eng", "epo-eng", "fin-eng", "fra-eng",
    "gle-eng", "hrv-eng", "hun-eng", "isl-eng", "ita-eng", "jpn-eng", "kha-eng", "kur-eng", "lat-eng", "lit-eng",
    "nld-eng", "pol-eng", "por-eng", "slk-eng", "slv-eng", "spa-eng", "srp-eng", "swe-eng", "swh-eng", "tur-eng",
    "eng-afr", "eng-ara", "eng-bul", "eng-ces", "eng-cym", "eng-dan", "eng-deu", "eng-ell", "eng-fin", "eng-fra",
    "eng-gle", "eng-hin", "eng-hrv", "eng-hun", "eng-ind", "eng-ita", "eng-jpn", "eng-lat", "eng-lit", "eng-nld",
    "eng-nor", "eng-pol", "eng-por", "eng-rom", "eng-rus", "eng-spa", "eng-srp", "eng-swe", "eng-swh", "eng-tur",
)
# A translation into these languages must hold a letter of its script (names as in unicodedata);
# every other language, and English, is written in Latin letters only.
SCRIPTS = {"ar": ("ARABIC",), "bg": ("CYRILLIC",), "el": ("GREEK",), "hi": ("DEVANAGARI",),
           "ja": ("CJK", "HIRAGANA", "KATAKANA"), "ru": ("CYRILLIC",), "sr": ("CYRILLIC",)}


def package_name(dictionary: str) -> str:
    return f"dict-freedict-{dictionary}"


def dictionary_language(dictionary: str) -> str | None:
    """The project's code of the non-English side of ``deu-eng`` / ``eng-deu``; None if neither side is English."""
    source, target = dictionary.split("-")
    if "eng" not in (source, target) or source == target:
        return None
    return LANGUAGES.get(target if source == "eng" else source)


def packages(langs: list[str] | None = None) -> list[str]:
    """The Debian packages of every dictionary between English and ``langs`` (all languages by default)."""
    return [package_name(d) for d in DICTIONARIES if langs is None or dictionary_language(d) in langs]


# --- the dictd files -------------------------------------------------------------------------------------

_B64 = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


def decode_number(text: str) -> int:
    """A dictd index number: base 64, most significant digit first (``"B0"`` = 1 * 64 + 52)."""
    n = 0
    for c in text:
        n = n * 64 + _B64[c]
    return n


def dictd_entries(index_path) -> Iterator[str]:
    """The text of every entry of a dictd dictionary, in file order, each once, without the
    ``00-database-*`` entries (the dictionary's own description)."""
    index_path = Path(index_path)
    stem = index_path.with_suffix("")
    dict_path = Path(f"{stem}.dict.dz") if Path(f"{stem}.dict.dz").is_file() else Path(f"{stem}.dict")
    if dict_path.suffix == ".dz":                  # dictzip: gzip with an index of chunks, which we need not
        with gzip.open(dict_path) as f:
            data = f.read()
    else:
        data = dict_path.read_bytes()
    spans = set()
    for line in index_path.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.split("\t")
        if len(fields) != 3 or fields[0].startswith(("00-database", "00database")):
            continue
        spans.add((decode_number(fields[1]), decode_number(fields[2])))
    for offset, length in sorted(spans):
        yield data[offset:offset + length].decode("utf-8", errors="replace")


# --- one entry ---------------------------------------------------------------------------------------------

class Entry(NamedTuple):
    """A headword (as printed) and the translation line of each sense (None: the sense has none)."""

    headword: str
    senses: list


_MARKER = re.compile(r"\s*(?:(?P<roman>[IVX]{1,4})\.|(?P<number>\d{1,2})\.|(?P<letter>[a-h])\.|(?P<label><[^<>]*>))"
                     r"(?=\s|$)")                              # "I.", "2.", "b.", and "<N>" between them
_TRAILING_NUMBER = re.compile(r"\s(\d{1,2})\.\s*$")            # "ジーナ 2.": sense 2 starts after sense 1's text
_NOTE = re.compile(r"(see also|see|synonyms?|antonyms?|note)\s*:", re.IGNORECASE)
_OPENING = re.compile(r"[(\[<（]")
_GROUPS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|<[^<>]*>|（[^（）]*）")   # innermost (...) [...] <...> （...）


def strip_groups(text: str) -> str:
    """Remove every bracketed group, nested ones too: ``"(noun (common))"`` -> ``""``."""
    if not _OPENING.search(text):
        return text
    while True:
        stripped = _GROUPS.sub(" ", text)
        if stripped == text:
            return text
        text = stripped


def _only_labels(text: str) -> bool:
    return not re.sub(r"[\s,.;]", "", strip_groups(text))


def parse_entry(text: str) -> Entry:
    """The headword line and, per sense, the line that holds its translations (see the module docstring).

    A sense line that holds only labels (JMdict's ``(noun (common) (futsuumeishi))``) hands on to
    the next line; a sense number alone on its line, or a note, means the sense has no translation.
    """
    lines = text.strip("\n").split("\n")
    headword, body = lines[0], lines[1:]
    senses: list = []
    open_sense = False          # the current sense still waits for its translation line
    expected = 1                # the next sense number that counts as a marker ("30. marraskuuta" is none)
    for line in body:
        rest, marked = line, False
        while match := _MARKER.match(rest):
            if match["roman"]:
                expected = 1
            elif match["number"]:
                if int(match["number"]) != expected:
                    break
                expected += 1
            rest, marked = rest[match.end():], marked or not match["label"]
        if not marked and not senses:
            if not rest.strip():
                continue                                   # blank lines before an unnumbered first sense
            expected = 2                                   # its text may end with "2.", the next sense
        if marked or not senses:
            senses.append(None)
            open_sense = True
        trailing = _TRAILING_NUMBER.search(rest)
        ends_sense = bool(trailing) and int(trailing.group(1)) == expected
        if trailing:                                       # a sense number, whether next or not ("риф 2.")
            rest = rest[:trailing.start()]
        if ends_sense:
            expected += 1
        content = rest.strip()
        if open_sense:
            if (marked and not content) or _NOTE.match(content):
                open_sense = False                         # a definition or a note follows: no translation
            elif content and not _only_labels(content):
                senses[-1], open_sense = content, False
        if ends_sense:
            senses.append(None)                            # its number ended the line: a definition follows
            open_sense = False
    return Entry(headword, senses)


_BRACKET = re.compile(r"[(\[<{（]")
_SEPARATOR = re.compile(r"[,;]")


def split_items(line: str) -> list[str]:
    """Split a translation line at the commas and semicolons outside brackets."""
    if not _BRACKET.search(line):
        return [item.strip() for item in _SEPARATOR.split(line) if item.strip()]
    items, depth, start = [], 0, 0
    for i, c in enumerate(line):
        if c in "([<{（":
            depth += 1
        elif c in ")]>}）":
            depth = max(0, depth - 1)
        elif c in ",;" and depth == 0:
            items.append(line[start:i])
            start = i + 1
    items.append(line[start:])
    return [item.strip() for item in items if item.strip()]


# --- cleaning one word or phrase ------------------------------------------------------------------------

# Placeholders for an object: English sth./sb./sb's (and eng-hun's sg/sy), German etw./jdn./jdm./jds./jd.,
# Hungarian vki/vmi with their endings (vkit, vminek, ...).
_PLACEHOLDER = re.compile(r"(?<!\w)(?:sth|sb|sg|sy|etw|jd[mns]?)\b\.?(?:'s)?|(?<!\w)v(?:ki|mi|hol|hova|honnan)\w*")
_REJECT = re.compile(r"[{}:/=\"|#@…]|\.\.|\.\s|^[-–]|[-–]$")     # ". " ends a sentence: an explanation follows
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})          # "arm‐rest" is "arm-rest"
_STRESS = "\u0301"          # the acute that dictionaries put on the stressed vowel (Bulgarian, Russian)
_FIXES = {
    "nl": str.maketrans({"ĳ": "ij", "Ĳ": "IJ"}),        # the Dutch ij ligature, spelt as two letters everywhere else
    "hu": str.maketrans({"ô": "ő", "û": "ű", "Ô": "Ő", "Û": "Ű"}),   # ő/ű stored as Latin-1 ô/û (eng-hun)
}


def _letters_in_script(text: str, lang: str) -> bool:
    """English and Latin-script languages: every letter is Latin. Others: some letter is of their script."""
    if lang in SCRIPTS:
        wanted = SCRIPTS[lang]
        return any(c.isalpha() and unicodedata.name(c, "").startswith(wanted) for c in text)
    return text.isascii() or all(not c.isalpha() or unicodedata.name(c, "").startswith("LATIN") for c in text)


def clean_item(text: str, lang: str) -> str | None:
    """A headword or translation as a clean word or phrase in ``lang`` ("en" for English), or None
    if it is no translation: too long, a cross-reference, an affix, in another script, ..."""
    if "{" in text or "}" in text:
        return None
    text = strip_groups(text)
    text = _PLACEHOLDER.sub(" ", text).replace("~", " ")
    if lang in _FIXES:
        text = text.translate(_FIXES[lang])
    if lang in ("bg", "ru"):
        text = unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).replace(_STRESS, ""))
    if lang == "ar":
        text = unicodedata.normalize("NFKC", text)       # presentation forms ("ﻷ") to letters ("لأ")
    text = text.translate(_HYPHENS)
    text = clean.normalize_text(text).strip(" ,;").removesuffix(".").strip()
    text = text.removeprefix("- ")
    if (not text or _REJECT.search(text) or len(text.split()) > MAX_WORDS or len(text) > MAX_CHARS
            or not any(c.isalpha() for c in text) or not _letters_in_script(text, lang)):
        return None
    return text


def headword_forms(line: str) -> str:
    """A headword line without its labels (``[Am.]``), pronunciation (`` /.../``) and grammar (`` <...>``)."""
    line = re.sub(r"\[[^\[\]]*\]", " ", line)
    return re.split(r"\s/|\s<", line, maxsplit=1)[0].strip()


def headword_text(line: str) -> str:
    """The first form of a headword line: labels, pronunciation and grammar removed."""
    items = split_items(headword_forms(line))
    return items[0] if items else ""


def translations(entry: Entry, lang: str) -> list[str]:
    """The first :data:`MAX_TRANSLATIONS` clean, distinct translations of the first :data:`MAX_SENSES` senses."""
    found: list[str] = []
    for line in entry.senses[:MAX_SENSES]:
        for item in split_items(line or ""):
            text = clean_item(item, lang)
            if text and text not in found:
                found.append(text)
                if len(found) == MAX_TRANSLATIONS:
                    return found
    return found


# --- from unpacked packages to pairs ----------------------------------------------------------------------

def document(english: str) -> str:
    """The pair's document: its English word, lowercased."""
    return f"{SOURCE}:{english.lower()}"


def dictionary_pairs(index_path, dictionary: str) -> Iterator[assemble.SourcePair]:
    """The pairs of one dictionary (``deu-eng`` or ``eng-deu``), in file order."""
    lang = dictionary_language(dictionary)
    english_first = dictionary.startswith("eng-")
    headword_lang, translation_lang = ("en", lang) if english_first else (lang, "en")
    for text in dictd_entries(index_path):
        entry = parse_entry(text)
        headword = clean_item(headword_text(entry.headword), headword_lang)
        if headword is None:
            continue
        for item in translations(entry, translation_lang):
            english, translation = (headword, item) if english_first else (item, headword)
            yield assemble.SourcePair(lang, document(english), english, translation)


def find_dictionaries(roots: Iterable) -> dict[str, Path]:
    """``{"deu-eng": path of its .index}`` for the English dictionaries under the unpacked ``roots``."""
    found = {}
    for root in roots:
        for index in sorted(Path(root).glob("usr/share/dictd/freedict-*.index")):
            dictionary = index.name.removeprefix("freedict-").removesuffix(".index")
            if re.fullmatch(r"[a-z]{3}-[a-z]{3}", dictionary) and dictionary_language(dictionary):
                found[dictionary] = index
    return dict(sorted(found.items()))


# Dictionaries whose translations lost their spaces ("gotothecinema", "hombrepolítico"): imported
# from one old source, measured as 3-14% of their pairs (other dictionaries: < 0.5%).
GLUED = ("ces-eng", "dan-eng", "nld-eng", "slk-eng", "spa-eng", "tur-eng", "eng-por", "eng-spa", "eng-srp", "eng-swe")


def _unglue_maps(pairs: dict[str, list]) -> tuple[dict, dict]:
    """For each side (English, and each language): ``{phrase without spaces: phrase}`` of every
    phrase with a space, and the single words known from outside the glued translations."""
    spaced: dict = {}
    single: set = set()
    for dictionary, found in pairs.items():
        for p in found:
            for side, text in (("en", p.english), (p.lang, p.translation)):
                if " " in text:
                    spaced.setdefault((side, text.lower().replace(" ", "")), text)
                elif dictionary not in GLUED or side != _glued_side(dictionary, p.lang):
                    single.add((side, text.lower()))
    return spaced, single


def _glued_side(dictionary: str, lang: str) -> str:
    """The side that holds the translations (the glued side of a :data:`GLUED` dictionary)."""
    return "en" if dictionary.endswith("-eng") else lang


def unglue(pairs: dict[str, list], stats: dict | None = None) -> dict[str, list]:
    """Put the spaces back into the glued translations of the :data:`GLUED` dictionaries, where
    another dictionary (any direction) has the same phrase with spaces and no dictionary knows the
    glued form as a word: "gotothecinema" -> "go to the cinema". ``stats[dictionary]``: how many."""
    spaced, single = _unglue_maps(pairs)
    out = {}
    for dictionary, found in pairs.items():
        if dictionary not in GLUED:
            out[dictionary] = found
            continue
        english_glued = dictionary.endswith("-eng")
        repaired, n = [], 0
        for p in found:
            text = p.english if english_glued else p.translation
            key = (_glued_side(dictionary, p.lang), text.lower())
            fixed = spaced.get(key) if " " not in text and key not in single else None
            if fixed is not None:
                n += 1
                p = p._replace(english=fixed, doc=document(fixed)) if english_glued else p._replace(translation=fixed)
            repaired.append(p)
        out[dictionary] = repaired
        if stats is not None:
            stats[dictionary] = n
    return out


def is_copy(pair: assemble.SourcePair) -> bool:
    """The translation is the English word itself, but for case ("Tokyo" / "Tokyo", "geisha" / "Geisha")."""
    return pair.translation.casefold() == pair.english.casefold()


def read(roots: Iterable, langs: list[str] | None = None, stats: dict | None = None) -> Iterator[assemble.SourcePair]:
    """Every (English, translation) pair of the FreeDict dictionaries unpacked under ``roots``
    (only ``langs``, project codes, if given), dictionary by dictionary in name order, glued
    phrases repaired (:func:`unglue`) and copies of the English left out (:func:`is_copy`).
    ``stats`` (if given) gets ``unglued`` per dictionary and ``copies`` per language."""
    found = [(dictionary, index) for dictionary, index in find_dictionaries(roots).items()
             if langs is None or dictionary_language(dictionary) in langs]
    bar = progress.reading(found, f"{SOURCE}: dictionaries", "dict")
    pairs = {}
    for dictionary, index in bar:
        bar.set_postfix_str(dictionary)
        pairs[dictionary] = list(dictionary_pairs(index, dictionary))
    stats = {} if stats is None else stats
    stats["unglued"], copies = {}, Counter()
    for found in unglue(pairs, stats["unglued"]).values():
        for p in found:
            if is_copy(p):
                copies[p.lang] += 1
            else:
                yield p
    stats["copies"] = dict(sorted(copies.items()))


# --- the build -----------------------------------------------------------------------------------------

def copyright_licence(text: str, dictionary: str) -> str:
    """The ``License:`` of the ``Files: <dictionary>/*`` paragraph of FreeDict's copyright file."""
    for paragraph in re.split(r"\n\s*\n", text):
        if re.search(rf"^Files:.*(?<![\w-]){re.escape(dictionary)}/\*", paragraph, re.MULTILINE):
            match = re.search(r"^License:\s*(\S.*)$", paragraph, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return "unknown"


def package_licences(got: dict) -> dict:
    """``{package: {"version", "licence"}}`` of the fetched dictionaries, each licence as the shared
    copyright file gives it for that dictionary."""
    return {name: {"version": p.version,
                   "licence": copyright_licence(p.copyright(), name.removeprefix("dict-freedict-"))}
            for name, p in sorted(got.items())}


def multi_word_share(out_dir) -> dict[str, float]:
    """Per language, the share of the corpus's pairs (all splits) whose English has two words or more."""
    pairs, multi = Counter(), Counter()
    for name in split.SPLITS:
        for p in corpus.load_corpus(name, out_dir):
            pairs[p.lang] += 1
            multi[p.lang] += len(p.english.split()) > 1
    return {lang: round(multi[lang] / pairs[lang], 4) for lang in sorted(pairs)}


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the dictionaries, read their pairs and write ``out_dir/corpus``. Returns the report,
    with ``multi_word_share`` per language added (also in build_info.json)."""
    got, failed = debian.fetch(packages(langs), work_dir, log)
    info = {
        "packages": package_licences(got),
        "unavailable": dict(sorted(failed.items())),
        "licence": LICENCE,
        "max_translations_per_headword": MAX_TRANSLATIONS,
    }
    stats: dict = {}
    raw = list(read([p.root for p in got.values()], langs, stats))
    info.update(stats)
    log(f"{SOURCE}: {len(raw)} pairs read from {len(got)} dictionaries; glued phrases repaired: {stats['unglued']}; "
        f"copies of the English left out: {sum(stats['copies'].values())}")
    report = assemble.assemble(raw, out_dir, SOURCE, KIND, info, filters=FILTERS, log=log)
    report["multi_word_share"] = multi_word_share(out_dir)
    corpus.write_build_info(report, out_dir)
    return report


def format_report(report: dict) -> str:
    """assemble.format_report, and the share of multi-word pairs per language."""
    shares = ", ".join(f"{lang} {share:.0%}" for lang, share in report.get("multi_word_share", {}).items())
    return assemble.format_report(report) + f"\n\nmulti-word English (share of pairs): {shares}"
