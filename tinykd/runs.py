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


def ship(run_dir, out=PRETRAINED) -> Path:
    """Copy a finished run's student into the package as float16 (what ``tinykd.load()`` returns).

    Writes model.safetensors (float16 weights, half the size; loading casts back to
    float32), tokenizer.json, the run's config.json and, if present, eval_test.md.
    """
    import shutil
    run_dir, out = Path(run_dir), Path(out)
    model = Encoder.load(run_dir / "model.safetensors")
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.safetensors", dtype=np.float16)
    for name in ("tokenizer.json", "config.json", "eval_test.md"):
        if (run_dir / name).exists():
            shutil.copy(run_dir / name, out / name)
    return out


if __name__ == "__main__":
    import sys
    if len(sys.argv) != 3 or sys.argv[1] != "ship":
        raise SystemExit("usage: python -m tinykd.runs ship RUN_DIR   (copies the run's student into tinykd/pretrained/)")
    print(f"shipped {sys.argv[2]} -> {ship(sys.argv[2])}")
