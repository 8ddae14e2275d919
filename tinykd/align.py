"""Aligning the student's new tokens to the teacher's, by least squares on the parallel corpus.

Vocabulary transfer (tinykd.student) gives a token the teacher does not have the
mean of the teacher's vectors of the pieces the teacher splits it into. For a
German word that is a fair start; for a Chinese character, which the teacher
mostly reads as [UNK], it is the [UNK] vector, and a student built that way
starts knowing nothing of Chinese. But the parallel corpus says what every new
token means: it occurs in translations of English sentences whose tokens the
teacher does know. Read as bags of input vectors, a translation and its English
sentence should say the same thing::

    (1/n) sum_j E[x_j]   ~   (1/m) sum_j E[e_j]          one pair: translation x_1..x_n, English e_1..e_m

The rows of E that English uses are fixed (they are the teacher's); the rows of
the K new tokens, X (K, C), are unknown, and the pairs make a linear least-squares
problem, with a ridge that pulls a rarely seen token towards its transferred start X0::

    A X ~ Y        A[i, k] = (count of new token k in translation i) / n_i          (N, K), sparse
                   Y[i]    = mean_j E[e_j]  -  (1/n_i) sum_{fixed x_j} E[x_j]       (N, C)
    (A^T A + r I) X = A^T Y + r X0,     r = ridge * mean(diag(A^T A))

A^T A is K x K and is summed from each translation's co-occurring new tokens; one
dense solve then gives X. Its cost grows as K^3 (and its memory as K^2), so with a
large vocabulary only the K most used new tokens are fitted (``max_tokens``; the
trainer's ``--align_max_tokens``, 8000: half a gigabyte in float64) and the rarer
ones keep X0 and count as fixed. On the default run's 200k pairs, 52 languages and
30k pieces it takes about 20 s on 2 cores; what it does for the untrained student is
measured in docs/experiments.md, and lesson 10 steps through it.

[CLS] and [SEP] are left out of both bags; tokens that never occur in a
training translation keep X0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _entries(ids: Sequence[np.ndarray], lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The nonzeros of a sentence-by-token count matrix divided by each sentence's length,
    sorted by sentence then token.

    ids: N arrays of token ids   lengths: (N,) what each sentence's counts are divided by
    ->   sentence (E,), token (E,), weight (E,) = count / lengths[sentence]
    """
    flat = np.concatenate(ids) if len(ids) else np.zeros(0, np.int64)
    sentence = np.repeat(np.arange(len(ids), dtype=np.int64), [len(x) for x in ids])
    width = int(flat.max()) + 1 if len(flat) else 1
    key, counts = np.unique(sentence * width + flat, return_counts=True)
    sentence, token = key // width, key % width
    return sentence, token, counts / lengths[sentence]


def _pairs(groups_a: np.ndarray, groups_b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (i, j) with ``groups_a[i] == groups_b[j]``; both arrays sorted.

    The co-occurrences of two lists of (sentence, token) entries: with the same
    list twice, every ordered pair of tokens in a sentence.
    """
    first = np.searchsorted(groups_b, groups_a, side="left")         # (Ma,) where a's group starts in b
    size = np.searchsorted(groups_b, groups_a, side="right") - first  # (Ma,) its size in b
    i = np.repeat(np.arange(len(groups_a)), size)
    offsets = np.arange(len(i)) - np.repeat(np.cumsum(size) - size, size)
    j = np.repeat(first, size) + offsets
    return i, j


def normal_equations(english_ids: Sequence[np.ndarray], translation_ids: Sequence[np.ndarray],
                     table: np.ndarray, free: np.ndarray, chunk: int = 65536):
    """``A^T A`` (K, K), ``A^T Y`` (K, C) and the ids of the K free tokens, as in the module docstring.

    Both are co-occurrence counts, weighted by 1/n and 1/m. Write Y[i] = sum_u S[i, u] E[u]
    with S[i, u] = count of u in English i / m_i  -  count of fixed u in translation i / n_i;
    then A^T Y = (A^T S) E, and A^T A, A^T S are sums over the tokens that share a pair.
    A^T S has a column for each of the V - K fixed tokens only: memory K x V in float64.

    english_ids, translation_ids: N arrays of token ids without [CLS]/[SEP]
    table: (V, C) the current embedding table   free: (V,) bool, the rows to fit (the others are constants)
    """
    V = len(free)
    new_ids, fixed_ids = np.flatnonzero(free), np.flatnonzero(~free)
    K, F = len(new_ids), len(fixed_ids)
    column = np.full(V, -1, dtype=np.int64)
    column[new_ids] = np.arange(K)                      # token id -> column of A (new tokens only)
    column[fixed_ids] = np.arange(F)                    # token id -> column of S (fixed tokens only)
    AtA = np.zeros(K * K, dtype=np.float64)
    AtS = np.zeros(K * F, dtype=np.float64)
    for start in range(0, len(english_ids), chunk):
        en, xx = english_ids[start:start + chunk], translation_ids[start:start + chunk]
        n = np.array([max(len(x), 1) for x in xx], dtype=np.float64)                  # tokens per translation
        m = np.array([max(len(e), 1) for e in en], dtype=np.float64)                  # tokens per English
        x_pair, x_token, x_weight = _entries(xx, n)
        is_new = free[x_token]
        a_pair, a_col, a_weight = x_pair[is_new], column[x_token[is_new]], x_weight[is_new]   # A
        e_pair, e_token, e_weight = _entries(en, m)
        f_pair, f_token, f_weight = x_pair[~is_new], x_token[~is_new], -x_weight[~is_new]
        order = np.argsort(np.r_[e_pair, f_pair], kind="stable")                       # S, sorted by pair
        s_pair = np.r_[e_pair, f_pair][order]
        s_col, s_weight = column[np.r_[e_token, f_token][order]], np.r_[e_weight, f_weight][order]

        i, j = _pairs(a_pair, a_pair)
        AtA += np.bincount(a_col[i] * K + a_col[j], weights=a_weight[i] * a_weight[j], minlength=K * K)
        i, j = _pairs(a_pair, s_pair)
        AtS += np.bincount(a_col[i] * F + s_col[j], weights=a_weight[i] * s_weight[j], minlength=K * F)
    AtY = AtS.reshape(K, F) @ table[fixed_ids].astype(np.float64)                     # (K, C)
    return AtA.reshape(K, K), AtY, new_ids


def align_new_embeddings(table: np.ndarray, english_ids: Sequence[np.ndarray],
                         translation_ids: Sequence[np.ndarray], ridge: float = 0.01,
                         keep_ids: Sequence[int] = (), strip_special: bool = True,
                         max_tokens: int = 0) -> tuple[np.ndarray, dict]:
    """The embedding table with the rows English never uses fitted by ridge least squares.

    table: (V, C) transferred embeddings (the start X0 and the fixed English rows)
    english_ids[i], translation_ids[i]: token ids of training pair i, with [CLS] ... [SEP]
    (``strip_special``) or without.  ``keep_ids``: rows to keep as they are (the special
    tokens).  ``max_tokens`` > 0: fit only that many new tokens, those the translations use
    most; the rarer ones keep their transferred start and count as fixed (the dense solve
    costs K^3 and K x K memory, so K is what bounds the fit's time).
    Returns the new (V, C) float32 table and a few numbers.
    """
    if strip_special:
        english_ids = [e[1:-1] for e in english_ids]
        translation_ids = [x[1:-1] for x in translation_ids]
    fixed = np.zeros(table.shape[0], dtype=bool)          # English's tokens and the special ones
    fixed[list(keep_ids)] = True
    for e in english_ids:
        fixed[e] = True
    free = np.zeros(table.shape[0], dtype=bool)           # the others that some translation uses
    for x in translation_ids:
        free[x] = True
    free &= ~fixed
    capped = 0
    if 0 < max_tokens < free.sum():                       # keep the most used; the others stay at X0
        uses = np.bincount(np.concatenate(translation_ids), minlength=len(free)) * free   # (V,)
        rarest = np.argsort(-uses, kind="stable")[max_tokens:]
        capped = int(free[rarest].sum())
        free[rarest] = False
        fixed |= ~free & (uses > 0)
    out = table.astype(np.float32, copy=True)
    stats = {"fixed": int(fixed.sum()) - capped, "fitted": int(free.sum()), "kept_at_start": capped,
             "unseen": int((~fixed & ~free).sum())}
    if not free.any():
        return out, stats | {"ridge": 0.0}
    AtA, AtY, new_ids = normal_equations(english_ids, translation_ids, table, free)
    r = ridge * float(np.diag(AtA).mean())
    AtA[np.diag_indices_from(AtA)] += r
    X = np.linalg.solve(AtA, AtY + r * table[new_ids].astype(np.float64))     # (K, C)
    out[new_ids] = X.astype(np.float32)
    return out, stats | {"ridge": r}
