"""tinykd.parallel: blocks over threads, and weights that do not depend on the thread count."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from tinykd import backend, parallel
from tinykd.loss import distillation_loss_stacked
from tinykd.model import Encoder, EncoderConfig
from tinykd.optim import AdamW, clip_grad_norm


@pytest.fixture
def threads():
    """Set the pool's size inside a test; the size before is restored after it."""
    before = parallel.threads()
    yield lambda n: parallel.set_threads(n, blas=False)
    parallel.set_threads(before, blas=False)


def test_block_slices_cover_the_range_once():
    assert parallel.block_slices(10, 4) == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert parallel.block_slices(0, 4) == [slice(0, 0)]
    assert parallel.rows_per_block(parallel.BLOCK * 2) == 1


@pytest.mark.parametrize("n_threads", [1, 2, 5])
def test_for_blocks_returns_results_in_block_order_and_writes_every_row(threads, n_threads):
    threads(n_threads)
    out = np.zeros(1000)
    starts = parallel.for_blocks(1000, 7, lambda s: (out.__setitem__(s, np.arange(s.start, s.stop)), s.start)[1])
    assert starts == list(range(0, 1000, 7))
    np.testing.assert_array_equal(out, np.arange(1000))


@pytest.mark.parametrize("n_threads", [1, 2, 5])
def test_in_order_yields_each_result_in_the_items_order(threads, n_threads):
    import time
    threads(n_threads)
    slow_first = lambda k: (time.sleep(0.02 if k % 3 == 0 else 0), k * k)[1]      # later items finish first
    assert list(parallel.in_order(slow_first, range(20))) == [k * k for k in range(20)]


def test_the_fit_s_normal_equations_are_bit_identical_for_any_thread_count(threads):
    from tinykd.align import normal_equations
    rng = np.random.default_rng(1)
    table = rng.standard_normal((50, 8))
    english = [rng.integers(0, 10, rng.integers(1, 7)) for _ in range(300)]
    translations = [rng.integers(0, 50, rng.integers(1, 9)) for _ in range(300)]
    free = np.arange(50) >= 10
    results = []
    for n in (1, 3):
        threads(n)
        results.append(normal_equations(english, translations, table, free, chunk=16))
    for one, many in zip(*results):
        np.testing.assert_array_equal(one, many)


def test_an_error_in_a_block_is_raised_after_the_others_finish(threads):
    threads(3)
    done = []

    def work(s):
        if s.start == 40:
            raise KeyError("block 40")
        done.append(s.start)

    with pytest.raises(KeyError, match="block 40"):
        parallel.for_blocks(100, 10, work)
    assert sorted(done) == [0, 10, 20, 30, 50, 60, 70, 80, 90]


def test_set_threads_refuses_a_negative_count_and_zero_means_every_core(threads):
    with pytest.raises(ValueError, match="at least 1"):
        parallel.set_threads(-1, blas=False)
    assert parallel.set_threads(0, blas=False) == parallel.available_cores()


def _three_steps(dropout: float) -> dict:
    """Three training steps of a small encoder (dropout on), from seed 0: its weights afterwards."""
    backend.seed(0)
    model = Encoder(EncoderConfig(vocab_size=50, hidden_size=24, num_layers=2, num_heads=4, intermediate_size=48,
                                  max_position=16, dropout=dropout, output_size=12))
    model.train()
    opt = AdamW(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(1)
    lengths = rng.integers(2, 12, size=16)
    mask = (np.arange(12)[None, :] < lengths[:, None]).astype(np.int64)             # (16, 12) real padding
    ids = rng.integers(1, 50, size=(16, 12)) * mask
    teacher = rng.standard_normal((8, 12)).astype(np.float32)
    for _ in range(3):
        model.zero_grad()
        vectors = model(backend.asarray(ids), backend.asarray(mask))
        _, _, _, dvectors = distillation_loss_stacked(vectors, backend.asarray(teacher))
        model.backward(dvectors)
        clip_grad_norm(model.gradients(), 1.0)
        opt.step(model.gradients())
    return {k: backend.to_numpy(v).copy() for k, v in model.parameters().items()}


@pytest.mark.parametrize("dropout", [0.0, 0.1])
def test_weights_are_bit_identical_for_any_thread_count(threads, monkeypatch, dropout):
    """Tiny blocks, so that every layer's arrays are cut into many of them; BLAS held at one
    thread (its own rounding changes with its thread count, which is not ours to fix)."""
    monkeypatch.setattr(parallel, "BLOCK", 37)
    with threadpool_limits(limits=1, user_api="blas"):
        threads(1)
        one = _three_steps(dropout)
        threads(3)
        three = _three_steps(dropout)
    assert one.keys() == three.keys()
    for name in one:
        np.testing.assert_array_equal(three[name], one[name], err_msg=name)
