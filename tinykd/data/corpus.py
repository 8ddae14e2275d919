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
import zlib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from tinykd.files import read_json, write_json
from tinykd.paths import default_data_dir

from .split import SPLITS

LANGS = ("de", "es", "fr", "it", "nl", "pt-BR", "ru", "ja", "zh-CN", "pl", "tr", "ko")
CORPUS_SUBDIR = "corpus"
ENGLISH_FILE = "english.txt.gz"
BUILD_INFO_FILE = "build_info.json"   # what built the folder, and its report (write_build_info)
MAIN_DOMAIN = "libreoffice"           # the data directory's own corpus: the LibreOffice help pages


class Pair(NamedTuple):
    """An English sentence and its translation into ``lang``.

    ``english_index`` is the sentence's line in ``english.txt.gz`` (and its row in the
    teacher embedding store); -1 for pairs that did not come from the shipped corpus.
    """

    lang: str
    english: str
    translation: str
    english_index: int = -1


def corpus_dir(data_dir=None) -> Path:
    return Path(data_dir or default_data_dir()) / CORPUS_SUBDIR


def domain_name(data_dir=None) -> str:
    """The domain of a data directory's own corpus: its report's ``source``, else ``libreoffice``."""
    info = corpus_dir(data_dir) / BUILD_INFO_FILE
    return read_json(info).get("source", MAIN_DOMAIN) if info.is_file() else MAIN_DOMAIN


def domain_folders(data_dir=None) -> dict[str, Path]:
    """The corpus folders of a data directory, by domain: the directory's own corpus (named by
    its report's ``source``, the help pages' being ``libreoffice``), then each subfolder that
    holds one (``data/gimp``, ``data/bible``, ...), in name order."""
    root = Path(data_dir or default_data_dir())
    found = {}
    if (corpus_dir(root) / ENGLISH_FILE).is_file():
        found[domain_name(root)] = root
    for folder in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        if (corpus_dir(folder) / ENGLISH_FILE).is_file():
            found[folder.name] = folder
    return found


def corpus_folder(name, data_dir=None) -> Path:
    """The corpus folder ``name``: a path, or a bare name (``bible``) of a folder in the data
    directory; refused with a hint on how to build it if it holds no corpus."""
    folder = Path(name)
    if len(folder.parts) == 1 and not folder.exists():
        folder = Path(data_dir or default_data_dir()) / folder
    if not (corpus_dir(folder) / "train.tsv.gz").is_file():
        hint = (" (build it with: python -m tinykd.data bible)" if folder.name == "bible" else
                f" (build one from your own text: python -m tinykd.data tsv --pairs LANG FILE --out {folder})")
        raise FileNotFoundError(f"{folder}: no corpus there{hint}")
    return folder


# --- writing ---------------------------------------------------------------------------

def _write_gzip_text(path: Path, lines: Iterable[str]) -> None:
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


def write_corpus(splits: dict[str, Sequence], data_dir=None) -> dict[str, int]:
    """Write ``{split: pairs}`` (pairs with lang, english, translation) to ``data/corpus/``.

    Returns the number of lines written per file.
    """
    out_dir = corpus_dir(data_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    english = sorted({p.english for pairs in splits.values() for p in pairs})
    for s in english:
        _check_text(s)
    index = {s: i for i, s in enumerate(english)}
    _write_gzip_text(out_dir / ENGLISH_FILE, english)
    counts = {ENGLISH_FILE: len(english)}
    for split in SPLITS:
        rows = sorted({(p.lang, index[p.english], p.translation) for p in splits.get(split, [])})
        for _, _, t in rows:
            _check_text(t)
        _write_gzip_text(out_dir / f"{split}.tsv.gz", (f"{lang}\t{i}\t{t}" for lang, i, t in rows))
        counts[f"{split}.tsv.gz"] = len(rows)
    load_english.cache_clear()
    _load_split.cache_clear()
    return counts


def write_build_info(report: dict, data_dir=None) -> Path:
    """A builder's report, beside the corpus files it wrote."""
    path = corpus_dir(data_dir) / BUILD_INFO_FILE
    write_json(path, report, indent=1)
    return path


def markdown_table(rows: dict[str, dict[str, int]], columns: Sequence[str], first: str = "lang") -> str:
    """A small Markdown table of counts, one row per key, with a total row."""
    lines = ["| " + " | ".join([first, *columns]) + " |", "|" + "---|" * (len(columns) + 1)]
    for key in rows:
        lines.append("| " + " | ".join([key, *(str(rows[key].get(c, 0)) for c in columns)]) + " |")
    total = {c: sum(r.get(c, 0) for r in rows.values()) for c in columns}
    lines.append("| " + " | ".join(["total", *(str(total[c]) for c in columns)]) + " |")
    return "\n".join(lines)


# --- reading ---------------------------------------------------------------------------

class CorpusDamaged(ValueError):
    """A corpus file that exists but cannot be read."""


def _read_gzip_lines(path: Path) -> list[str]:
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: build the corpus with `python -m tinykd.data build` "
            "(or set TINYKD_DATA / pass data_dir)")
    try:
        with gzip.open(path, "rt", encoding="utf-8", newline="\n") as f:
            return f.read().split("\n")[:-1]
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as err:       # cut short, not gzip, not UTF-8
        raise CorpusDamaged(f"{path} cannot be read ({type(err).__name__}: {err}): the corpus folder is damaged; "
                            "rebuild it (or restore the file)") from err


@lru_cache(maxsize=4)
def load_english(data_dir=None) -> tuple:
    """The sorted unique English sentences of all splits; position = embedding row."""
    return tuple(_read_gzip_lines(corpus_dir(data_dir) / ENGLISH_FILE))


def english_sentences(data_dir=None) -> list[str]:
    """What the teacher embeds: every unique English sentence of all splits, sorted.

    ``english_sentences()[pair.english_index] == pair.english`` for every loaded pair.
    """
    return list(load_english(data_dir))


def split_lines(split: str, data_dir=None) -> list[str]:
    """A split's lines as they are (lang <TAB> english index <TAB> translation), unparsed: for a
    caller that needs every line's language but the pairs of only some (:func:`line_languages`,
    :func:`parse_pairs`); :func:`load_corpus` parses them all."""
    return _read_gzip_lines(corpus_dir(data_dir) / f"{split}.tsv.gz")


def line_languages(lines: Sequence[str]) -> list[str]:
    """The language of each line of a split: the text before its first tab."""
    return [line.partition("\t")[0] for line in lines]


def parse_pairs(lines: Sequence[str], rows: Iterable[int], split: str, data_dir=None) -> list[Pair]:
    """The pairs on lines ``rows`` (0-based) of a split's ``lines``; a malformed line is named (CorpusDamaged)."""
    english = load_english(data_dir)
    out = []
    for row in rows:
        try:
            lang, i, translation = lines[row].split("\t")
            out.append(Pair(lang, english[int(i)], translation, int(i)))
        except (ValueError, IndexError):
            path = corpus_dir(data_dir) / f"{split}.tsv.gz"
            raise CorpusDamaged(f"{path}:{row + 1}: not lang<TAB>english index<TAB>translation with an index below "
                                f"{len(english)}: the corpus folder is damaged; rebuild it") from None
    return out


@lru_cache(maxsize=8)
def _load_split(split: str, data_dir) -> tuple:
    lines = split_lines(split, data_dir)
    return tuple(parse_pairs(lines, range(len(lines)), split, data_dir))


def load_corpus(split: str, data_dir=None, langs: Iterable[str] | None = None) -> list[Pair]:
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
    check_language_codes(langs, {p.lang for p in pairs}, context)


def check_language_codes(langs: Iterable[str], present: Iterable[str], context: str = "") -> None:
    """:func:`check_languages` with the languages the pairs have (``present``) instead of the pairs."""
    known = set(LANGS) | set(present)
    unknown = sorted(set(langs) - known)
    if unknown:
        raise ValueError(f"{context}unknown language(s) {unknown}; these pairs have {sorted(known)}")


def corpus_stats(data_dir=None) -> dict[str, dict[str, int]]:
    """``{lang: {split: number of pairs}}`` for the shipped corpus."""
    stats: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        for p in load_corpus(split, data_dir):
            stats.setdefault(p.lang, {s: 0 for s in SPLITS})[split] += 1
    return stats


def built_by_another(out_dir, source_prefix: str) -> Path | None:
    """What shows that a builder other than ``source_prefix``'s wrote ``out_dir``'s corpus
    (its ``build_info.json``, or corpus files without one), else None: building into
    ``--out data`` cannot overwrite the shipped corpus."""
    info = corpus_dir(out_dir) / BUILD_INFO_FILE
    if not info.exists():
        english = corpus_dir(out_dir) / ENGLISH_FILE
        return english if english.exists() else None
    source = read_json(info).get("source", "")
    return None if source.startswith(source_prefix) else info
