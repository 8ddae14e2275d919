"""A corpus folder from your own parallel text: files of ``english<TAB>translation`` lines.

    python -m tinykd.data tsv --pairs de en-de.tsv --pairs sv en-sv.tsv.gz --out data/mine
    python -m tinykd.train --extra_data data/mine        its training pairs join the shipped ones
    python -m tinykd.evaluate RUN --split dev --data-dir data/mine

That is the common shape of OPUS and Tatoeba exports, one file per language.  The folder
gets the layout of ``data/`` (tinykd.data.corpus) and the teacher's vectors of its English
sentences (tinykd.store), so the trainer and the evaluator take it as they take the Bible's.

    check the languages             one spelling each (pt_BR is pt-BR, DE is de: tinykd.data.languages);
                                    English in any spelling (en, EN, en-US) is refused
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
    write OUT/corpus/               into a temporary folder beside it, renamed into place when whole
                                    (``python -m tinykd.data tsv`` then fills OUT/teacher)

There is no test split: dev is the held-out set of your text.

The reader: UTF-8, lines ending in "\\n" or "\\r\\n", a byte-order mark before the first line
dropped; empty (or all-whitespace) lines are skipped; any other line must have exactly two
non-empty, tab-separated fields and no carriage return inside, or a :class:`CorpusFormatError`
names the file and the line number.  Long sentences are let through: truncation happens at
tokenisation.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

from tinykd.files import remove_stale_temporaries, replace_folder

from . import corpus
from .corpus import Pair
from .languages import canonical, is_english

# --- reading a file -------------------------------------------------------------------------

class CorpusFormatError(ValueError):
    """A line of a parallel corpus file is not ``english<TAB>translation``."""

    def __init__(self, path: str, line_number: int, message: str):
        self.path, self.line_number = path, line_number
        super().__init__(f"{path}:{line_number}: {message}")


def _open(path):
    """The file's bytes: gzip'd for a name that ends in .gz."""
    if str(path).endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _lines(path) -> Iterator[tuple[int, bytes]]:
    """``(line number, line)`` of a file, split at "\\n" only; a damaged gzip file is named."""
    line_number = 0
    with _open(path) as f:
        try:
            for line_number, line in enumerate(f, start=1):
                yield line_number, line
        except (OSError, EOFError, zlib.error) as err:        # gzip.BadGzipFile is an OSError
            message = f"the file cannot be read (a damaged gzip file?): {err}"
            raise CorpusFormatError(path, line_number + 1, message) from None


def iter_tsv(path) -> Iterator[tuple[str, str]]:
    """Yield ``(english, translation)`` for each non-empty line of ``path`` (``.gz`` allowed).

    Lines end in "\\n" or "\\r\\n"; a byte-order mark before the first line is dropped. Text
    that is not UTF-8, or a carriage return inside a line (which the corpus files cannot hold),
    is refused with the file and line named.
    """
    for line_number, raw in _lines(path):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise CorpusFormatError(path, line_number, f"not UTF-8 text ({err.reason} at byte {err.start} "
                                                       "of the line)") from None
        if line_number == 1:
            line = line.removeprefix("\ufeff")                 # a BOM, as some editors write
        line = line.removesuffix("\n").removesuffix("\r")
        if not line.strip():
            continue
        if "\r" in line:
            raise CorpusFormatError(path, line_number, "a carriage return (CR) inside the line: a line ends in "
                                                       "\\n or \\r\\n, and a sentence cannot hold a CR")
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


def split_of_english(english: str, dev_fraction: float) -> str:
    """``"dev"`` for a ``dev_fraction`` of English sentences, chosen by a hash of the text."""
    position = int.from_bytes(hashlib.sha256(english.encode("utf-8")).digest()[:8], "big") / 2.0 ** 64
    return "dev" if position < dev_fraction else "train"


def language_code(lang: str, path) -> str:
    """The one spelling of a translated side's language (``pt_BR`` -> ``pt-BR``, ``DE`` -> ``de``,
    tinykd.data.languages); English, in any spelling, and what is not a language code are refused."""
    allowed = "such as de, pt-BR or zh-CN (English is the other side of every line)"
    try:
        code = canonical(lang) if lang == lang.strip() else None
    except ValueError:
        code = None
    if code is None:
        raise ValueError(f"{lang!r} (for {path}) is not a language code for the translated side {allowed}")
    if is_english(code):
        raise ValueError(f"{lang!r} (for {path}) is English, not a language code for the translated side {allowed}")
    return code


def check_inputs(files: Sequence[tuple[str, str]], dev_fraction: float) -> list[tuple[str, str]]:
    """The files with their languages spelled one way, or a ValueError that names what is wrong."""
    if not files:
        raise ValueError("no input: give at least one language and file (--pairs LANG FILE)")
    checked = []
    for lang, path in files:
        checked.append((language_code(lang, path), path))
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: no such file")
    if not 0.0 <= dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction}")
    return checked


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
    files = check_inputs(files, dev_fraction)
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

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out_dir, names={corpus.CORPUS_SUBDIR})    # of a build that was killed
    staging = out_dir / f".{corpus.CORPUS_SUBDIR}.tmp{os.getpid()}"    # the new corpus, until it is whole
    shutil.rmtree(staging, ignore_errors=True)
    try:
        written = corpus.write_corpus(by_split, data_dir=staging)
        langs = list(dict.fromkeys(lang for lang, _ in files))
        report = {
            "source": f"{SOURCE}: " + ", ".join(f"{lang} {path}" for lang, path in files),
            "dev_fraction": dev_fraction,
            "files": written,
            "pairs": {lang: {s: sum(p.lang == lang for p in by_split[s]) for s in ("train", "dev")} for lang in langs},
            "drops": {lang: dict(sorted(drops[lang].items())) for lang in langs},
        }
        corpus.write_build_info(report, staging)
        replace_folder(corpus.corpus_dir(staging), corpus.corpus_dir(out_dir))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
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
