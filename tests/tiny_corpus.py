"""The tiny corpus the training tests run on (tests/test_train.py, test_hardening.py, test_faults.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from tinykd.data.corpus import Pair, english_sentences, write_corpus
from tinykd.paths import default_data_dir
from tinykd.store import EmbeddingStore

WORDS = ["open the file", "close the dialog", "select a cell", "insert a chart", "save the document",
         "print the page", "copy the text", "format the cells", "sort the table", "delete the row"]
PATTERNS = {"de": "Datei {} öffnen", "ja": "ファイル{}を開きます"}


def make_tiny_data(root: Path) -> Path:
    """A data folder: the shipped tokenizer, pairs 0-59 / 60-69 / 70-79 (train / dev / test) in German and
    Japanese, and a fake teacher store of random unit vectors (seeded)."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(default_data_dir() / "tokenizer.json", root / "tokenizer.json")
    splits = {split: [Pair(lang, f"{WORDS[i % 10]} number {i}.", pattern.format(i))
                      for i in numbers for lang, pattern in PATTERNS.items()]
              for split, numbers in (("train", range(0, 60)), ("dev", range(60, 70)), ("test", range(70, 80)))}
    write_corpus(splits, str(root))
    sentences = english_sentences(str(root))
    rng = np.random.default_rng(0)
    store = EmbeddingStore.create_or_resume(root / "teacher", sentences, "fake", "0", 384)
    store.fill(sentences, lambda b: (lambda v: v / np.linalg.norm(v, axis=1, keepdims=True))(
        rng.standard_normal((len(b), 384))), progress=False)
    return root
