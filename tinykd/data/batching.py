"""Length-bucketed, language-mixing batches for distillation, in plain NumPy.

Following sentence-transformers' ``make_multilingual``, every sentence is its own
training item with the teacher vector of its *English* sentence as target: each unique
English training sentence once (lang ``"en"``), and every translation.  An item carries
``english_index``, the row of that teacher vector in the embedding store.

Batches are made so that padding is small but batches still mix languages:

    1. shuffle all items (``numpy.random.default_rng(seed + epoch)``),
    2. cut the shuffled list into chunks of ``batch_size * bucket_batches`` items,
    3. sort each chunk by token length and cut it into batches,
    4. shuffle the order of the batches.

Because step 1 draws items from every language, each chunk (and so each batch) mixes
languages; step 3 puts sentences of similar length together.  Same seed and epoch, same
batches.  Each batch is padded to its own longest item, truncated at ``max_length``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, List, Optional, Sequence

import numpy as np


@dataclass
class Batch:
    ids: np.ndarray  # (B, T) int32 token ids, [PAD] = 0 after the end
    mask: np.ndarray  # (B, T) int32, 1 for real tokens, 0 for padding
    english_index: np.ndarray  # (B,) int64, row of the teacher vector of the item's English sentence
    lang: np.ndarray  # (B,) str, "en" for English items

    def __len__(self) -> int:
        return len(self.english_index)


@dataclass
class Items:
    """Tokenised training items: ``ids[k]`` is an int32 array without padding."""

    ids: List[np.ndarray]
    english_index: np.ndarray  # (N,) int64
    lang: np.ndarray  # (N,) str

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(x) for x in self.ids), dtype=np.int64, count=len(self.ids))


def make_items(pairs: Sequence, tokenizer, max_length: int = 128, include_english: bool = True) -> Items:
    """Tokenise the sentences of ``pairs`` (with ``lang``, ``english``, ``translation``,
    ``english_index``) into items: each unique English sentence once, then every translation.

    ``tokenizer`` is a ``tokenizers.Tokenizer``; it is encoded with [CLS]/[SEP] and cut at
    ``max_length`` tokens (its own padding and truncation settings are not used).
    """
    texts, index, langs = [], [], []
    if include_english:
        english = sorted({(p.english_index, p.english) for p in pairs})
        for i, text in english:
            texts.append(text)
            index.append(i)
            langs.append("en")
    for p in pairs:
        texts.append(p.translation)
        index.append(p.english_index)
        langs.append(p.lang)
    tok = _unpadded(tokenizer, max_length)
    ids = [np.asarray(e.ids, dtype=np.int32) for e in tok.encode_batch(texts)]
    return Items(ids, np.asarray(index, dtype=np.int64), np.asarray(langs))


def _unpadded(tokenizer, max_length: int):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_str(tokenizer.to_str())
    tok.no_padding()
    tok.enable_truncation(max_length=max_length)
    return tok


def pad(sequences: Sequence[np.ndarray], pad_id: int = 0) -> tuple:
    """Stack int sequences into ``(ids, mask)`` of shape (B, longest)."""
    T = max((len(s) for s in sequences), default=0)
    ids = np.full((len(sequences), T), pad_id, dtype=np.int32)  # (B, T)
    mask = np.zeros((len(sequences), T), dtype=np.int32)  # (B, T)
    for b, s in enumerate(sequences):
        ids[b, : len(s)] = s
        mask[b, : len(s)] = 1
    return ids, mask


def batch_order(lengths: np.ndarray, batch_size: int, seed: int, epoch: int = 0,
                bucket_batches: int = 50, drop_last: bool = False) -> List[np.ndarray]:
    """The item indices of each batch, for one epoch (steps 1-4 of the module docstring)."""
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
                        drop_last: bool = False) -> List[np.ndarray]:
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


def iterate_batches(items: Items, batch_size: int = 64, seed: int = 0, epoch: int = 0,
                    bucket_batches: int = 50, drop_last: bool = False, pad_id: int = 0) -> Iterator[Batch]:
    """Yield the batches of one epoch, deterministic for ``(seed, epoch)``."""
    for idx in batch_order(items.lengths, batch_size, seed, epoch, bucket_batches, drop_last):
        ids, mask = pad([items.ids[k] for k in idx], pad_id)
        yield Batch(ids, mask, items.english_index[idx], items.lang[idx])


def encode_texts(texts: Sequence[str], tokenizer, max_length: int = 256, pad_id: int = 0) -> tuple:
    """``(ids, mask)`` for a list of sentences, padded to the longest (for evaluation)."""
    tok = _unpadded(tokenizer, max_length)
    return pad([np.asarray(e.ids, dtype=np.int32) for e in tok.encode_batch(list(texts))], pad_id)
