"""A corpus folder from your own parallel text: files of ``english<TAB>translation`` lines.

    python -m tinykd.data tsv --pairs de en-de.tsv --pairs sv en-sv.tsv.gz --out data/mine
    python -m tinykd.train --extra_data data/mine        its training pairs join the shipped ones
    python -m tinykd.evaluate RUN --split dev --data-dir data/mine

That is the common shape of OPUS and Tatoeba exports, one file per language.  The folder
gets the layout of ``data/`` (tinykd.data.corpus) and the teacher's vectors of its English
sentences (tinykd.store), so the trainer and the evaluator take it as they take the Bible's.

    read every file                 a malformed line stops the build, naming file and line,
                                    before anything is written
    drop                            pairs whose two sides are the same text (untranslated),
                                    exact repeats
    split by English sentence       a hash of the English text sends it, with all its
                                    translations, to dev (``dev_fraction`` of them) or train;
                                    the same on every rebuild, whatever the order of the lines
    overlap rule                    train drops pairs whose English or translation is held out:
                                    in this folder's dev split, or in the shipped corpus's dev and
                                    test splits (training on your text cannot leak into the
                                    numbers tinykd reports)
    write OUT/corpus/, the teacher store

There is no test split: dev is the held-out set of your text.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Sequence, Tuple

from . import build, corpus
from .corpus import Pair
from .tsv import iter_tsv

SOURCE = "tsv files"
LANG_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")     # de, pt-BR, zh-CN, yue, sr-Latn


def split_of_english(english: str, dev_fraction: float) -> str:
    """``"dev"`` for a ``dev_fraction`` of English sentences, chosen by a hash of the text."""
    position = int.from_bytes(hashlib.sha256(english.encode("utf-8")).digest()[:8], "big") / 2.0 ** 64
    return "dev" if position < dev_fraction else "train"


def check_inputs(files: Sequence[Tuple[str, str]], dev_fraction: float) -> None:
    if not files:
        raise ValueError("no input: give at least one language and file (--pairs LANG FILE)")
    for lang, path in files:
        if lang == "en" or not LANG_CODE.match(lang):
            raise ValueError(f"{lang!r} (for {path}) is not a language code for the translated side "
                             f"such as de, pt-BR or zh-CN (English is the other side of every line)")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{path}: no such file")
    if not 0.0 <= dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction}")


def shipped_held_out(data_dir: Optional[str] = None) -> Tuple[set, set]:
    """English sentences and translations of the shipped corpus's dev and test splits
    (empty if there is no shipped corpus)."""
    try:
        held = corpus.load_corpus("dev", data_dir) + corpus.load_corpus("test", data_dir)
    except FileNotFoundError:
        return set(), set()
    return {p.english for p in held}, {p.translation for p in held}


def build_tsv_corpus(files: Sequence[Tuple[str, str]], out_dir: str, dev_fraction: float = 0.05,
                     shipped_dir: Optional[str] = None, log=print) -> dict:
    """Read ``files`` (``[(lang, path), ...]``), split, filter and write ``out_dir/corpus``.

    ``shipped_dir``: the corpus whose held-out text must stay out of train (default:
    the shipped ``data/``).  Returns a report (pairs and drops per language).
    """
    check_inputs(files, dev_fraction)
    other = corpus.built_by_another(out_dir, SOURCE)
    if other:
        raise ValueError(f"{out_dir} holds another corpus ({other}); choose another --out")

    drops: Dict[str, Counter] = defaultdict(Counter)
    seen = set()
    by_split: Dict[str, List[Pair]] = {"train": [], "dev": []}
    for lang, path in files:
        for english, translation in iter_tsv(path):
            if english == translation:
                drops[lang]["untranslated"] += 1
            elif (lang, english, translation) in seen:
                drops[lang]["duplicate"] += 1
            else:
                seen.add((lang, english, translation))
                by_split[split_of_english(english, dev_fraction)].append(Pair(lang, english, translation))
    if not by_split["train"] and not by_split["dev"]:
        raise ValueError("no pairs left to write: " + ", ".join(f"{path}" for _, path in files)
                         + " held only empty, untranslated or repeated lines")

    held_english, held_translations = shipped_held_out(shipped_dir)
    held_english |= {p.english for p in by_split["dev"]}
    held_translations |= {p.translation for p in by_split["dev"]}
    train = []
    for p in by_split["train"]:
        if p.english in held_english or p.translation in held_translations:
            drops[p.lang]["overlap"] += 1
        else:
            train.append(p)
    by_split["train"] = train

    written = corpus.write_corpus(by_split, data_dir=out_dir)
    langs = list(dict.fromkeys(lang for lang, _ in files))
    report = {
        "source": f"{SOURCE}: " + ", ".join(f"{lang} {path}" for lang, path in files),
        "dev_fraction": dev_fraction,
        "files": written,
        "pairs": {lang: {s: sum(p.lang == lang for p in by_split[s]) for s in ("train", "dev")} for lang in langs},
        "drops": {lang: dict(sorted(drops[lang].items())) for lang in langs},
    }
    build.write_build_info(report, out_dir)
    corpus.remove_stale_teacher_store(out_dir, log)
    return report


def format_report(report: dict) -> str:
    """A markdown table: pairs per split and what was dropped, per language."""
    reasons = ("untranslated", "duplicate", "overlap")
    lines = ["| lang | train pairs | dev pairs | " + " | ".join(reasons) + " |", "|---|---|---|" + "---|" * len(reasons)]
    for lang, counts in report["pairs"].items():
        dropped = report["drops"][lang]
        lines.append(f"| {lang} | {counts['train']} | {counts['dev']} | "
                     + " | ".join(str(dropped.get(r, 0)) for r in reasons) + " |")
    return "\n".join(lines)


def build_all(files: Sequence[Tuple[str, str]], out_dir: str, dev_fraction: float = 0.05,
              skip_teacher: bool = False, log=print) -> dict:
    """The corpus folder and its teacher store."""
    report = build_tsv_corpus(files, out_dir, dev_fraction, log=log)
    corpus.finish_build(out_dir, report["files"], format_report(report), skip_teacher, log)
    return report
