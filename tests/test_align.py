"""tinykd.align: least-squares alignment of the new tokens' embeddings."""

import numpy as np
import pytest

from tinykd.align import _pairs, _sums, align_new_embeddings, normal_equations


def random_corpus(rng, pairs=60, vocab=40, english_vocab=15, width=6):
    """English uses tokens 0..english_vocab-1; translations use any token (and repeat some)."""
    table = rng.standard_normal((vocab, width)).astype(np.float32)
    english = [rng.integers(0, english_vocab, rng.integers(1, 7)) for _ in range(pairs)]
    translations = [rng.integers(0, vocab, rng.integers(1, 9)) for _ in range(pairs)]
    return table, english, translations


def dense_reference(table, english, translations, fixed, ridge):
    """The module docstring's least squares, written out with a dense A and Y."""
    new_ids = np.flatnonzero(~fixed)
    column = {t: k for k, t in enumerate(new_ids)}
    A = np.zeros((len(english), len(new_ids)))
    Y = np.zeros((len(english), table.shape[1]))
    for i, (e, x) in enumerate(zip(english, translations)):
        Y[i] = table[e].astype(np.float64).mean(axis=0)
        for t in x:
            if fixed[t]:
                Y[i] -= table[t] / len(x)
            else:
                A[i, column[t]] += 1.0 / len(x)
    AtA = A.T @ A
    seen = np.diag(AtA) > 0
    r = ridge * np.diag(AtA)[seen].mean()
    X = np.linalg.solve(AtA + r * np.eye(len(new_ids)), A.T @ Y + r * table[new_ids])
    return AtA, A.T @ Y, X, new_ids


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_dense_least_squares(seed):
    rng = np.random.default_rng(seed)
    table, english, translations = random_corpus(rng)
    fixed = np.zeros(len(table), bool)
    fixed[np.concatenate(english)] = True
    AtA_ref, AtY_ref, X_ref, new_ids = dense_reference(table, english, translations, fixed, 0.05)
    AtA, AtY, ids = normal_equations(english, translations, table, ~fixed, chunk=17)   # several chunks
    np.testing.assert_array_equal(ids, new_ids)
    assert AtA.dtype == np.float32                                       # K x K: half the memory of float64
    np.testing.assert_allclose(AtA, AtA_ref, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(AtY, AtY_ref, atol=1e-7)   # the table is float32
    out, stats = align_new_embeddings(table, english, translations, ridge=0.05, strip_special=False)
    np.testing.assert_allclose(out[new_ids], X_ref, atol=1e-5)
    np.testing.assert_array_equal(out[fixed], table[fixed])          # English rows stay the teacher's
    assert stats["fixed"] == fixed.sum()


@pytest.mark.parametrize("block", [1, 3, 256])
def test_sentence_sums_are_the_plain_sums_of_their_rows(block):
    """_sums stacks sentences of like length into padded blocks; the padding row is zero, so every
    sum is the token-by-token float64 sum, whatever the block and the order the lengths come in."""
    rng = np.random.default_rng(block)
    rows = np.vstack([rng.standard_normal((30, 5)), np.zeros((1, 5))]).astype(np.float32)     # row 30: zeros
    ids = [rng.integers(0, 30, rng.integers(0, 12)) for _ in range(40)] + [np.zeros(0, np.int64)]
    expected = np.array([rows[x].astype(np.float64).sum(axis=0) if len(x) else np.zeros(5) for x in ids])
    np.testing.assert_allclose(_sums(ids, rows, zero_row=30, block=block), expected, rtol=1e-12, atol=1e-12)
    assert not _sums([np.zeros(0, np.int64)] * 3, rows, zero_row=30).any()         # only empty sentences


def test_word_for_word_translation_recovers_the_dictionary():
    """If every English token t is translated by its own new token t + 20, in any order,
    least squares finds E[t + 20] = E[t]."""
    rng = np.random.default_rng(0)
    table = rng.standard_normal((40, 8)).astype(np.float32)
    english = [rng.integers(0, 20, rng.integers(2, 9)) for _ in range(400)]
    translations = [rng.permutation(e) + 20 for e in english]
    out, _ = align_new_embeddings(table, english, translations, ridge=1e-6, strip_special=False)
    np.testing.assert_allclose(out[20:40], table[0:20], atol=1e-3)


def test_unseen_tokens_keep_their_start_and_special_rows_stay():
    rng = np.random.default_rng(3)
    table, english, translations = random_corpus(rng, vocab=30, english_vocab=10)
    translations = [x[x < 25] if (x < 25).any() else np.array([10]) for x in translations]  # 25..29 unseen
    cls, sep = 28, 29
    with_specials_en = [np.r_[cls, e, sep] for e in english]
    with_specials_xx = [np.r_[cls, x, sep] for x in translations]
    out, stats = align_new_embeddings(table, with_specials_en, with_specials_xx, keep_ids=[0, 1])
    np.testing.assert_array_equal(out[25:30], table[25:30])        # never in a translation ([CLS]/[SEP] stripped)
    np.testing.assert_array_equal(out[[0, 1]], table[[0, 1]])
    assert stats["unseen"] == 5
    assert not np.allclose(out[10:25], table[10:25])


def test_a_large_ridge_keeps_the_transferred_vectors():
    rng = np.random.default_rng(4)
    table, english, translations = random_corpus(rng)
    out, _ = align_new_embeddings(table, english, translations, ridge=1e9, strip_special=False)
    np.testing.assert_allclose(out, table, atol=1e-6)


def test_pairs_within_and_across_groups():
    a = np.array([0, 0, 1, 3, 3, 3])
    b = np.array([0, 1, 1, 2, 3])
    i, j = _pairs(a, b)
    got = sorted(zip(i.tolist(), j.tolist()))
    want = sorted((p, q) for p in range(len(a)) for q in range(len(b)) if a[p] == b[q])
    assert got == want
    i, j = _pairs(a, a)
    assert len(i) == 2 * 2 + 1 + 3 * 3


def capped_corpus(rng, pairs=300):
    V, C = 40, 6
    table = rng.normal(size=(V, C)).astype(np.float32)
    english = [rng.integers(5, 20, size=6) for _ in range(pairs)]                  # English uses 5..19
    translations = [np.r_[rng.integers(20, 30, size=4), rng.integers(30, 40, size=1)] for _ in range(pairs)]
    translations[0] = np.r_[translations[0], [20] * 50]                            # 20 is used most
    return table, english, translations


def test_a_cap_fits_the_most_used_new_tokens_first_with_the_rarer_at_their_start():
    """max_tokens: the first block is the K most used new tokens, fitted exactly as if the rarer were
    constants at X0 (what a fit of those K alone gives)."""
    from tinykd.align import choose_free_tokens, solve_ridge
    rng = np.random.default_rng(3)
    table, english, translations = capped_corpus(rng)
    fixed, blocks, stats = choose_free_tokens(len(table), english, translations, max_tokens=5)
    assert stats == {"fixed": 15, "fitted": 20, "blocks": 4, "unseen": 5}
    assert [len(b) for b in blocks] == [5, 5, 5, 5] and 20 in blocks[0]
    uses = np.bincount(np.concatenate(translations), minlength=len(table))
    assert uses[blocks[0]].min() >= np.sort(uses[20:])[-5]                         # the five most used first
    assert all(uses[a].min() >= uses[b].max() for a, b in zip(blocks, blocks[1:]))
    free = np.zeros(len(table), bool)
    free[blocks[0]] = True
    AtA, AtY, ids = normal_equations(english, translations, table, free)
    first_alone, _ = solve_ridge(AtA, AtY, table[ids], 0.01)
    capped, capped_stats = align_new_embeddings(table, english, translations, strip_special=False, max_tokens=5)
    np.testing.assert_allclose(capped[blocks[0]], first_alone, rtol=1e-6)
    np.testing.assert_array_equal(capped[:20], table[:20])                         # English rows untouched
    assert np.abs(capped[20:40] - table[20:40]).max(axis=1).min() > 0             # every new token moved


def test_each_later_block_is_the_fit_of_its_tokens_given_the_blocks_before():
    """Block b's rows solve the ridge problem whose constants are the rows the earlier blocks fitted
    (and the later blocks' starts), with the first block's r; summing over only the pairs that use
    block b changes nothing."""
    rng = np.random.default_rng(4)
    table, english, translations = capped_corpus(rng)
    capped, stats = align_new_embeddings(table, english, translations, strip_special=False, max_tokens=5,
                                         ridge=0.05)
    from tinykd.align import choose_free_tokens
    _, blocks, _ = choose_free_tokens(len(table), english, translations, max_tokens=5)
    for b in (1, 3):
        constants = table.copy()
        for earlier in blocks[:b]:
            constants[earlier] = capped[earlier]
        free = np.zeros(len(table), bool)
        free[blocks[b]] = True
        AtA, AtY, ids = normal_equations(english, translations, constants, free)   # every pair
        want = np.linalg.solve(AtA.astype(np.float64) + stats["ridge"] * np.eye(len(ids)),
                               AtY + stats["ridge"] * table[ids])
        np.testing.assert_allclose(capped[blocks[b]], want, atol=1e-5)


def test_later_blocks_fit_the_pairs_better_than_leaving_the_rarer_tokens_at_their_start():
    rng = np.random.default_rng(5)
    table, english, translations = capped_corpus(rng)

    def residual(E):   # sum over pairs of |mean E[translation] - mean E[English]|^2
        return sum(float(((E[x].mean(0) - E[e].mean(0)) ** 2).sum()) for e, x in zip(english, translations))

    from tinykd.align import choose_free_tokens, solve_ridge
    _, blocks, _ = choose_free_tokens(len(table), english, translations, max_tokens=5)
    first_only = table.copy()
    free = np.zeros(len(table), bool)
    free[blocks[0]] = True
    AtA, AtY, ids = normal_equations(english, translations, table, free)
    first_only[ids], _ = solve_ridge(AtA, AtY, table[ids], 0.01)
    staged, _ = align_new_embeddings(table, english, translations, strip_special=False, max_tokens=5)
    joint, _ = align_new_embeddings(table, english, translations, strip_special=False)
    assert residual(joint) <= residual(staged) < 0.9 * residual(first_only)


def test_uses_any_finds_the_sentences_with_a_token_of_the_set():
    from tinykd.align import uses_any
    tokens = np.zeros(10, bool)
    tokens[[3, 7]] = True
    ids = [np.array([1, 2]), np.array([], dtype=np.int64), np.array([7]), np.array([0, 3, 3]), np.array([9])]
    assert uses_any(ids, tokens).tolist() == [2, 3]
    assert uses_any([np.array([], dtype=np.int64)], tokens).tolist() == []


def test_spread_sample_takes_evenly_spaced_rows_or_all():
    from tinykd.align import spread_sample
    assert spread_sample(10, 5).tolist() == [0, 2, 4, 6, 8]
    assert spread_sample(10, 3).tolist() == [0, 3, 6]
    for everything in (0, 7, 99):                                    # 0: no limit; n or more: all of them
        assert spread_sample(7, everything).tolist() == list(range(7))
    taken = spread_sample(1000, 300)
    assert len(taken) == len(set(taken.tolist())) == 300 and np.all(np.diff(taken) > 0)


def test_a_fit_on_a_sample_of_pairs_is_the_fit_of_those_pairs_with_tokens_chosen_on_all():
    """max_pairs: the tokens are chosen on every pair, the normal equations summed over the sample."""
    from tinykd.align import choose_free_tokens, solve_ridge, spread_sample
    rng = np.random.default_rng(5)
    table, english, translations = random_corpus(rng, pairs=90)
    translations[1] = np.r_[translations[1], 39]                     # token 39: only in pair 1, not in the sample
    translations = [x[x != 39] if i != 1 else x for i, x in enumerate(translations)]
    fixed, blocks, _ = choose_free_tokens(len(table), english, translations, max_tokens=0)
    free = np.zeros(len(table), bool)
    free[blocks[0]] = True
    assert free[39]
    sample = spread_sample(90, 30)
    assert 1 not in sample
    AtA, AtY, new_ids = normal_equations([english[i] for i in sample], [translations[i] for i in sample], table, free)
    X, _ = solve_ridge(AtA, AtY, table[new_ids], 0.05)
    out, stats = align_new_embeddings(table, english, translations, ridge=0.05, strip_special=False,
                                      max_pairs=30)
    np.testing.assert_allclose(out[new_ids], X, atol=1e-6)
    assert stats["fitted"] == free.sum() == 25
    np.testing.assert_allclose(out[39], table[39], atol=1e-6)        # chosen on all pairs, never seen in the sample
    whole, _ = align_new_embeddings(table, english, translations, ridge=0.05, strip_special=False)
    every, _ = align_new_embeddings(table, english, translations, ridge=0.05, strip_special=False, max_pairs=90)
    np.testing.assert_array_equal(whole, every)                      # a sample of all of them is all of them
    assert not np.allclose(whole, out)


@pytest.mark.parametrize("K, block", [(1, 4), (7, 3), (24, 8), (50, 7), (130, 512)])
def test_blocked_cholesky_is_lapacks(K, block):
    """cholesky_in_place, block column by block column with matrix products, gives LAPACK's factor,
    also when the blocks do not divide K; zeros above the diagonal."""
    from tinykd.align import cholesky_in_place
    rng = np.random.default_rng(K)
    B = rng.standard_normal((K, K + 3))
    M = B @ B.T + 0.1 * np.eye(K)                                       # symmetric positive definite
    L = cholesky_in_place(M.copy(), block=block)
    np.testing.assert_allclose(L, np.linalg.cholesky(M), rtol=1e-9, atol=1e-10)
    assert np.all(np.triu(L, 1) == 0)
