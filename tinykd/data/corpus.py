"""The corpus as shipped in ``data/corpus/``, and how to load it.

Layout (all gzip'd UTF-8 text, written with a fixed gzip header so rebuilds are
byte-identical):

    english.txt.gz        every unique English sentence of all splits, sorted, one a line;
                          line i (0-based) is English sentence i
    train.tsv.gz          lang <TAB> english index <TAB> translation, one pair a line
    dev.tsv.gz            (same)
    test.tsv.gz           (same)

English is stored once, and its line number is the row of the teacher's embedding of
that sentence in the embedding store, so a pair carries the index the trainer needs.
The sort is plain Python string order, so the list (and the embedding rows) are
deterministic.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence

from .split import SPLITS

LANGS = ("de", "es", "fr", "it", "nl", "pt-BR", "ru", "ja", "zh-CN", "pl", "tr", "ko")
CORPUS_SUBDIR = "corpus"
ENGLISH_FILE = "english.txt.gz"
BUILD_INFO_FILE = "build_info.json"   # what built the folder, and its report (tinykd.data.build)


class Pair(NamedTuple):
    """An English sentence and its translation into ``lang``.

    ``english_index`` is the sentence's line in ``english.txt.gz`` (and its row in the
    teacher embedding store); -1 for pairs that did not come from the shipped corpus.
    """

    lang: str
    english: str
    translation: str
    english_index: int = -1


def default_data_dir() -> str:
    """``$TINYKD_DATA`` if set, else the ``data/`` folder at the repository root."""
    env = os.environ.get("TINYKD_DATA")
    if env:
        return env
    return os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "data"))


def corpus_dir(data_dir: Optional[str] = None) -> str:
    return os.path.join(data_dir or default_data_dir(), CORPUS_SUBDIR)


# --- writing ---------------------------------------------------------------------------

def _write_gzip_text(path: str, lines: Iterable[str]) -> None:
    """Write lines with a reproducible gzip header (no file name, mtime 0)."""
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
            with io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as f:
                for line in lines:
                    f.write(line)
                    f.write("\n")


def _check_text(s: str) -> None:
    if "\t" in s or "\n" in s or "\r" in s:
        raise ValueError(f"text must not contain tabs or newlines: {s!r}")


def write_corpus(splits: Dict[str, Sequence], data_dir: Optional[str] = None) -> Dict[str, int]:
    """Write ``{split: pairs}`` (pairs with lang, english, translation) to ``data/corpus/``.

    Returns the number of lines written per file.
    """
    out_dir = corpus_dir(data_dir)
    os.makedirs(out_dir, exist_ok=True)
    english = sorted({p.english for pairs in splits.values() for p in pairs})
    for s in english:
        _check_text(s)
    index = {s: i for i, s in enumerate(english)}
    _write_gzip_text(os.path.join(out_dir, ENGLISH_FILE), english)
    counts = {ENGLISH_FILE: len(english)}
    for split in SPLITS:
        rows = sorted({(p.lang, index[p.english], p.translation) for p in splits.get(split, [])})
        for _, _, t in rows:
            _check_text(t)
        _write_gzip_text(os.path.join(out_dir, f"{split}.tsv.gz"), (f"{l}\t{i}\t{t}" for l, i, t in rows))
        counts[f"{split}.tsv.gz"] = len(rows)
    load_english.cache_clear()
    _load_split.cache_clear()
    return counts


# --- reading ---------------------------------------------------------------------------

def _read_gzip_lines(path: str) -> List[str]:
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{path} not found: build the corpus with `python -m tinykd.data build` "
            "(or set TINYKD_DATA / pass data_dir)")
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as f:
        return f.read().split("\n")[:-1]


@lru_cache(maxsize=4)
def load_english(data_dir: Optional[str] = None) -> tuple:
    """The sorted unique English sentences of all splits; position = embedding row."""
    return tuple(_read_gzip_lines(os.path.join(corpus_dir(data_dir), ENGLISH_FILE)))


def english_sentences(data_dir: Optional[str] = None) -> List[str]:
    """What the teacher embeds: every unique English sentence of all splits, sorted.

    ``english_sentences()[pair.english_index] == pair.english`` for every loaded pair.
    """
    return list(load_english(data_dir))


@lru_cache(maxsize=8)
def _load_split(split: str, data_dir: Optional[str]) -> tuple:
    english = load_english(data_dir)
    out = []
    for n, line in enumerate(_read_gzip_lines(os.path.join(corpus_dir(data_dir), f"{split}.tsv.gz")), 1):
        lang, i, translation = line.split("\t")
        i = int(i)
        out.append(Pair(lang, english[i], translation, i))
    return tuple(out)


def load_corpus(split: str, data_dir: Optional[str] = None, langs: Optional[Iterable[str]] = None) -> List[Pair]:
    """The pairs of one split (``"train"``, ``"dev"`` or ``"test"``), optionally only some languages:
    the 12 core ones, or any that the folder's split holds (a tsv build's ``sv``).

    Pairs come sorted by (lang, english_index, translation).
    """
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    pairs = _load_split(split, data_dir)
    if langs is None:
        return list(pairs)
    wanted = set(langs)
    check_languages(wanted, pairs)
    return [p for p in pairs if p.lang in wanted]


def check_languages(langs: Iterable[str], pairs: Iterable[Pair], context: str = "") -> None:
    """Refuse a language code that is neither one of the 12 nor a language of ``pairs``: a folder
    built from other text may bring its own (a tsv build's ``sv``). ``context`` starts the message."""
    known = set(LANGS) | {p.lang for p in pairs}
    unknown = sorted(set(langs) - known)
    if unknown:
        raise ValueError(f"{context}unknown language(s) {unknown}; these pairs have {sorted(known)}")


def corpus_stats(data_dir: Optional[str] = None) -> Dict[str, Dict[str, int]]:
    """``{lang: {split: number of pairs}}`` for the shipped corpus."""
    stats: Dict[str, Dict[str, int]] = {}
    for split in SPLITS:
        for p in load_corpus(split, data_dir):
            stats.setdefault(p.lang, {s: 0 for s in SPLITS})[split] += 1
    return stats


# --- a corpus folder's builder and its teacher store ---------------------------------------

def built_by_another(out_dir: str, source_prefix: str) -> Optional[str]:
    """What shows that a builder other than ``source_prefix``'s wrote ``out_dir``'s corpus
    (its ``build_info.json``, or corpus files without one), else None: building into
    ``--out data`` cannot overwrite the shipped corpus."""
    info = os.path.join(corpus_dir(out_dir), BUILD_INFO_FILE)
    if not os.path.exists(info):
        english = os.path.join(corpus_dir(out_dir), ENGLISH_FILE)
        return english if os.path.exists(english) else None
    with open(info, encoding="utf-8") as f:
        source = json.load(f).get("source", "")
    return None if source.startswith(source_prefix) else info


def remove_stale_teacher_store(out_dir: str, log=print) -> None:
    """Delete ``out_dir/teacher`` if it holds the vectors of other sentences than the corpus's."""
    from tinykd.store import MANIFEST, sentences_sha256
    folder = Path(out_dir) / "teacher"
    if not (folder / MANIFEST).exists():
        return
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("sentences_sha256") != sentences_sha256(english_sentences(out_dir)):
        shutil.rmtree(folder)
        log(f"removed {folder}: it held the vectors of another sentence list")


def build_teacher_store(out_dir: str, batch_size: int = 64, dtype: str = "float16", log=print) -> Path:
    """Embed the corpus's English sentences with the teacher into ``out_dir/teacher``.

    What ``python -m tinykd.teacher --out data/teacher`` does for ``data/``: row i of
    the store is the vector of ``english_sentences(out_dir)[i]``.  Resumable.
    """
    from tinykd.teacher import build_store
    folder = Path(out_dir) / "teacher"
    build_store(english_sentences(out_dir), folder, batch_size=batch_size, dtype=dtype, log=log)
    return folder


def finish_build(out_dir: str, files: dict, table: str, skip_teacher: bool = False, log=print) -> None:
    """A builder's last steps: say what was written, embed the English side (unless
    ``skip_teacher``), and print the builder's report ``table``."""
    log(f"wrote {corpus_dir(out_dir)}: {files}")
    if skip_teacher:
        log(f"teacher store skipped: run again without --skip-teacher to build {os.path.join(out_dir, 'teacher')}")
    else:
        log(f"wrote {build_teacher_store(out_dir, log=log)}")
    log("")
    log(table)
