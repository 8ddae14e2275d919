"""Files: written atomically, JSON read and written in one way, leftovers of killed processes cleaned.

A crash or a Ctrl-C leaves the old file or the new one, never half of one. One pattern for
every file a run must not lose (checkpoints, weights, the teacher store's manifest, the log
when a resume rewrites it, evaluation results): write a temporary file in the target's
folder, flush it to disk, then rename it over the target. A rename within one file system
is atomic (``os.replace``), so a reader sees the whole old file or the whole new one.
A new file gets the mode any new file gets (0644 under the usual umask 022), whatever
the library that filled the temporary file chose (safetensors writes 0600).

A process killed with ``kill -9`` cannot remove its temporary file (``.NAME.tmpPID``) or
folder (an export's ``.OUT.tmpPID`` and ``.OUT.oldPID``): :func:`remove_stale_temporaries`
removes those of processes that no longer run, and each program that writes such files
calls it when it starts.

JSON is written indented, UTF-8, with a final newline; a file that is not valid JSON is
reported with its path, and so is a tokenizer.json that the tokenizers library cannot read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Tokenizer

from tinykd import backend

# What atomic_write and the exporters leave behind when killed: ".NAME.tmpPID", ".NAME.oldPID".
TEMPORARY = re.compile(r"^\.(?P<name>.+)\.(?:tmp|old)(?P<pid>\d+)$")


def new_file_mode() -> int:
    """The mode of a new file under the current umask: 0o666 without the umask's bits."""
    umask = os.umask(0)                     # the only way to read the umask is to set it
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path, write) -> None:
    """Call ``write(tmp_path)`` to fill a temporary file, then put it in ``path``'s place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.chmod(tmp, new_file_mode())
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():                    # write() failed: no half-written file is left behind
            tmp.unlink()


def atomic_write_text(path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def atomic_copy(source, path) -> None:
    """Copy the file ``source`` to ``path``, atomically."""
    atomic_write(path, lambda tmp: shutil.copyfile(source, tmp))


def atomic_save_safetensors(state: dict, path, metadata: dict | None = None) -> None:
    """Save arrays (NumPy or CuPy) to a safetensors file at ``path``, atomically."""
    state = {k: np.ascontiguousarray(backend.to_numpy(v)) for k, v in state.items()}
    atomic_write(path, lambda tmp: save_file(state, str(tmp), metadata=metadata))


def replace_folder(new, path) -> None:
    """Put the folder ``new`` in the place of ``path`` (a folder or nothing), by renames: the
    old folder is kept (as ``.NAME.oldPID``) until the new one is in, then removed."""
    path = Path(path)
    if path.exists():
        old = path.with_name(f".{path.name}.old{os.getpid()}")
        os.replace(path, old)
        os.replace(new, path)
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    else:
        os.replace(new, path)


# --- leftovers of killed processes ------------------------------------------------------------

def process_running(pid: int) -> bool:
    """Whether a process with this id runs (one of another user counts too)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)                     # signal 0: nothing is sent, only asked
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(folder, names=None, log=print) -> list[Path]:
    """Remove the temporary files and folders in ``folder`` (``.NAME.tmpPID``, ``.NAME.oldPID``)
    whose process no longer runs; with ``names``, only those of these NAMEs. Returns what went."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    removed = []
    for entry in sorted(folder.iterdir()):
        match = TEMPORARY.match(entry.name)
        if not match or (names is not None and match["name"] not in names):
            continue
        pid = int(match["pid"])
        if pid == os.getpid() or process_running(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
        log(f"removed {entry}: left by process {pid}, which no longer runs")
    return removed


# --- reading --------------------------------------------------------------------------------

def write_json(path, obj, indent: int = 2) -> None:
    """``obj`` as indented JSON (non-ASCII kept as it is), atomically."""
    atomic_write_text(path, json.dumps(obj, indent=indent, ensure_ascii=False) + "\n")


def read_json(path, error=ValueError):
    """The JSON value in ``path``; a file that is missing, unreadable or not JSON raises ``error`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{path} is missing")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise error(f"{path} is not valid JSON: {err}") from err
    except OSError as err:
        raise error(f"{path} cannot be read: {err}") from err


def read_tokenizer(path, error=ValueError) -> Tokenizer:
    """The tokenizer in a ``tokenizer.json``; a missing file raises FileNotFoundError, a damaged
    one ``error``, both naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing")
    try:
        return Tokenizer.from_file(str(path))
    except Exception as err:                # the tokenizers library raises a plain Exception
        raise error(f"{path} is not a readable tokenizer file: {err}") from err
