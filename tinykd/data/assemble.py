"""From aligned pairs of any source to a corpus folder: the steps every new source shares.

A source builder (``gimp``, ``firefox``, ...) reads its files and yields :class:`SourcePair`s:
a language, the document the pair comes from, the English text and its translation. Then

    normalise and filter          clean.clean_pairs (the source chooses which filters apply)
    check the alignment           per language: enough pairs, few untranslated copies, a usual
                                  length ratio; a language that fails is left out and reported
    split by document             split.split_of_document: 10% of documents test, 10% dev
    overlap rule                  dev/test pairs whose English or translation occurs in a training
                                  document are dropped (no held-out sentence is trained on)
    deduplicate                   within each split
    write OUT/corpus atomically   the old corpus stays until the new one is complete

and the report (pairs, drops, checks and a few sample pairs per language) goes into
``OUT/corpus/build_info.json``. Nothing depends on the clock or the order of the input files'
reading beyond what the builder gives, so a rebuild writes the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from . import clean, corpus, split

MIN_PAIRS = 20                       # a language with fewer pairs left is not worth a place
MAX_UNTRANSLATED = 0.5               # share of untranslated copies above which a language is not translated
LENGTH_RATIO_RANGE = (0.2, 5.0)      # median characters of translation / English (CJK ~0.3, others ~1.1)
SAMPLES = 3                          # pairs per language kept in the report, to be read


class SourcePair(NamedTuple):
    """One English text and its translation, with the document that decides its split."""

    lang: str
    doc: str            # e.g. "gimp:html/de/filters-blur.html" or "firefox:browser/preferences.ftl"
    english: str
    translation: str


def _sample_key(p: SourcePair) -> str:
    return hashlib.sha1(f"{p.english}\t{p.translation}".encode()).hexdigest()


def alignment_checks(raw: Sequence[SourcePair], kept: Sequence[SourcePair]) -> dict:
    """Per language: pairs read and kept, the share of untranslated copies among those read
    (whether or not the source filters them), the median length ratio of the kept pairs, and
    whether the language passes (``ok``) or why not."""
    read, copies, ratios = Counter(p.lang for p in raw), Counter(), defaultdict(list)
    for p in raw:
        copies[p.lang] += clean.is_untranslated(clean.normalize_text(p.english), clean.normalize_text(p.translation))
    for p in kept:
        ratios[p.lang].append(len(p.translation) / max(1, len(p.english)))
    checks = {}
    for lang in sorted(read):
        untranslated = copies[lang] / read[lang]
        ratio = statistics.median(ratios[lang]) if ratios[lang] else 0.0
        why = ""
        if len(ratios[lang]) < MIN_PAIRS:
            why = f"only {len(ratios[lang])} pairs left (< {MIN_PAIRS})"
        elif untranslated > MAX_UNTRANSLATED:
            why = f"{untranslated:.0%} of its texts are untranslated copies of the English"
        elif not LENGTH_RATIO_RANGE[0] <= ratio <= LENGTH_RATIO_RANGE[1]:
            why = f"median length ratio {ratio:.2f} outside {LENGTH_RATIO_RANGE}: misaligned?"
        checks[lang] = {"read": read[lang], "kept": len(ratios[lang]), "untranslated_share": round(untranslated, 4),
                        "median_length_ratio": round(ratio, 4), "ok": not why, "why": why}
    return checks


def assemble(raw: Iterable[SourcePair], out_dir, source: str, kind: str, info: dict | None = None,
             filters: Sequence[str] = clean.FILTERS, log=print) -> dict:
    """Clean, check, split, deduplicate and write ``out_dir/corpus`` (see the module docstring).

    ``source``: the source's name; ``kind``: the kind of text (documentation, interface, narrative,
    dictionary, ...); ``info``: what the report should also record (packages, versions, licences).
    Returns the report. Raises ValueError if no language passes its checks (nothing is written).
    """
    raw = [SourcePair(*p) for p in raw]
    log(f"  {source}: cleaning {len(raw)} pairs, checking each language's alignment, splitting by document")
    kept, drops = clean.clean_pairs(raw, filters)
    checks = alignment_checks(raw, kept)
    left_out = {lang: c["why"] for lang, c in checks.items() if not c["ok"]}
    for lang, why in left_out.items():
        log(f"  {source}: {lang} left out: {why}")
    langs = [lang for lang, c in checks.items() if c["ok"]]
    if not langs:
        raise ValueError(f"{source}: no language passed the alignment checks ({left_out})")
    kept = [p for p in kept if p.lang in langs]

    # the overlap rule reads the training documents' text before filtering, as the help corpus does
    normalised_train = [p._replace(english=clean.normalize_text(p.english),
                                   translation=clean.normalize_text(p.translation))
                        for p in raw if split.split_of_document(p.doc) == "train"]
    by_split = split.split_and_hold_out(kept, lambda p: split.split_of_document(p.doc),
                                        *split.training_text(normalised_train), drops)

    samples = {lang: [[p.english, p.translation] for p in sorted((p for p in by_split["train"] if p.lang == lang),
                                                                  key=_sample_key)[:SAMPLES]] for lang in langs}
    report = {
        "source": source,
        "kind": kind,
        "info": info or {},
        "languages": langs,
        "left_out": left_out,
        "documents": {s: len({p.doc for p in by_split[s]}) for s in split.SPLITS},
        "pairs": {lang: {s: sum(p.lang == lang for p in by_split[s]) for s in split.SPLITS} for lang in langs},
        "drops": {lang: dict(sorted(drops[lang].items())) for lang in sorted(drops)},
        "checks": checks,
        "samples": samples,
    }
    log(f"  {source}: writing {corpus.corpus_dir(out_dir)}")
    report["files"] = write_atomically(by_split, report, out_dir)
    return report


def write_atomically(by_split: dict, report: dict, out_dir) -> dict:
    """Write the corpus and its report into ``out_dir/corpus``: first beside it, then renamed in."""
    out_dir = Path(out_dir)
    staging = out_dir / f".corpus.tmp{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        files = corpus.write_corpus(by_split, staging)
        corpus.write_build_info({**report, "files": files}, staging)
        target, old = corpus.corpus_dir(out_dir), out_dir / f".corpus.old{os.getpid()}"
        if target.exists():
            os.replace(target, old)
        os.replace(corpus.corpus_dir(staging), target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    corpus.load_english.cache_clear()
    corpus._load_split.cache_clear()
    return files


def format_report(report: dict) -> str:
    """Markdown: pairs per language and split, the alignment checks, and what was dropped."""
    lines = [f"{report['source']} ({report['kind']}): documents {report['documents']}", "",
             "| lang | train | dev | test | untranslated | median length ratio |", "|---|---|---|---|---|---|"]
    for lang in report["languages"]:
        n, c = report["pairs"][lang], report["checks"][lang]
        lines.append(f"| {lang} | {n['train']} | {n['dev']} | {n['test']} | {c['untranslated_share']:.1%} "
                     f"| {c['median_length_ratio']:.2f} |")
    total = {s: sum(n[s] for n in report["pairs"].values()) for s in split.SPLITS}
    lines.append(f"| total | {total['train']} | {total['dev']} | {total['test']} | | |")
    if report["left_out"]:
        lines += ["", "left out: " + "; ".join(f"{lang}: {why}" for lang, why in report["left_out"].items())]
    reasons = sorted({r for d in report["drops"].values() for r in d})
    if reasons:
        lines += ["", "| lang | " + " | ".join(reasons) + " |", "|---|" + "---|" * len(reasons)]
        for lang, d in report["drops"].items():
            lines.append(f"| {lang} | " + " | ".join(str(d.get(r, 0)) for r in reasons) + " |")
    return "\n".join(lines)
