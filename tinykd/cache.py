"""The start-up cache: what a training run's start-up computes, kept on disk for the next start.

Before its first step a run reads the corpus, draws its training pairs and tokenises them, then
fits the student's new tokens to them (tinykd.align): most of a minute, and the same minute on
every start with the same data and settings. Both results are kept as entries in the cache folder
(tinykd.paths.cache_dir: ``$TINYKD_CACHE``, else ``~/.cache/tinykd``; ``TINYKD_CACHE=off``: none)::

    pairs-<slot>.npz    the drawn, tokenised training pairs      (tinykd.train.training_items)
    align-<slot>.npz    the embedding table fitted to them        (tinykd.student.build_student)

An entry is one ``.npz`` file of arrays. Its ``slot`` is a hash of the settings that chose it (the
data folders, the sampling, ``max_length``, ...); inside, beside the arrays, it keeps its key: those
settings and the fingerprints of every input (the sha256 of the tokenizer and corpus files, of the
arrays it was computed from, of the source files of the code that computed it), and the sha256 of
its own arrays. An entry is used only if its key is this start's key and its arrays hash to what it
says. Otherwise it is **stale** (an input changed: the corpus was rebuilt, the code edited) or
**damaged** (cut short, overwritten, unreadable); either way it is built again, with a one-line
warning, and put in the old one's place. Writes are atomic (tinykd.files.atomic_write): a run
killed while writing leaves the old entry or the new one, never half of one.

A hit gives the very arrays a build gives (tests/test_cache.py), so a run with the cache and one
without end with the same weights. Each settings' slot holds one entry (about 45 MB of pairs and
60 MB of table for the default run); the least recently used beyond :data:`KEEP` of a kind are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from tinykd.files import atomic_write
from tinykd.paths import cache_dir

FORMAT = 1        # the layout of an entry; a new one makes every older entry stale
KEEP = 8          # entries kept of each kind: the most recently used


def warn(message: str) -> None:
    print(message, file=sys.stderr)


# --- fingerprints ---------------------------------------------------------------------------

_file_digests: dict[tuple, str] = {}


def file_digest(path) -> str:
    """The sha256 of a file's bytes (remembered in this process while its size and mtime stay)."""
    path = Path(path).resolve()
    stat = path.stat()
    known = (str(path), stat.st_size, stat.st_mtime_ns)
    if known not in _file_digests:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                h.update(block)
        _file_digests[known] = h.hexdigest()
    return _file_digests[known]


def files_digest(paths: Iterable) -> dict[str, str]:
    """``{path: sha256}`` of several files (their order kept)."""
    return {str(Path(p).resolve()): file_digest(p) for p in paths}


def array_digest(arrays: dict[str, np.ndarray]) -> str:
    """The sha256 of named arrays: each one's name, dtype, shape and bytes, in name order."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.asarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(np.ascontiguousarray(a).reshape(-1).view(np.uint8))
    return h.hexdigest()


def code_digest(*modules) -> dict[str, str]:
    """The sha256 of the source files of the modules that compute an entry: an edit makes it stale."""
    return {Path(m.__file__).name: file_digest(m.__file__) for m in modules}


# --- entries ----------------------------------------------------------------------------------

class DamagedEntry(ValueError):
    """A cache file that cannot be read, or whose arrays do not hash to what it says."""


def write_entry(path: Path, key: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``key`` to ``path`` atomically, with the arrays' sha256."""
    meta = {"key": key, "sha256": array_digest(arrays)}

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:                      # a file object: np.savez would add ".npz" to a name
            np.savez(f, __meta__=np.array(json.dumps(meta, sort_keys=True)), **arrays)

    atomic_write(path, write)


def read_entry(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The key and the arrays of the entry at ``path``; :class:`DamagedEntry` if it is not whole."""
    try:
        with np.load(path, allow_pickle=False) as entry:
            arrays = {name: entry[name] for name in entry.files}
        meta = json.loads(str(arrays.pop("__meta__")))
        key, digest = meta["key"], meta["sha256"]
    except (OSError, EOFError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as err:
        raise DamagedEntry(f"{type(err).__name__}: {err}") from None
    if array_digest(arrays) != digest:
        raise DamagedEntry("its arrays do not match their sha256")
    return key, arrays


def slot_path(folder: Path, kind: str, settings: dict) -> Path:
    """The file of the entry of ``kind`` for these settings."""
    slot = hashlib.sha256(json.dumps([kind, settings], sort_keys=True).encode()).hexdigest()[:20]
    return folder / f"{kind}-{slot}.npz"


def _changed(old: dict, new: dict) -> str:
    """What differs between two keys, in a few words (for the warning)."""
    names = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return ", ".join(names) or "its key"


def _prune(folder: Path, kind: str) -> None:
    """Remove the least recently used entries of ``kind`` beyond :data:`KEEP`."""
    entries = sorted(folder.glob(f"{kind}-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)


def cached(kind: str, settings: dict, inputs: dict, build: Callable[[], dict[str, np.ndarray]],
           log: Callable[[str], None] = warn) -> dict[str, np.ndarray]:
    """The arrays ``build()`` returns for these settings and inputs: from the cache when it holds
    them, else built and written there (with no cache folder: built).

    settings: what was asked for (names the entry's file)   inputs: fingerprints of what it is
    computed from (a change makes the entry stale). Both must be JSON: strings, numbers, lists, dicts.
    """
    folder = cache_dir()
    if folder is None:
        return build()
    key = {"format": FORMAT, "kind": kind, "settings": settings, "inputs": inputs}
    key = json.loads(json.dumps(key))                   # as it reads back (tuples become lists)
    path = slot_path(folder, kind, settings)
    if path.is_file():
        try:
            stored, arrays = read_entry(path)
        except DamagedEntry as err:
            log(f"cache: {path} is damaged ({err}); building it again")
        else:
            if stored == key:
                os.utime(path)                          # recently used: kept by _prune
                return arrays
            log(f"cache: {path} is stale (its {_changed(stored.get('inputs', {}), inputs)} changed); "
                "building it again")
    arrays = build()
    try:
        write_entry(path, key, arrays)
        _prune(folder, kind)
    except OSError as err:                              # a full disk, a read-only cache: go on without it
        log(f"cache: cannot write {path} ({err}); continuing without the cache")
    return arrays
