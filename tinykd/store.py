"""An embedding store: the teacher's vectors of a list of sentences, on disk.

A store is a folder::

    embeddings.npy    (count, dim) float16, float32 or int8: row i is the vector of sentence i
    scales.npy        (count,) float32, int8 stores only: row i is embeddings[i] * scales[i]
    manifest.json     what the rows are: the model, the sha256 of its weights file,
                      count, dim, dtype, the sha256 of the sentence list, and how many
                      rows are done

The sentence hash ties the store to its sentences: opening a store with a list
that differs in any sentence or in order is refused, so a stale store can never
pair a sentence with another sentence's vector.

Filling is resumable: rows are written in chunks into a memory-mapped file and
the manifest's ``done`` is updated (atomically) after each chunk, so an
interrupted run continues where it stopped.

Precision: float16 keeps ~3 significant digits. For unit-length 384-d vectors
(entries ~0.05) that is an MSE of about 1e-10 against float32 (measured in
tests/test_teacher.py), i.e. 1e-8 in the "MSE x 100" the field reports, far
below any student's distance to its teacher. int8 halves the store again: each row
is rounded to 255 levels of its own largest entry (a per-vector scale, symmetric
quantisation), an error of at most half a level, |v|max / 254, in every entry;
docs/experiments.md measures what that costs in MSE and in accuracy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from tinykd.files import read_json, write_json

MANIFEST = "manifest.json"
ARRAY = "embeddings.npy"
SCALES = "scales.npy"
DTYPES = ("float16", "float32", "int8")


def quantize_int8(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, D) floats -> (N, D) int8 and (N,) float32 scales, with vectors ~= q * scale[:, None]."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.abs(vectors).max(axis=1) / 127.0                                  # (N,)
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    q = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)    # (N, D)
    return q, scale


def dequantize_int8(q: np.ndarray, scale: np.ndarray, dtype=np.float32) -> np.ndarray:
    return (q.astype(np.float32) * scale[:, None]).astype(dtype)


class StoreMismatchError(ValueError):
    """The store on disk does not belong to these sentences (or this model)."""


def sentences_sha256(sentences: Sequence[str]) -> str:
    """A hash of the list: every sentence, in order (a NUL between them)."""
    h = hashlib.sha256()
    for s in sentences:
        h.update(s.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


class EmbeddingStore:
    def __init__(self, folder, manifest: dict):
        self.folder = Path(folder)
        self.manifest = manifest

    # -- properties from the manifest --------------------------------------------
    count = property(lambda self: self.manifest["count"])
    dim = property(lambda self: self.manifest["dim"])
    dtype = property(lambda self: self.manifest["dtype"])
    done = property(lambda self: self.manifest["done"])
    complete = property(lambda self: self.manifest["done"] == self.manifest["count"])

    # -- creating and filling ------------------------------------------------------
    @classmethod
    def create_or_resume(cls, folder, sentences: Sequence[str], model: str, weights_sha256: str,
                         dim: int, dtype: str = "float16") -> EmbeddingStore:
        """Open the store in ``folder`` to continue filling it, or start a new one.

        An existing store for other sentences or another model is refused, not
        overwritten: delete the folder to rebuild it.
        """
        folder = Path(folder)
        if str(dtype) not in DTYPES and str(getattr(dtype, "__name__", "")) not in DTYPES:
            raise ValueError(f"a store holds {' / '.join(DTYPES)}, not {dtype}")
        wanted = {"model": model, "weights_sha256": weights_sha256, "count": len(sentences), "dim": int(dim),
                  "dtype": str(np.dtype(dtype)), "sentences_sha256": sentences_sha256(sentences)}
        if (folder / MANIFEST).exists():
            manifest = read_json(folder / MANIFEST, StoreMismatchError)
            differ = {k: (manifest.get(k), v) for k, v in wanted.items() if manifest.get(k) != v}
            if differ:
                raise StoreMismatchError(
                    f"{folder} holds a different store "
                    f"({', '.join(f'{k}: {a!r} != {b!r}' for k, (a, b) in differ.items())}); "
                    "remove the folder to rebuild it")
            return cls(folder, manifest)
        folder.mkdir(parents=True, exist_ok=True)
        np.lib.format.open_memmap(folder / ARRAY, mode="w+", dtype=wanted["dtype"],
                                  shape=(len(sentences), int(dim))).flush()
        if wanted["dtype"] == "int8":
            np.lib.format.open_memmap(folder / SCALES, mode="w+", dtype=np.float32, shape=(len(sentences),)).flush()
        manifest = {**wanted, "done": 0}
        write_json(folder / MANIFEST, manifest)
        return cls(folder, manifest)

    def fill(self, sentences: Sequence[str], embed: Callable[[list[str]], np.ndarray], chunk: int = 2048,
             progress: bool = True) -> None:
        """Embed the rows not yet done, ``chunk`` sentences at a time, saving after each."""
        sentences = list(sentences)
        if sentences_sha256(sentences) != self.manifest["sentences_sha256"]:
            raise StoreMismatchError(f"{self.folder}: these sentences are not the store's")
        array = np.load(self.folder / ARRAY, mmap_mode="r+")
        scales = np.load(self.folder / SCALES, mmap_mode="r+") if self.dtype == "int8" else None
        bar = None
        if progress:
            bar = tqdm(total=self.count, initial=self.done, desc="teacher vectors", unit="sent")
        while self.done < self.count:
            start, stop = self.done, min(self.done + chunk, self.count)
            vectors = np.asarray(embed(sentences[start:stop]))
            if vectors.shape != (stop - start, self.dim):
                raise ValueError(f"embed returned {vectors.shape}, expected {(stop - start, self.dim)}")
            if not np.isfinite(vectors).all():
                raise FloatingPointError(f"non-finite teacher vectors among sentences {start}..{stop - 1}")
            if scales is not None:
                array[start:stop], scales[start:stop] = quantize_int8(vectors)
                scales.flush()
            else:
                array[start:stop] = vectors.astype(array.dtype)
            array.flush()                                   # rows on disk before the manifest says so
            self.manifest["done"] = stop
            write_json(self.folder / MANIFEST, self.manifest)
            if bar is not None:
                bar.update(stop - start)
        if bar is not None:
            bar.close()
        del array, scales

    # -- reading -------------------------------------------------------------------
    @classmethod
    def open(cls, folder, sentences: Sequence[str] | None = None) -> EmbeddingStore:
        """Open a finished store; with ``sentences``, refuse it unless it is theirs."""
        folder = Path(folder)
        if not (folder / MANIFEST).is_file():
            raise FileNotFoundError(f"no embedding store in {folder} ({MANIFEST} missing): "
                                    "build it with python -m tinykd.teacher")
        manifest = read_json(folder / MANIFEST, StoreMismatchError)
        store = cls(folder, manifest)
        if not store.complete:
            raise StoreMismatchError(f"{folder} is incomplete ({store.done}/{store.count} rows): "
                                     "run python -m tinykd.teacher again to finish it")
        if sentences is not None:
            if len(sentences) != store.count or sentences_sha256(sentences) != manifest["sentences_sha256"]:
                raise StoreMismatchError(
                    f"{folder} does not match the corpus: it holds {store.count} vectors for another sentence "
                    f"list than these {len(sentences)} sentences; rebuild it with python -m tinykd.teacher")
        return store

    def load(self, dtype=np.float32) -> np.ndarray:
        """All vectors, (count, dim), as ``dtype``."""
        array = np.load(self.folder / ARRAY)
        if array.shape != (self.count, self.dim):
            raise StoreMismatchError(f"{self.folder / ARRAY} has shape {array.shape}, manifest says "
                                     f"{(self.count, self.dim)}")
        if self.dtype == "int8":
            return dequantize_int8(array, np.load(self.folder / SCALES), dtype)
        return array.astype(dtype)
