"""Run folders: what ``python -m tinykd.train`` writes, reads back on ``--resume``, and ships.

A run folder::

    config.json              the resolved TrainConfig, seed included
    log.jsonl                one JSON object a line: training steps and evaluations
    checkpoint.safetensors   weights + AdamW state + step + random state (atomic, for --resume)
    tokenizer.json           the student's tokenizer
    model.safetensors        the final student (Encoder.save)
    eval_test.json/.md       the final table on the test split, next to the references
    .lock                    held by the training that writes the folder (:func:`locked`)

One training at a time writes a folder: :func:`locked` holds an ``flock`` on ``.lock`` for the
whole run, which the kernel lets go when the process ends, however it ends; a second
training of the same folder is refused while the first runs. The log is appended one line
a record; a line cut short by a crash or a full disk is left out when the log is read
(:func:`read_log`), and the resume that follows rewrites the log without it.

The default run's student ships inside the package (``tinykd/pretrained/``, float16):
``python -m tinykd.ship RUN_DIR`` puts a run's student there.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from safetensors import SafetensorError, safe_open
from safetensors.numpy import load_file

from tinykd import backend, paths
from tinykd.config import ConfigError, TrainConfig, config_from_file, make_config
from tinykd.data.tokenizer import MAX_SEQ_LENGTH
from tinykd.files import (
    atomic_copy,
    atomic_save_safetensors,
    atomic_write,
    atomic_write_text,
    read_json,
    read_tokenizer,
    remove_stale_temporaries,
    write_json,
)
from tinykd.inference import SentenceEncoder
from tinykd.model import Encoder

CONFIG = "config.json"
LOG = "log.jsonl"
CHECKPOINT = "checkpoint.safetensors"
TOKENIZER = "tokenizer.json"
MODEL = "model.safetensors"
LOCK = ".lock"
SHIPPED = (TOKENIZER, CONFIG, "eval_test.md")     # what ship copies beside the model


class RunFolderError(RuntimeError):
    """A run folder that cannot be used now: another training holds it, or it cannot be written."""


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
    """A new run folder: its tokenizer, then its config (what ``--resume`` and :func:`load_run` read;
    config.json comes last, so a folder that has one has both)."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(run_dir / TOKENIZER, lambda tmp: tokenizer.save(str(tmp)))
    write_json(run_dir / CONFIG, config)


def read_config(run_dir) -> dict:
    return read_json(Path(run_dir) / CONFIG)


def load_config(run_dir) -> TrainConfig:
    """The run's TrainConfig, checked as a new one is (a message names config.json)."""
    path = Path(run_dir) / CONFIG
    return config_from_file(read_json(path), path)


# --- one training at a time ---------------------------------------------------------------

def _take_lock(path: Path, log):
    """Open ``path`` and hold an exclusive flock on it; returns the open file (closing it lets go)."""
    while True:
        handle = open(path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RunFolderError(
                f"{path.parent} is in use: another training (process {holder}) writes it. Two trainings in "
                "one folder would mix their files: wait for it to end, or stop it first") from None
        try:
            same = os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:                                   # not a lock file its holder removed as we opened it
            break
        handle.close()
    handle.seek(0)
    previous = handle.read().strip()
    if previous and previous != str(os.getpid()):
        log(f"{path.parent}: the training of process {previous} ended without letting go of the folder "
            "(killed?); its lock is taken over")
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


@contextmanager
def locked(run_dir, log=print):
    """Hold the run folder for this process while the block runs; a second training of the same
    folder is refused with :class:`RunFolderError`, and so is a folder that cannot be written
    (checked now, not when the first checkpoint is due). A folder this call created and that
    holds nothing else at the end is removed (a start that failed leaves no empty run)."""
    run_dir = Path(run_dir)
    created = not run_dir.exists()
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        handle = _take_lock(run_dir / LOCK, log)
    except OSError as err:
        raise RunFolderError(f"cannot write in the run folder {run_dir}: {err}") from err
    try:
        check_writable(run_dir)
        remove_stale_temporaries(run_dir, log=log)
        yield
    finally:
        handle.seek(0)
        handle.truncate()                          # a lock file that names no process: nobody holds it
        if created and [p.name for p in run_dir.iterdir()] == [LOCK]:
            (run_dir / LOCK).unlink()
            run_dir.rmdir()
        handle.close()


def check_writable(run_dir) -> None:
    """Create and remove a file in ``run_dir``; refuse a folder where that fails (read-only, no permission)."""
    probe = Path(run_dir) / f".write-check.tmp{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise RunFolderError(f"cannot write in the run folder {run_dir}: {err}") from err


# --- the log -------------------------------------------------------------------------------

def append_log(run_dir, record: dict) -> None:
    with open(Path(run_dir) / LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def _log_lines(path: Path, log=print) -> tuple[list[dict], bool]:
    """The records of a log file, and whether it held anything else: blank lines, and a last
    line cut short (a crash or a full disk mid-write) are left out; any other line that is not a
    JSON object is refused, with the file and line named."""
    if not path.exists():
        return [], False
    lines = path.read_bytes().split(b"\n")
    other = lines[-1] != b""                             # no newline after the last line: cut short
    if not other:
        lines.pop()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            other = True
            continue
        try:
            record = json.loads(line.decode("utf-8"))
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
        except ValueError as err:                        # UnicodeDecodeError and JSONDecodeError too
            if number == len(lines):
                log(f"{path}:{number}: a record cut short (the run was stopped while writing it) is left out")
                other = True
                continue
            raise ValueError(f"{path}:{number}: not a log record ({err}); repair or delete that line") from None
        records.append(record)
    return records, other


def read_log(run_dir, log=print) -> list[dict]:
    """The log's records, in order (see :func:`_log_lines` for what is left out)."""
    return _log_lines(Path(run_dir) / LOG, log)[0]


def trim_log(run_dir, step: int, log=print, redone: tuple = ()) -> int:
    """Drop the log's records of steps after ``step`` (work a resumed run will do again), those of
    the kinds ``redone`` at ``step`` itself, and any blank or cut-short line; returns how many
    records were dropped."""
    path = Path(run_dir) / LOG
    records, other = _log_lines(path, log)

    def stays(record: dict) -> bool:
        at = record.get("step", 0)
        return at < step or (at == step and record.get("kind") not in redone)

    kept = [r for r in records if stays(r)]
    if len(kept) < len(records) or other:
        atomic_write_text(path, "".join(json.dumps(r) + "\n" for r in kept))
    return len(records) - len(kept)


def clear_log(run_dir) -> None:
    """Start the log again (a run restarted from step 0)."""
    (Path(run_dir) / LOG).unlink(missing_ok=True)


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
    """Restore the weights, the optimiser and the random state; returns (step, training seconds).
    A checkpoint that cannot be read or does not fit the run's model is refused, named."""
    path = Path(run_dir) / CHECKPOINT
    try:
        with safe_open(str(path), framework="np") as f:
            metadata = f.metadata() or {}
        state = load_file(str(path))
        step, rng = int(metadata["step"]), json.loads(metadata["rng"])
    except (SafetensorError, OSError, KeyError, ValueError) as err:
        raise ValueError(f"{path} is not a readable checkpoint (damaged or cut short?): "
                         f"{type(err).__name__}: {err}") from err
    try:
        model.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("model.")})
        optimizer.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("optim.")})
    except (KeyError, ValueError) as err:
        raise ValueError(f"{path} does not fit the model of the run's config.json: {err}") from err
    backend.host_rng().bit_generator.state = rng
    return step, float(metadata.get("elapsed", 0.0))   # no elapsed before 2026-11-30


# --- which run, from the command line (python -m tinykd.train) ---------------------------------

def split_arguments(argv: list[str]) -> tuple[str | None, str | None, bool, list[str]]:
    """``--out DIR``, ``--resume RUN_DIR`` and ``--restart`` (also as ``--out=DIR``) apart from the
    config's ``--key value`` options: (out, resume, restart, the rest)."""
    found: dict[str, str | None] = {"--out": None, "--resume": None}
    restart, rest, i = False, [], 0
    while i < len(argv):
        name, eq, value = argv[i].partition("=")
        if name in found:
            if not eq:
                if i + 1 >= len(argv):
                    raise ConfigError(f"{name} needs a folder")
                value, i = argv[i + 1], i + 1
            if found[name] is not None:
                raise ConfigError(f"{name} given twice")
            found[name] = value
        elif argv[i] == "--restart":
            restart = True
        else:
            rest.append(argv[i])
        i += 1
    return found["--out"], found["--resume"], restart, rest


def choose_run(argv: list[str]) -> tuple[TrainConfig, Path, str]:
    """The config, the run folder and what to do in it (``"new"``, ``"resume"`` or ``"restart"``),
    from the command line; every setting checked (ConfigError), nothing started."""
    out, resume, restart, rest = split_arguments(argv)
    if resume is None:
        if restart:
            raise ConfigError("--restart goes with --resume RUN_DIR (it starts that run again from step 0)")
        config = make_config(rest)
        run_dir = Path(out) if out else new_run_dir()
        if run_dir.exists() and not run_dir.is_dir():
            raise ConfigError(f"--out {run_dir} is a file: the run needs a folder")
        return config, run_dir, "new"
    if out is not None:
        raise ConfigError(f"--resume {resume} continues the run in its own folder; --out {out} cannot move it "
                          "(drop --out, or copy the folder first and resume the copy)")
    if rest:
        raise ConfigError(f"--resume continues a run with its saved config; drop {rest}")
    run_dir = Path(resume)
    if not is_run(run_dir):
        raise ConfigError(f"{run_dir} is not a run directory (config.json missing)")
    try:
        config = load_config(run_dir)
    except ValueError as err:                          # config.json is not JSON
        raise ConfigError(str(err)) from None
    return config, run_dir, "restart" if restart else "resume"


def check_start(run_dir: Path, action: str) -> None:
    """What the run folder must hold for ``action``, checked while its lock is held."""
    if action == "new" and is_run(run_dir):
        raise ConfigError(f"{run_dir} already holds a run: --resume it or choose another --out")
    if action == "resume" and not has_checkpoint(run_dir):
        raise ConfigError(f"{run_dir} has no checkpoint: it stopped before its first one, so there is nothing to "
                          f"resume. python -m tinykd.train --resume {run_dir} --restart starts it again from "
                          "step 0 with its config")
    if action == "restart" and has_checkpoint(run_dir):
        raise ConfigError(f"--restart: {run_dir} has a checkpoint; --resume alone continues from it (delete "
                          f"{CHECKPOINT} first to start the run again from step 0)")



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
    tokenizer = read_tokenizer(tokenizer_file)
    tokens = tokenizer.get_vocab_size(with_added_tokens=True)
    if tokens > model.config.vocab_size:
        raise ValueError(f"{tokenizer_file} has {tokens} tokens but {model_file} only {model.config.vocab_size} "
                         "embeddings: they do not belong together")
    max_len = min(MAX_SEQ_LENGTH, model.config.max_position)
    return SentenceEncoder(model, tokenizer, max_len, name=folder.name)


def ship(run_dir, out=None, log=print) -> Path:
    """Copy a finished run's student into the package as float16 (what ``tinykd.load()`` returns).

    Writes model.safetensors (float16 weights, half the size; loading casts back to
    float32), tokenizer.json, the run's config.json and, if present, eval_test.md; a file
    of these that the run lacks is removed from ``out``, so nothing of the previous
    student stays beside the new one.
    """
    run_dir, out = Path(run_dir), Path(out or paths.PRETRAINED)
    encoder = load_run(run_dir)                        # the model and tokenizer, checked
    out.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out, log=log)
    encoder.model.save(out / MODEL, dtype=np.float16)
    for name in SHIPPED:
        if (run_dir / name).is_file():
            atomic_copy(run_dir / name, out / name)
        elif (out / name).exists():
            (out / name).unlink()
            log(f"removed {out / name}: the previous student's, and {run_dir} has none")
    return out
