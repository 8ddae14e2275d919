"""Length-bucketed, language-mixing batches of training pairs, in plain NumPy.

A training pair is (English sentence, translation) with the row ``english_index`` of the
English sentence's teacher vector; the trainer (``tinykd.train``) tokenises both sides and
asks this module only for *which* pairs go into each batch.  Batches are made so that
padding is small but batches still mix languages:

    1. shuffle all pairs (``numpy.random.default_rng([seed, epoch])``),
    2. cut the shuffled list into chunks of ``batch_size * bucket_batches`` pairs,
    3. sort each chunk by length (a pair's longer side) and cut it into batches,
    4. shuffle the order of the batches.

Because step 1 draws pairs from every language, each chunk (and so each batch) mixes
languages; step 3 puts sentences of similar length together.  Same seed and epoch, same
batches.  ``grouped_batch_order`` does the same with the pairs of one English sentence kept
together, so that the trainer encodes that sentence once for all of them.  ``pad`` stacks
token ids into a batch padded to its own longest sentence.  ``inference_batches`` cuts
sentences to encode (no training, no shuffling) into batches of bounded size in tokens.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def pad(sequences: Sequence[np.ndarray], pad_id: int = 0) -> tuple:
    """Stack int sequences into ``(ids, mask)`` of shape (B, longest)."""
    T = max((len(s) for s in sequences), default=0)
    ids = np.full((len(sequences), T), pad_id, dtype=np.int32)  # (B, T)
    mask = np.zeros((len(sequences), T), dtype=np.int32)  # (B, T)
    for b, s in enumerate(sequences):
        ids[b, : len(s)] = s
        mask[b, : len(s)] = 1
    return ids, mask


def inference_batches(lengths: Sequence[int], batch_size: int, max_tokens: int,
                      max_padding: float = 0.1) -> list[np.ndarray]:
    """Indices of sentences to encode, longest first, cut into batches of at most ``batch_size``
    rows and at most ``max_tokens`` padded tokens (rows x the batch's longest, its first row).

    A batch's activations grow with its padded size, so the budget keeps encoding's memory
    the same whatever the longest sentence: 64 rows of 20 tokens, or 16 of 256. A sentence
    longer than the budget gets a batch of its own. A batch also ends before a sentence that
    would be padded by more than ``max_padding`` of the batch's longest: in the long tail of
    lengths (104, 90, 71, ... tokens among sentences of 25) full batches were 6% padding, these
    are 1.5% (a few more, smaller batches; 2000 sentences of 15-20 words: 36 batches, not 32).
    """
    lengths = np.asarray(lengths)
    order = np.argsort(-lengths, kind="stable")                        # longest first
    batches, start = [], 0
    while start < len(order):
        longest = max(1, int(lengths[order[start]]))
        rows = max(1, min(batch_size, max_tokens // longest))
        shortest = (1.0 - max_padding) * longest
        end = min(start + rows, len(order))
        end = start + 1 + int(np.searchsorted(-lengths[order[start + 1:end]], -shortest, side="right"))
        batches.append(order[start:end])
        start = end
    return batches


def batch_order(lengths: np.ndarray, batch_size: int, seed: int, epoch: int = 0,
                bucket_batches: int = 50, drop_last: bool = False) -> list[np.ndarray]:
    """The pair indices of each batch, for one epoch (steps 1-4 of the module docstring)."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))  # 1. shuffle everything
    chunk = batch_size * bucket_batches
    batches = []
    for start in range(0, len(order), chunk):  # 2. chunks of many batches
        part = order[start:start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]  # 3. sort by length inside the chunk
        for b in range(0, len(part), batch_size):
            batches.append(part[b:b + batch_size])
    if drop_last:
        batches = [b for b in batches if len(b) == batch_size]
    perm = rng.permutation(len(batches))  # 4. shuffle the batch order
    return [batches[k] for k in perm]


def grouped_batch_order(english_index: np.ndarray, lengths: np.ndarray, per_english: int, batch_size: int,
                        seed: int, epoch: int = 0, bucket_batches: int = 50,
                        drop_last: bool = False) -> list[np.ndarray]:
    """The pair indices of each batch, for one epoch, with the pairs of one English sentence
    kept together, up to ``per_english`` of them at a time (the trainer then encodes that
    English sentence once for all of them).

    1. shuffle the pairs, then gather them by English sentence (a stable sort keeps the
       shuffled order inside each sentence's run of pairs),
    2. cut each run into groups of at most ``per_english`` pairs,
    3. shuffle the groups; in chunks of many batches, sort them by their longest sentence
       and fill each batch with whole groups up to ``batch_size`` pairs,
    4. shuffle the order of the batches.

    A batch holds between ``batch_size - per_english + 1`` and ``batch_size`` pairs (fewer
    only at the end of a chunk; ``drop_last`` drops those). Same seed and epoch, same batches.
    """
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(english_index))                                  # 1.
    order = order[np.argsort(english_index[order], kind="stable")]
    owner = english_index[order]
    new_run = np.r_[True, owner[1:] != owner[:-1]]
    run_start = np.maximum.accumulate(np.where(new_run, np.arange(len(order)), 0))
    starts = np.flatnonzero((np.arange(len(order)) - run_start) % per_english == 0)  # 2.
    groups = np.split(order, starts[1:])
    longest = np.maximum.reduceat(lengths[order], starts)                       # each group's longest pair
    shuffled = rng.permutation(len(groups))                                      # 3.
    chunk = max(1, batch_size // per_english) * bucket_batches
    batches, smallest = [], batch_size - per_english + 1 if drop_last else 1
    for start in range(0, len(shuffled), chunk):
        part = shuffled[start:start + chunk]
        part = part[np.argsort(longest[part], kind="stable")]
        current: list = []
        filled = 0                                                               # pairs in current
        for g in part:
            if current and filled + len(groups[g]) > batch_size:
                batches.append(np.concatenate(current))
                current, filled = [], 0
            current.append(groups[g])
            filled += len(groups[g])
        if current:
            batches.append(np.concatenate(current))
    batches = [b for b in batches if len(b) >= smallest]
    perm = rng.permutation(len(batches))                                         # 4.
    return [batches[k] for k in perm]
