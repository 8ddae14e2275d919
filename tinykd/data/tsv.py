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
    write OUT/corpus/               (``python -m tinykd.data tsv`` then fills OUT/teacher)

There is no test split: dev is the held-out set of your text.

The reader: empty (or all-whitespace) lines are skipped; any other line must have exactly
two non-empty, tab-separated fields, or a :class:`CorpusFormatError` names the file and the
line number.  Long sentences are let through: truncation happens at tokenisation.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import corpus
from .corpus import Pair

# --- reading a file -------------------------------------------------------------------------

class CorpusFormatError(ValueError):
    """A line of a parallel corpus file is not ``english<TAB>translation``."""

    def __init__(self, path: str, line_number: int, message: str):
        self.path, self.line_number = path, line_number
        super().__init__(f"{path}:{line_number}: {message}")


def _open(path):
    if str(path).endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return open(path, encoding="utf-8", newline="\n")


def iter_tsv(path) -> Iterator[tuple[str, str]]:
    """Yield ``(english, translation)`` for each non-empty line of ``path`` (``.gz`` allowed)."""
    with _open(path) as f:
        for line_number, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 2:
                raise CorpusFormatError(
                    path, line_number, f"expected 2 tab-separated fields (english, translation), got {len(fields)}")
            english, translation = fields[0].strip(), fields[1].strip()
            if not english or not translation:
                side = "english" if not english else "translation"
                raise CorpusFormatError(path, line_number, f"the {side} field is empty")
            yield english, translation


def read_tsv(path) -> list[tuple[str, str]]:
    """All pairs of a TSV file as a list of ``(english, translation)``."""
    return list(iter_tsv(path))


# --- building a corpus folder ----------------------------------------------------------------

SOURCE = "tsv files"
LANG_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")     # de, pt-BR, zh-CN, yue, sr-Latn


def split_of_english(english: str, dev_fraction: float) -> str:
    """``"dev"`` for a ``dev_fraction`` of English sentences, chosen by a hash of the text."""
    position = int.from_bytes(hashlib.sha256(english.encode("utf-8")).digest()[:8], "big") / 2.0 ** 64
    return "dev" if position < dev_fraction else "train"


def check_inputs(files: Sequence[tuple[str, str]], dev_fraction: float) -> None:
    if not files:
        raise ValueError("no input: give at least one language and file (--pairs LANG FILE)")
    for lang, path in files:
        if lang == "en" or not LANG_CODE.match(lang):
            raise ValueError(f"{lang!r} (for {path}) is not a language code for the translated side "
                             f"such as de, pt-BR or zh-CN (English is the other side of every line)")
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such file")
    if not 0.0 <= dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction}")


def shipped_held_out(data_dir=None) -> tuple[set, set]:
    """English sentences and translations of the shipped corpus's dev and test splits
    (empty if there is no shipped corpus)."""
    try:
        held = corpus.load_corpus("dev", data_dir) + corpus.load_corpus("test", data_dir)
    except FileNotFoundError:
        return set(), set()
    return {p.english for p in held}, {p.translation for p in held}


def build_tsv_corpus(files: Sequence[tuple[str, str]], out_dir, dev_fraction: float = 0.05,
                     shipped_dir=None) -> dict:
    """Read ``files`` (``[(lang, path), ...]``), split, filter and write ``out_dir/corpus``.

    ``shipped_dir``: the corpus whose held-out text must stay out of train (default:
    the shipped ``data/``).  Returns a report (pairs and drops per language).
    """
    check_inputs(files, dev_fraction)
    other = corpus.built_by_another(out_dir, SOURCE)
    if other:
        raise ValueError(f"{out_dir} holds another corpus ({other}); choose another --out")

    drops: dict[str, Counter] = defaultdict(Counter)
    seen = set()
    by_split: dict[str, list[Pair]] = {"train": [], "dev": []}
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
    corpus.write_build_info(report, out_dir)
    return report


def format_report(report: dict) -> str:
    """A markdown table: pairs per split and what was dropped, per language."""
    reasons = ("untranslated", "duplicate", "overlap")
    lines = ["| lang | train pairs | dev pairs | " + " | ".join(reasons) + " |",
             "|---|---|---|" + "---|" * len(reasons)]
    for lang, counts in report["pairs"].items():
        dropped = report["drops"][lang]
        lines.append(f"| {lang} | {counts['train']} | {counts['dev']} | "
                     + " | ".join(str(dropped.get(r, 0)) for r in reasons) + " |")
    return "\n".join(lines)
