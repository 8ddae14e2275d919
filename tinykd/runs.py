"""Run directories, the shipped student, and ``tinykd.load``.

A run directory (``python -m tinykd.train`` writes one)::

    config.json          the resolved TrainConfig, seed included
    log.jsonl            one JSON object a line: training steps and evaluations
    checkpoint.safetensors   weights + AdamW state + step + random state (atomic, for --resume)
    tokenizer.json       the student's tokenizer
    model.safetensors    the final student (Encoder.save)
    eval_test.json/.md   the final table on the test split, next to the references

The default run's student ships inside the package (``tinykd/pretrained/``, float16).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinykd.inference import SentenceEncoder
from tinykd.model import Encoder

PRETRAINED = Path(__file__).resolve().parent / "pretrained"
MAX_SEQ_LENGTH = 256


def load_run(path=None) -> SentenceEncoder:
    """The student of a run directory (or a folder with model.safetensors and
    tokenizer.json), ready to ``encode``; with no path, the shipped student."""
    from tokenizers import Tokenizer

    folder = Path(path) if path is not None else PRETRAINED
    model_file, tokenizer_file = folder / "model.safetensors", folder / "tokenizer.json"
    for f in (model_file, tokenizer_file):
        if not f.is_file():
            hint = " (the run has not finished: resume it with python -m tinykd.train --resume)" \
                if (folder / "checkpoint.safetensors").exists() and f == model_file else ""
            raise FileNotFoundError(f"{folder} is not a tinykd model: {f.name} is missing{hint}")
    model = Encoder.load(model_file)
    max_len = min(MAX_SEQ_LENGTH, model.config.max_position)
    return SentenceEncoder(model, Tokenizer.from_file(str(tokenizer_file)), max_len, name=folder.name)


def teacher_vectors_for(data_dir=None) -> np.ndarray:
    """The teacher's vectors of the corpus's English sentences (row i: english_sentences()[i]),
    refused if the store does not match the sentences."""
    from tinykd.data import default_data_dir, english_sentences
    from tinykd.store import EmbeddingStore
    data_dir = data_dir or default_data_dir()
    store = EmbeddingStore.open(Path(data_dir) / "teacher", english_sentences(data_dir))
    return store.load(np.float32)
