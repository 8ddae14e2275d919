"""Everyday sentences: the German-English example sentences of FreeDict's German dictionaries.

    dict-freedict-deu-eng    usr/share/dictd/freedict-deu-eng.index, .dict.dz    (GPL-3+)
    dict-freedict-eng-deu    usr/share/dictd/freedict-eng-deu.index, .dict.dz    (GPL-3+)

Every other source of the shipped data is the text of one program or book: help pages, menus,
game dialogue, Bible verses. What none holds is the sentence of everyday talk ("My sister is
house-hunting.", "That covers everything.", "Fancy meeting you again!"), and the student was weakest
there: the German of "The weather is nice today." and seven such sentences sat at cosine 0.28 from
the teacher's English. FreeDict's German dictionaries (the Ding dictionary) illustrate their words
with such sentences, and each example is an entry of its own, headword the sentence, translation on
the next line, with links back to the words it illustrates::

    Meine Schwester sucht derzeit ein Haus. /mˌaɪnə ʃvˈɛstɜ .../
    My sister is house-hunting.
     see: {ein Haus suchen}, {Wie geht's (Dir/Euch) mit der Haussuche?}

tinykd.data.freedict reads words and short phrases (at most six words) and so leaves these out;
this source reads only them: an entry whose headword is a sentence (it starts with a capital or a
digit, ends in ``.``, ``?`` or ``!``, and has at least :data:`MIN_WORDS` words) and whose first
translation is one too (the first, where a line gives several). Labels (``[Sprw.]``, ``[Br.]``,
``<v>``) are removed; a pair is refused (and counted) where either side keeps a bracket, a slash,
an ellipsis or a placeholder (``etw.``, ``jdm.``, ``sth.``, ``sb.``): alternatives and gaps, not a
sentence. The other FreeDict dictionaries with English have no example sentences (French, Spanish,
Italian, Dutch, Polish and Swedish checked), so the domain is German only.

Document = the English sentence, lowercased: its pairs from both directions go to one split.
Measured (docs/experiments.md): drawn at ten times their share (``--sample_weights everyday=10``, the
default: 6% of the draw), these 8,600 training pairs lift this domain's test from 26.7 to 40.6 (seed 1
42.3) for 0.2-0.6 points on the mean of the ten other domains.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

from . import assemble, debian, freedict

SOURCE = "everyday"
KIND = "everyday sentences: the example sentences of FreeDict's German dictionaries"
LICENCE = "GPL-3+ (FreeDict deu-eng and eng-deu, from the Ding dictionary: copyright Frank Richter, Einhard Leichtfuß)"
DICTIONARIES = ("deu-eng", "eng-deu")
MIN_WORDS = 4

_LABELS = re.compile(r"\[[^\[\]]*\]|<[^<>]*>")                       # [Sprw.] [Br.] [fig.] <v> <n, neut>
_REFUSED = re.compile(r"[()\[\]{}<>/|…]|\.\.|(?<!\w)(?:sth|sb|etw|jd[mns]?)\.")
_STARTS = re.compile(r"^[\"„“‚'¡¿]?[^\W_a-zß]")                    # a capital or a digit, after a quote
_NEXT_SENTENCE = re.compile(r"(?<=[.?!])\s*[,;]\s+")                 # "Das führen wir nicht., Det ham wa nich."


def packages(langs: list[str] | None = None) -> list[str]:
    """The two German dictionaries' packages (German is the only language with example sentences)."""
    return [freedict.package_name(d) for d in DICTIONARIES]


def sentence(text: str) -> str | None:
    """``text`` without its labels, if it is one clean sentence (see the module docstring); else None."""
    text = " ".join(_LABELS.sub(" ", text).split())
    if (len(text.split()) < MIN_WORDS or text[-1:] not in ".?!" or not _STARTS.match(text)
            or _REFUSED.search(text)):
        return None
    return text


def dictionary_pairs(index_path, dictionary: str, stats: Counter | None = None) -> Iterator[assemble.SourcePair]:
    """The example sentences of ``deu-eng`` or ``eng-deu`` as (German, English) pairs, in file order.
    ``stats``: ``sentences`` (entries whose headword is a sentence), ``kept``, ``refused`` (the
    translation is no clean sentence)."""
    stats = Counter() if stats is None else stats
    english_first = dictionary.startswith("eng-")
    for text in freedict.dictd_entries(index_path):
        entry = freedict.parse_entry(text)
        headword = sentence(freedict.headword_forms(entry.headword))
        if headword is None:
            continue
        stats["sentences"] += 1
        first = _NEXT_SENTENCE.split(entry.senses[0] or "")[0] if entry.senses else ""
        translation = sentence(first)
        if translation is None:
            stats["refused"] += 1
            continue
        stats["kept"] += 1
        english, german = (headword, translation) if english_first else (translation, headword)
        yield assemble.SourcePair("de", f"{SOURCE}:{english.lower()}", english, german)


def read(roots: Iterable, stats: dict | None = None) -> Iterator[assemble.SourcePair]:
    """The example sentences of both German dictionaries unpacked under ``roots``; ``stats`` gets
    each dictionary's counts (see :func:`dictionary_pairs`)."""
    stats = {} if stats is None else stats
    found = freedict.find_dictionaries(roots)
    for dictionary in DICTIONARIES:
        if dictionary in found:
            counts: Counter = Counter()
            yield from dictionary_pairs(found[dictionary], dictionary, counts)
            stats[dictionary] = dict(counts)


def build(out_dir, work_dir="build", langs: list[str] | None = None, log=print) -> dict:
    """Fetch the two German dictionaries, read their example sentences and write ``out_dir/corpus``."""
    if langs is not None and "de" not in langs:
        raise ValueError(f"{SOURCE} has German sentences only (language de), not {' '.join(langs)}")
    got, failed = debian.fetch(packages(), work_dir, log)
    if not got:
        raise debian.PackageUnavailable(f"{SOURCE}: neither German dictionary could be fetched: {failed}")
    info = {"packages": freedict.package_licences(got), "unavailable": dict(sorted(failed.items())),
            "licence": LICENCE}
    stats: dict = {}
    raw = list(read([p.root for p in got.values()], stats))
    info["sentences"] = stats
    log(f"{SOURCE}: {len(raw)} example sentences read from {len(got)} dictionaries: {stats}")
    return assemble.assemble(raw, out_dir, SOURCE, KIND, info, log=log)
