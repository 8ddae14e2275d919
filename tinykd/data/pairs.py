"""Training pairs as token ids, their epochs of batches, and one batch stacked for the model.

The trainer (``tinykd.train``) asks this module for everything it does with the pairs
between the corpus files and the model:

    draw_rows(langs_of, folder_of, langs, alpha, seed, max_pairs)  which pairs a run trains on (indices)
    draw_pairs(pairs, folder_of, langs, alpha, seed, max_pairs)  the same, as the pairs themselves
    tokenize_pairs(pairs, tokenizer, max_length) -> PairItems     both sides of every pair, as ids
    epoch_batches(items, batch_size, seed, epoch) -> [rows, ...]   which pairs go into each step
    stack_batch(items, rows) -> ids, mask, english_index, english_of   one padded (U + P, T) batch
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .batching import batch_order, grouped_batch_order, pad
from .tokenizer import configure, token_ids


@dataclass
class PairItems:
    english_ids: list            # token ids of each pair's English sentence, (n_i,) int32
    translation_ids: list        # token ids of each pair's translation
    english_index: np.ndarray    # (N,) row of the teacher vector
    lang: np.ndarray             # (N,) language of the translation

    @property
    def lengths(self) -> np.ndarray:
        return np.array([max(len(a), len(b)) for a, b in zip(self.english_ids, self.translation_ids)])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The items as a few flat arrays (what tinykd.cache keeps): each side's ids end to end and
        where each sentence starts, (N + 1,); :meth:`from_arrays` reads them back."""
        def flat(ids):
            lengths = np.array([len(x) for x in ids], dtype=np.int64)
            return (np.concatenate(ids).astype(np.int32) if len(ids) else np.zeros(0, np.int32),
                    np.r_[0, np.cumsum(lengths)])

        english, english_starts = flat(self.english_ids)
        translation, translation_starts = flat(self.translation_ids)
        return {"english": english, "english_starts": english_starts, "translation": translation,
                "translation_starts": translation_starts, "english_index": np.asarray(self.english_index),
                "lang": np.asarray(self.lang, dtype=str)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> PairItems:
        """The items of :meth:`to_arrays`' arrays (each sentence's ids a view of the flat array)."""
        def split(flat, starts):
            return np.split(flat, starts[1:-1]) if len(starts) > 1 else []

        return cls(split(arrays["english"], arrays["english_starts"]),
                   split(arrays["translation"], arrays["translation_starts"]),
                   arrays["english_index"], arrays["lang"])


def in_languages(pairs, langs):
    """The pairs whose language is one of ``langs`` (None: all of them)."""
    return pairs if langs is None else [p for p in pairs if p.lang in langs]


def temperature_sample(groups: np.ndarray, alpha: float, seed: int, total: int | None = None,
                       factors: np.ndarray | None = None) -> np.ndarray:
    """Which pairs make an epoch of ``total`` pairs (default: all N) when group g (n_g pairs) gets a
    share proportional to n_g^alpha (times f_g, given ``factors``).

    groups: (N,) a label per pair; factors: (N,) a weight per pair, the same within a group (None:
    all 1)  ->  (total,) pair indices, grouped by label: a group due fewer than it has keeps a random
    subset, one due more repeats all of its pairs and then a random rest. alpha = 1 and total = N
    return every index once, in order; alpha = 0 gives every group the same share (XLM-R sampled its
    languages with alpha = 0.3).
    """
    groups = np.asarray(groups)
    total = len(groups) if total is None else int(total)
    if alpha == 1 and total == len(groups) and factors is None:
        return np.arange(len(groups))
    labels, first, inverse, sizes = np.unique(groups, return_index=True, return_inverse=True, return_counts=True)
    weight = sizes.astype(np.float64) ** alpha                                       # (G,)
    if factors is not None:
        weight *= np.asarray(factors, dtype=np.float64)[first]                       # each group's own factor
    share = total * weight / weight.sum()                                            # (G,) exact shares
    due = np.floor(share).astype(np.int64)                                           # (G,) pairs each group gets
    due[np.argsort(-(share - due), kind="stable")[:total - due.sum()]] += 1
    rng = np.random.default_rng([seed, 7])
    by_group = np.split(np.argsort(inverse, kind="stable"), np.cumsum(sizes)[:-1])   # G arrays, each sorted
    chosen = []
    for g, members in enumerate(by_group):                                           # members: (n_g,)
        repeats, rest = divmod(int(due[g]), len(members))
        chosen += [members] * repeats + [np.sort(rng.choice(members, size=rest, replace=False))]
    return np.concatenate(chosen)


def group_numbers(folder_of: np.ndarray, langs_of: Sequence[str]) -> np.ndarray:
    """(N,) a number for each pair's (folder, language) group, numbered in the order of the names
    "folder/lang" (so that the draw does not depend on how the groups are numbered, only on the names).

    folder_of: (N,) each pair's folder   langs_of: N language codes
    """
    code = {lang: i for i, lang in enumerate(dict.fromkeys(langs_of))}                # language -> first-seen number
    lang_number = np.fromiter((code[lang] for lang in langs_of), dtype=np.int64, count=len(langs_of))
    key = np.asarray(folder_of, dtype=np.int64) * len(code) + lang_number             # (N,) one per group
    keys, inverse = np.unique(key, return_inverse=True)                               # (G,) distinct groups
    lang_of_number = list(code)
    names = [f"{k // len(code)}/{lang_of_number[k % len(code)]}" for k in keys.tolist()]
    rank = np.argsort(np.argsort(names, kind="stable"))                              # (G,) place of each name
    return rank[inverse.ravel()]


def draw_rows(langs_of: Sequence[str], folder_of: np.ndarray, langs, alpha: float, seed: int,
              max_pairs: int, folder_factors: Sequence[float] | None = None) -> np.ndarray:
    """Which pairs a run trains on, as indices into its N pairs, each known by its language
    (``langs_of``) and folder (``folder_of``: (N,)): those in ``langs`` (None: all), then, when
    ``alpha`` != 1, ``max_pairs`` (0: no limit) is fewer than they are or a folder has a factor,
    ``max_pairs`` of them drawn by :func:`temperature_sample` over the (folder, language) groups, so
    that small groups are seen more often and a large set is sampled; ``folder_factors`` (one per
    folder, None: all 1) multiplies the share of each of a folder's groups.  ->  (M,) int64"""
    rows = np.arange(len(langs_of), dtype=np.int64)
    if langs is not None:
        wanted = set(langs)
        rows = np.flatnonzero(np.fromiter((lang in wanted for lang in langs_of), dtype=bool, count=len(langs_of)))
    drawn = min(len(rows), max_pairs or len(rows))
    folders = np.asarray(folder_of)[rows]                                                   # (rows,)
    factors = None
    if folder_factors is not None and any(f != 1 for f in folder_factors):
        factors = np.asarray(folder_factors, dtype=np.float64)[folders]                     # (rows,)
    if alpha != 1 or drawn < len(rows) or factors is not None:
        groups = group_numbers(folders, [langs_of[i] for i in rows])
        rows = rows[temperature_sample(groups, alpha, seed, drawn, factors)]
    return rows


def draw_pairs(pairs: list, folder_of: np.ndarray, langs, alpha: float, seed: int, max_pairs: int) -> list:
    """The pairs :func:`draw_rows` chooses among ``pairs``."""
    return [pairs[i] for i in draw_rows([p.lang for p in pairs], folder_of, langs, alpha, seed, max_pairs)]


def tokenize_pairs(pairs, tokenizer, max_length: int, chunk: int = 10_000) -> PairItems:
    """Token ids of both sides of every pair, truncated at ``max_length``, tokenised in
    chunks (``tinykd.data.tokenizer.token_ids``). An English sentence (one teacher row) is
    tokenised once, however many pairs share it (the default run's 350,000 pairs hold about
    a quarter as many), and its pairs share the one array."""
    configure(tokenizer, max_length, pad=False)

    def ids(texts):
        return [np.asarray(ids, dtype=np.int32) for ids in token_ids(tokenizer, texts, chunk)]

    english_index = np.array([p.english_index for p in pairs], dtype=np.int64)          # (N,) teacher rows
    _, first, english_of = np.unique(english_index, return_index=True, return_inverse=True)
    distinct = ids([pairs[i].english for i in first])                                   # (E,) arrays
    return PairItems([distinct[k] for k in english_of.ravel()], ids([p.translation for p in pairs]),
                     english_index, np.array([p.lang for p in pairs]))


def epoch_batches(items: PairItems, batch_size: int, seed: int, epoch: int, pairs_per_english: int = 1):
    """The pair indices of each batch of one epoch: shuffled, length-bucketed, mixing
    languages, only full batches; the same for the same (seed, epoch). With
    ``pairs_per_english`` > 1, up to that many pairs of one English sentence share a batch."""
    if pairs_per_english > 1:
        return grouped_batch_order(items.english_index, items.lengths, pairs_per_english, batch_size, seed,
                                   epoch, drop_last=True)
    return batch_order(items.lengths, batch_size, seed, epoch, drop_last=True)


def stack_batch(items: PairItems, rows: np.ndarray):
    """The batch of pairs ``rows`` as one padded (U + P, T) batch: its U distinct English
    sentences (each once, however many of its pairs the batch holds), then the P translations.

    Returns ``ids, mask, english_index`` (U,): the teacher-vector row of each English
    sentence, and ``english_of`` (P,): the English sentence (0..U-1) of each translation.
    """
    english_index, first, english_of = np.unique(items.english_index[rows], return_index=True,
                                                 return_inverse=True)
    english = [items.english_ids[rows[i]] for i in first]
    ids, mask = pad(english + [items.translation_ids[i] for i in rows])
    return ids.astype(np.int64), mask.astype(np.int64), english_index, english_of.ravel()
