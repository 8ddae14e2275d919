"""Run folders: what ``python -m tinykd.train`` writes, reads back on ``--resume``, and ships.

A run folder::

    config.json              the resolved TrainConfig, seed included
    log.jsonl                one JSON object a line: training steps and evaluations
    checkpoint.safetensors   weights + AdamW state + step + random state (atomic, for --resume)
    tokenizer.json           the student's tokenizer
    model.safetensors        the final student (Encoder.save)
    eval_test.json/.md       the final table on the test split, next to the references

The default run's student ships inside the package (``tinykd/pretrained/``, float16):
``python -m tinykd.runs ship RUN_DIR`` puts a run's student there.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file
from tokenizers import Tokenizer

from tinykd import backend, paths
from tinykd.data.tokenizer import MAX_SEQ_LENGTH
from tinykd.files import atomic_save_safetensors, atomic_write_text, read_json, write_json
from tinykd.inference import SentenceEncoder
from tinykd.model import Encoder

CONFIG = "config.json"
LOG = "log.jsonl"
CHECKPOINT = "checkpoint.safetensors"
TOKENIZER = "tokenizer.json"
MODEL = "model.safetensors"


def new_run_dir(root: str = "runs") -> Path:
    """``runs/<date-time>``, with a suffix if that folder exists already."""
    base = Path(root) / time.strftime("%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        path, n = Path(f"{base}-{n}"), n + 1
    return path


def is_run(run_dir) -> bool:
    return (Path(run_dir) / CONFIG).is_file()


def start_run(run_dir, config: dict, tokenizer) -> None:
    """A new run folder: its config and tokenizer (what ``--resume`` and :func:`load_run` read)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / CONFIG, config)
    tokenizer.save(str(run_dir / TOKENIZER))


def read_config(run_dir) -> dict:
    return read_json(Path(run_dir) / CONFIG)


# --- the log -------------------------------------------------------------------------------

def append_log(run_dir, record: dict) -> None:
    with open(Path(run_dir) / LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def trim_log(run_dir, step: int) -> int:
    """Drop the log's records of steps after ``step`` (work a resumed run will do again);
    returns how many were dropped."""
    path = Path(run_dir) / LOG
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    kept = [line for line in lines if json.loads(line).get("step", 0) <= step]
    if len(kept) < len(lines):
        atomic_write_text(path, "".join(line + "\n" for line in kept))
    return len(lines) - len(kept)


# --- checkpoints ---------------------------------------------------------------------------

def has_checkpoint(run_dir) -> bool:
    return (Path(run_dir) / CHECKPOINT).exists()


def save_checkpoint(run_dir, model: Encoder, optimizer, step: int, elapsed: float) -> None:
    """Weights, optimiser moments, step, training seconds and random state, in one file, atomically."""
    state = {f"model.{k}": v for k, v in model.state_dict().items()}
    state.update({f"optim.{k}": backend.to_numpy(v) for k, v in optimizer.state_dict().items()})
    metadata = {"step": str(step), "model_config": json.dumps(model.config.to_dict()),
                "rng": json.dumps(backend.host_rng().bit_generator.state), "elapsed": str(elapsed)}
    atomic_save_safetensors(state, Path(run_dir) / CHECKPOINT, metadata)


def load_checkpoint(run_dir, model: Encoder, optimizer) -> tuple[int, float]:
    """Restore the weights, the optimiser and the random state; returns (step, training seconds)."""
    path = Path(run_dir) / CHECKPOINT
    with safe_open(str(path), framework="np") as f:
        metadata = f.metadata()
    state = load_file(str(path))
    model.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("model.")})
    optimizer.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("optim.")})
    backend.host_rng().bit_generator.state = json.loads(metadata["rng"])
    return int(metadata["step"]), float(metadata.get("elapsed", 0.0))   # no elapsed before 2026-11-30


# --- the trained student -------------------------------------------------------------------

def load_run(path=None) -> SentenceEncoder:
    """The student of a run folder (or a folder with model.safetensors and tokenizer.json),
    ready to ``encode``; with no path, the shipped student."""
    folder = Path(path) if path is not None else paths.PRETRAINED
    model_file, tokenizer_file = folder / MODEL, folder / TOKENIZER
    for f in (model_file, tokenizer_file):
        if not f.is_file():
            hint = " (the run has not finished: resume it with python -m tinykd.train --resume)" \
                if has_checkpoint(folder) and f == model_file else ""
            raise FileNotFoundError(f"{folder} is not a tinykd model: {f.name} is missing{hint}")
    model = Encoder.load(model_file)
    max_len = min(MAX_SEQ_LENGTH, model.config.max_position)
    return SentenceEncoder(model, Tokenizer.from_file(str(tokenizer_file)), max_len, name=folder.name)


def ship(run_dir, out=None) -> Path:
    """Copy a finished run's student into the package as float16 (what ``tinykd.load()`` returns).

    Writes model.safetensors (float16 weights, half the size; loading casts back to
    float32), tokenizer.json, the run's config.json and, if present, eval_test.md.
    """
    run_dir, out = Path(run_dir), Path(out or paths.PRETRAINED)
    model = Encoder.load(run_dir / MODEL)
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / MODEL, dtype=np.float16)
    for name in (TOKENIZER, CONFIG, "eval_test.md"):
        if (run_dir / name).exists():
            shutil.copy(run_dir / name, out / name)
    return out


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "ship":
        raise SystemExit("usage: python -m tinykd.runs ship RUN_DIR   "
                         "(copies the run's student into tinykd/pretrained/)")
    print(f"shipped {sys.argv[2]} -> {ship(sys.argv[2])}")
