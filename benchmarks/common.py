"""Helpers shared by the benchmark scripts: threads, machine description, timing, FLOPs, a real batch,
an older revision's code."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np


def revision_tree(rev: str, into: Path) -> Path:
    """Write git revision ``rev``'s ``tinykd/`` into a new folder ``into`` (``git archive``); returns ``into``,
    the PYTHONPATH that makes a child process import that revision's package."""
    into.mkdir()
    repo = Path(__file__).resolve().parent.parent
    subprocess.run(f"git archive {rev} tinykd | tar -x -C {into}", shell=True, cwd=repo, check=True)
    return into


def cores() -> int:
    """The number of cores this process may use (what torch.set_num_threads gets)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def machine_line() -> str:
    """CPU, cores, load average, BLAS libraries and their thread counts (threadpoolctl)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",) * 3
    blas = "?"
    try:
        from threadpoolctl import threadpool_info
        blas = "; ".join(" ".join(x for x in (i["internal_api"], i.get("architecture"), f"threads={i['num_threads']}")
                                  if x)
                         for i in threadpool_info())
    except ImportError:
        pass
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    return (f"{cpu}, {cores()} cores usable, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
            f"(others' jobs count here); pools: {blas}"
            + (f"; OPENBLAS_CORETYPE={coretype}" if coretype else ""))


def summary(values) -> tuple[float, float, float]:
    """(median, min, max)."""
    return statistics.median(values), min(values), max(values)


def matmul_peak(n: int = 2048, repeats: int = 5, lib: str = "numpy") -> float:
    """The float32 matmul rate (FLOP/s) of a large square product, best of ``repeats``:
    the machine's practical peak for this library under the current load."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    if lib == "torch":
        import torch
        a, b = torch.from_numpy(a), torch.from_numpy(b)
        mm = torch.mm
    else:
        mm = np.matmul
    mm(a, b)                                            # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        mm(a, b)
        best = min(best, time.perf_counter() - t)
    return 2.0 * n ** 3 / best


def train_step_flops(config, B: int, T: int) -> dict:
    """FLOPs of one training step on a padded (B, T) batch, counted from the config.

    Only matrix products are counted (elementwise work, softmax, LayerNorm,
    GELU, AdamW are O(B T C) or O(params), a few percent). With C the width,
    I the feed-forward width, L the layers, N = B T tokens (padding included:
    that is the work done):

      weights per layer   4 C^2 (query, key, value, attention output) + 2 C I (feed-forward)
      forward matmuls     2 * (L (4 C^2 + 2 C I) + C D_projection) * N       (2 FLOPs per multiply-add)
      forward attention   L * 4 B T^2 C       (Q K^T and weights @ V, 2 B T^2 C each)
      backward            2 x forward         (each product gives two: d-input and d-weight)
      step                3 x forward

    The embedding lookup and its gradient are not matmuls (a gather and a scatter-add).
    """
    C, I, L = config.hidden_size, config.intermediate_size, config.num_layers
    weights = L * (4 * C * C + 2 * C * I) + (C * config.output_size if config.output_size else 0)
    N = B * T
    dense = 2 * weights * N
    attention = L * 4 * B * T * T * C
    forward = dense + attention
    return {"weights_nonembedding": weights, "forward": forward, "backward": 2 * forward, "step": 3 * forward}


STEP_PHASES = ("forward+loss", "zero_grad", "backward", "clip_grad_norm", "AdamW.step")


def tinykd_train_step(model, optimizer, ids, mask, teacher, lr: float, max_grad_norm: float = 1.0):
    """One tinykd training step as the loop takes it, timed by phase.

    Returns (loss, {phase: seconds}) with the phases of STEP_PHASES and "total".
    """
    from tinykd.loss import distillation_loss_stacked
    from tinykd.optim import clip_grad_norm
    t0 = time.perf_counter()
    model.train()
    vectors = model(ids, mask)                                  # (2B, D)
    loss, _, _, dvectors = distillation_loss_stacked(vectors, teacher)
    t1 = time.perf_counter()
    model.zero_grad()
    t2 = time.perf_counter()
    model.backward(dvectors)
    t3 = time.perf_counter()
    clip_grad_norm(model.gradients(), max_grad_norm)
    t4 = time.perf_counter()
    optimizer.step(model.gradients(), lr)
    t5 = time.perf_counter()
    return loss, dict(zip(STEP_PHASES + ("total",), (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4, t5 - t0)))


def realistic_batch(batch_size: int = 32, max_length: int = 128, seed: int = 0, sample: int = 20000):
    """One real training batch of the default run: (ids (2B, T), mask (2B, T), teacher (B, 384)).

    Epoch 0's batches of the shipped data, as tinykd.train builds them (from a
    random ``sample`` of the pairs, to tokenise quickly); the one at the median
    of the padded tokens, i.e. of the epoch's compute. ``None`` if the data cannot be loaded.
    """
    try:
        from tinykd.data import load_corpus, load_tokenizer
        from tinykd.data.pairs import epoch_batches, stack_batch, tokenize_pairs
        from tinykd.teacher import teacher_vectors_for
        tokenizer = load_tokenizer(max_length=max_length, pad=False)
        pairs = load_corpus("train")
        rng = np.random.default_rng(seed)                  # a random 20k of the pairs: the same length mix
        pairs = [pairs[i] for i in np.sort(rng.choice(len(pairs), min(sample, len(pairs)), replace=False))]
        items = tokenize_pairs(pairs, tokenizer, max_length)
        batches = epoch_batches(items, batch_size, seed, 0)
        item_lengths = items.lengths                       # a property that recomputes: once
        lengths = np.array([item_lengths[b].max() for b in batches])
        # the token-weighted median: half of the epoch's padded tokens (its compute) are in
        # batches no longer than this one (the plain median batch is shorter: 18 vs ~40)
        order = np.argsort(lengths, kind="stable")
        cum = np.cumsum(lengths[order])
        pick = batches[int(order[np.searchsorted(cum, cum[-1] / 2)])]
        pick = pick[np.sort(np.unique(items.english_index[pick], return_index=True)[1])]  # one pair per English
        ids, mask, english_index, _ = stack_batch(items, pick)           # [English; translations], 2B rows
        teacher = teacher_vectors_for()[english_index].astype(np.float32)
        return ids, mask, teacher, tokenizer.get_vocab_size(), lengths
    except Exception as err:  # data or train.py not usable: the caller falls back to a synthetic batch
        print(f"(no real batch: {type(err).__name__}: {err}; using a synthetic one)")
        return None


def synthetic_batch(B: int = 64, T: int = 40, vocab: int = 15000, D: int = 384, seed: int = 0):
    """(ids, mask, teacher) with lengths spread between T/3 and T, as a real batch."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(T // 3, T + 1, size=B)
    lengths[0] = T
    mask = (np.arange(T)[None, :] < lengths[:, None]).astype(np.int64)
    ids = rng.integers(1, vocab, size=(B, T)) * mask
    teacher = rng.standard_normal((B // 2, D)).astype(np.float32)
    teacher /= np.linalg.norm(teacher, axis=1, keepdims=True)
    return ids, mask, teacher
