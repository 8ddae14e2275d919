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

A^T A is K x K and is summed from each translation's co-occurring new tokens; A^T Y is
summed through Y, a chunk of pairs at a time (never a K x V matrix). The matrix is
symmetric positive definite, so a Cholesky factor and two triangular solves give X
(:func:`solve_ridge`). Its cost grows as K^3 (and its memory as K^2), so with a
large vocabulary the new tokens are fitted in blocks (``max_tokens``; the trainer's
``--align_max_tokens``, 16000: 1.0 GB in float32): the K most used together, with the rarer
held at X0, then the rarer, K at a time, each block given the rows fitted before it (its
equations summed over the pairs that use it). On the default run's 200k pairs and 49k
pieces a first block of 24,000 covered 98.8% of the new tokens' uses, and the 5,051 rarer
(Korean, Chinese, Japanese, Greek and Khmer pieces most; in 8.5% of the pairs) cost a second
or two more; blocks of 16,000 (the default since 2026-12-06) give the same test accuracy for
a shorter start-up. The fit is most of the start-up (benchmarks/README.md, the start-up's phases),
which is why a run keeps its result in the start-up cache (tinykd.cache); what it does for
the untrained student is measured in docs/experiments.md, and lesson 10 steps through it.

[CLS] and [SEP] are left out of both bags; tokens that never occur in a
training translation keep X0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinykd import parallel


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


def _sums(ids: Sequence[np.ndarray], rows: np.ndarray, zero_row: int, block: int = 256) -> np.ndarray:
    """Each sentence's sum of the rows of its tokens, in float64.

    The sentences, sorted by length, are stacked ``block`` at a time into a (b, L) matrix of ids
    padded with ``zero_row`` (the id of a row of zeros), the rows gathered into (b, L, C) and
    summed over L. Adding 0.0 leaves a float as it is, so each sum is the plain one, token by
    token in float64; but the work is whole blocks of contiguous rows, which runs several times
    faster than ``np.add.reduceat`` over the sentences' rows (benchmarks/README.md, the start-up).
    ids: N arrays of token ids   rows: (V, C), rows[zero_row] = 0   ->   (N, C); an empty sentence sums to 0
    """
    lengths = np.array([len(x) for x in ids], dtype=np.int64)                         # (N,)
    out = np.zeros((len(ids), rows.shape[1]), dtype=np.float64)
    if not lengths.sum():
        return out
    order = np.argsort(lengths, kind="stable")                                        # (N,) shortest first
    place = np.empty_like(order)
    place[order] = np.arange(len(order))                                              # sentence -> its row
    padded = np.full((len(ids), int(lengths.max())), zero_row, dtype=np.intp)         # (N, L) sorted, padded
    sentence = np.repeat(np.arange(len(ids)), lengths)                                # (total,) each token's
    position = np.arange(len(sentence)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    padded[place[sentence], position] = np.concatenate(ids)
    for start in range(0, len(ids), block):
        stop = min(start + block, len(ids))
        width = int(lengths[order[stop - 1]])                                         # the block's longest
        out[order[start:stop]] = np.take(rows, padded[start:stop, :width], axis=0).sum(axis=1, dtype=np.float64)
    return out


def normal_equations(english_ids: Sequence[np.ndarray], translation_ids: Sequence[np.ndarray],
                     table: np.ndarray, free: np.ndarray, chunk: int = 2048):
    """``A^T A`` (K, K), ``A^T Y`` (K, C) and the ids of the K free tokens, as in the module docstring.

    ``A^T A`` is a sum of co-occurrence counts of new tokens, weighted by 1/n^2. ``A^T Y`` is
    computed through Y, ``chunk`` pairs at a time: Y[i] = (sum of E over English i) / m_i - (sum
    of E over the fixed tokens of translation i) / n_i (the free rows of E set to 0), then each
    new token adds ``A[i, k] Y[i]`` of the pairs it occurs in. Memory: K x K in float32 (each
    chunk's sums are taken in float64 and rounded once, so an entry keeps about six digits over
    a hundred chunks), and a chunk's token rows.

    english_ids, translation_ids: N arrays of token ids without [CLS]/[SEP]
    table: (V, C) the current embedding table   free: (V,) bool, the rows to fit (the others are constants)
    """
    V = len(free)
    new_ids = np.flatnonzero(free)
    K = len(new_ids)
    column = np.full(V, -1, dtype=np.int64)
    column[new_ids] = np.arange(K)                      # token id -> column of A (new tokens only)
    known = np.zeros((V + 1, table.shape[1]), dtype=np.float32)     # (V + 1, C) E with the unknown rows 0,
    known[:V] = np.where(free[:, None], 0, table)                     # and a last row of zeros: _sums' padding
    AtA = np.zeros(K * K, dtype=np.float32)
    AtY = np.zeros((K, table.shape[1]), dtype=np.float64)

    def terms(start: int) -> tuple:
        """One chunk's entries of A^T A and rows of A^T Y (what it adds, not yet added)."""
        en, xx = english_ids[start:start + chunk], translation_ids[start:start + chunk]
        n = np.array([max(len(x), 1) for x in xx], dtype=np.float64)                  # tokens per translation
        m = np.array([max(len(e), 1) for e in en], dtype=np.float64)                  # tokens per English
        Y = _sums(en, known, V) / m[:, None] - _sums(xx, known, V) / n[:, None]     # (chunk, C)
        x_pair, x_token, x_weight = _entries(xx, n)
        is_new = free[x_token]
        a_pair, a_col, a_weight = x_pair[is_new], column[x_token[is_new]], x_weight[is_new]   # A's nonzeros

        i, j = _pairs(a_pair, a_pair)                                                # new tokens sharing a pair
        cell, where = np.unique(a_col[i] * K + a_col[j], return_inverse=True)      # the chunk's entries of A^T A
        cell_sums = np.bincount(where, weights=a_weight[i] * a_weight[j])            # summed in float64
        order = np.argsort(a_col, kind="stable")                                     # A's nonzeros by column
        col = a_col[order]
        if not len(col):
            return cell, cell_sums, col, np.zeros((0, AtY.shape[1]))
        starts = np.flatnonzero(np.r_[True, col[1:] != col[:-1]])
        Y_columns = np.ascontiguousarray(Y.T)                                        # (C, chunk)
        weighted = np.take(Y_columns, a_pair[order], axis=1) * a_weight[order]      # (C, nonzeros): A[i, k] Y[i]
        return cell, cell_sums, col[starts], np.add.reduceat(weighted, starts, axis=1).T   # along contiguous rows

    # The chunks' sums are worked out on every core (NumPy lets go of the GIL inside them) and added
    # here one chunk after another, in order: the result is that of one thread, bit for bit.
    for cell, cell_sums, rows, row_sums in parallel.in_order(terms, range(0, len(english_ids), chunk)):
        AtA[cell] += cell_sums
        AtY[rows] += row_sums
    return AtA.reshape(K, K), AtY, new_ids


def solve_ridge(AtA: np.ndarray, AtY: np.ndarray, start: np.ndarray, ridge: float,
                r: float | None = None) -> tuple[np.ndarray, float]:
    """X of ``(A^T A + r I) X = A^T Y + r X0`` with r = ridge * mean(diag(A^T A)) (or the ``r`` given), and r.

    The matrix is symmetric and positive definite (r > 0), so a Cholesky factor L L^T does (K^3/6
    multiply-adds, half of a general solve; :func:`cholesky_in_place`), then two triangular solves
    of K^2 C each, in ``AtA``'s dtype (float32 from :func:`normal_equations`: the fitted rows agree
    with a float64 solve's to about 1e-6, at worst 1e-4, at K = 18000). ``AtA`` is overwritten
    by L.  AtA: (K, K)   AtY, start: (K, C)   ->   X (K, C) in AtA's dtype, r
    """
    if r is None:
        r = ridge * float(np.diag(AtA).mean())
    AtA[np.diag_indices_from(AtA)] += r
    L = cholesky_in_place(AtA)                                                    # (K, K) lower
    B = (AtY + r * start.astype(np.float64)).astype(L.dtype)                       # (K, C)
    return _solve_upper(L, _solve_lower(L, B)), r


def cholesky_in_place(M: np.ndarray, block: int = 512) -> np.ndarray:
    """The lower Cholesky factor L of a symmetric positive definite M (L L^T = M), written over M.

    Block column by block column (right-looking): with M = [[M11, M21^T], [M21, M22]] cut after
    ``block`` rows,

        L11 = cholesky(M11)              (block x block, LAPACK)
        L21 = M21 L11^-T                 (a matrix product with the small block's inverse)
        M22 <- M22 - L21 L21^T           (the trailing update, then the same again on M22)

    The trailing update is most of the K^3/6 multiply-adds (92% at K = 18000, the L21 products 8%);
    it is done one block column at a time and only on and below the diagonal. Matrix products run
    at several times the speed of LAPACK's own Cholesky on two cores (at K = 18000: 11 s in float32
    against np.linalg.cholesky's 38 s in either dtype; benchmarks/README.md). Only M's memory is
    used (no copy of the K x K matrix).
    M: (K, K), overwritten   ->   M, now L (zeros above the diagonal)
    """
    K = len(M)
    for s in range(0, K, block):
        e = min(s + block, K)
        L11 = np.linalg.cholesky(M[s:e, s:e])                                      # (b, b)
        M[s:e, s:e] = L11
        M[s:e, e:] = 0                                                            # L's upper triangle
        if e == K:
            break
        L21 = M[e:, s:e]                                                          # (K - e, b), a view
        L21[...] = L21 @ np.linalg.inv(L11).T                                     # M21 L11^-T
        for j in range(e, K, block):                                              # the lower block columns
            f = min(j + block, K)
            M[j:, j:f] -= L21[j - e:] @ L21[j - e:f - e].T                        # of M22 - L21 L21^T
    return M


def _solve_lower(L: np.ndarray, B: np.ndarray, block: int = 512) -> np.ndarray:
    """X with L X = B, L lower triangular: block by block, top down (matrix products do the work)."""
    X = np.empty_like(B)
    for s in range(0, len(L), block):
        e = min(s + block, len(L))
        X[s:e] = np.linalg.solve(L[s:e, s:e], B[s:e] - L[s:e, :s] @ X[:s])
    return X


def _solve_upper(L: np.ndarray, B: np.ndarray, block: int = 512) -> np.ndarray:
    """X with L^T X = B, L lower triangular: block by block, bottom up."""
    X = np.empty_like(B)
    for s in reversed(range(0, len(L), block)):
        e = min(s + block, len(L))
        X[s:e] = np.linalg.solve(L[s:e, s:e].T, B[s:e] - L[e:, s:e].T @ X[e:])
    return X


def choose_free_tokens(vocab_size: int, english_ids: Sequence[np.ndarray], translation_ids: Sequence[np.ndarray],
                       keep_ids: Sequence[int] = (), max_tokens: int = 0) -> tuple[np.ndarray, list[np.ndarray], dict]:
    """Which rows are fixed (English's tokens and ``keep_ids``) and which are fitted (the other tokens
    the translations use), cut into blocks of at most ``max_tokens`` (0: one block), the most used first.

    ->  fixed (V,) bool, blocks: arrays of token ids (each sorted), stats: how many fixed, fitted, blocks, unseen
    """
    def counts(ids):                                                              # (V,) uses of each token
        flat = np.concatenate(ids) if len(ids) else np.zeros(0, np.int64)
        return np.bincount(flat, minlength=vocab_size)

    fixed = counts(english_ids) > 0                                               # English's tokens
    fixed[list(keep_ids)] = True                                                  # and the special ones
    uses = counts(translation_ids) * ~fixed                                       # (V,) a new token's uses
    by_use = np.argsort(-uses, kind="stable")[:int((uses > 0).sum())]            # the new tokens, most used first
    size = max_tokens if max_tokens > 0 else max(len(by_use), 1)
    blocks = [np.sort(by_use[s:s + size]) for s in range(0, len(by_use), size)]
    stats = {"fixed": int(fixed.sum()), "fitted": len(by_use), "blocks": len(blocks),
             "unseen": vocab_size - int(fixed.sum()) - len(by_use)}
    return fixed, blocks, stats


def spread_sample(n: int, size: int) -> np.ndarray:
    """``size`` of the indices 0..n-1, evenly spaced (every (n / size)-th, the first included); all n
    when ``size`` is 0 or at least n. No random numbers: the pairs come grouped by folder and language,
    so an even stride takes each group's share of them.  ->  (min(size, n),) sorted int64"""
    if size <= 0 or size >= n:
        return np.arange(n, dtype=np.int64)
    return np.arange(size, dtype=np.int64) * n // size


def align_new_embeddings(table: np.ndarray, english_ids: Sequence[np.ndarray],
                         translation_ids: Sequence[np.ndarray], ridge: float = 0.01,
                         keep_ids: Sequence[int] = (), strip_special: bool = True,
                         max_tokens: int = 0, max_pairs: int = 0) -> tuple[np.ndarray, dict]:
    """The embedding table with the rows English never uses fitted by ridge least squares.

    table: (V, C) transferred embeddings (the start X0 and the fixed English rows)
    english_ids[i], translation_ids[i]: token ids of training pair i, with [CLS] ... [SEP]
    (``strip_special``) or without.  ``keep_ids``: rows to keep as they are (the special
    tokens).  ``max_tokens`` > 0: the dense solve costs K^3 and K x K memory, so the new
    tokens are fitted that many at a time, the most used first, each block given the blocks
    before it: its rows are the unknowns, every other row a constant where it stands (the
    earlier blocks' rows fitted, the later ones' still at X0). The first block is the exact fit
    of the most used tokens with the rarer at their start; each later one mends the rarer
    tokens' rows around it (one sweep of block Gauss-Seidel, the rarest last). A later block's
    normal equations are summed over the pairs that use its tokens only (the others add
    nothing to them), and it keeps the first block's r, so a rare token is pulled to its
    start as hard as it would be in the first block.  ``max_pairs`` > 0: the tokens are
    chosen on every pair, but the normal equations are summed over only that many, evenly
    spaced (:func:`spread_sample`; their time grows with the pairs, the solve's does not).
    Returns the new (V, C) float32 table and a few numbers.
    """
    if strip_special:
        english_ids = [e[1:-1] for e in english_ids]
        translation_ids = [x[1:-1] for x in translation_ids]
    _, blocks, stats = choose_free_tokens(table.shape[0], english_ids, translation_ids, keep_ids, max_tokens)
    out = table.astype(np.float32, copy=True)
    if not blocks:
        return out, stats | {"ridge": 0.0}
    sample = spread_sample(len(english_ids), max_pairs)                            # (n,) the pairs fitted on
    english_ids, translation_ids = [english_ids[i] for i in sample], [translation_ids[i] for i in sample]
    r = None
    for block in blocks:
        free = np.zeros(len(table), dtype=bool)
        free[block] = True
        if r is None:                                                             # the first block: every pair
            block_english, block_translations = english_ids, translation_ids
        else:                                                                     # a later one: the pairs using it
            pairs = uses_any(translation_ids, free)
            block_english, block_translations = [english_ids[i] for i in pairs], [translation_ids[i] for i in pairs]
        AtA, AtY, new_ids = normal_equations(block_english, block_translations, out, free)
        X, r = solve_ridge(AtA, AtY, table[new_ids], ridge, r)                    # (K, C)
        out[new_ids] = X.astype(np.float32)
    return out, stats | {"ridge": r}


def uses_any(ids: Sequence[np.ndarray], tokens: np.ndarray) -> np.ndarray:
    """The sentences that use at least one of ``tokens`` ((V,) bool).  ->  (n,) their indices, int64"""
    lengths = np.array([len(x) for x in ids], dtype=np.int64)
    if not lengths.sum():
        return np.zeros(0, dtype=np.int64)
    hit = tokens[np.concatenate(ids)]                                             # (total tokens,)
    some = lengths > 0
    found = np.zeros(len(ids), dtype=bool)
    found[some] = np.logical_or.reduceat(hit, (np.cumsum(lengths) - lengths)[some])
    return np.flatnonzero(found)
