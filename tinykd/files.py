"""Files: written atomically, and JSON read and written in one way.

A crash or a Ctrl-C leaves the old file or the new one, never half of one. One pattern for
every file a run must not lose (checkpoints, weights, the teacher store's manifest, the log
when a resume rewrites it, evaluation results): write a temporary file in the target's
folder, flush it to disk, then rename it over the target. A rename within one file system
is atomic (``os.replace``), so a reader sees the whole old file or the whole new one.

JSON is written indented, UTF-8, with a final newline; a file that is not valid JSON is
reported with its path.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

from tinykd import backend


def atomic_write(path, write) -> None:
    """Call ``write(tmp_path)`` to fill a temporary file, then put it in ``path``'s place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():                    # write() failed: no half-written file is left behind
            tmp.unlink()


def atomic_write_text(path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_save_safetensors(state: dict, path, metadata: dict | None = None) -> None:
    """Save arrays (NumPy or CuPy) to a safetensors file at ``path``, atomically."""
    state = {k: np.ascontiguousarray(backend.to_numpy(v)) for k, v in state.items()}
    atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata=metadata))


def write_json(path, obj, indent: int = 2) -> None:
    """``obj`` as indented JSON (non-ASCII kept as it is), atomically."""
    atomic_write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False) + "\n")


def read_json(path, error=ValueError):
    """The JSON value in ``path``; a file that is missing or not JSON raises ``error`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise error(f"{path} is not valid JSON: {err}") from err
