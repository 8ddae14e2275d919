"""Numerical gradient checks: every layer and the whole encoder, every parameter by name.

float64, centred differences (h = 1e-5), the scalar sum(y * dout) with a random
dout, random LayerNorm gamma/beta and weights, masks with real padding.
Expected relative errors: about 1e-10 for a single layer (we require < 1e-7),
and < 1e-5 for the whole model.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinykd import backend, parallel
from tinykd.gradcheck import check_gradients, randomize_parameters, rel_error
from tinykd.model import Encoder, EncoderConfig
from tinykd.nn import (
    GELU,
    AttentionBlock,
    BertEmbeddings,
    DenseAddNorm,
    Dropout,
    Embedding,
    EncoderBlock,
    EncoderStack,
    Intermediate,
    L2Normalize,
    LayerNorm,
    Linear,
    MeanPooling,
    MultiHeadSelfAttention,
    RealTokens,
    softmax,
)
from tinykd.nn.attention import LengthBlocks

LAYER_TOL = 1e-7
BLOCK_TOL = 1e-6      # a whole encoder block, attention then feed-forward: centred differences through two
                      # residual sub-blocks reach 1.3e-7 on some shapes hypothesis draws (seen: B=3, T=4, H=1,
                      # C=3); a wrong backward is off by 1e-2 or more
MODEL_TOL = 1e-5


def randn(*shape, seed=0):
    return backend.asarray(np.random.default_rng(seed).standard_normal(shape), dtype=np.float64)


def padding_mask(lengths, T):
    """(B, T) mask with ``lengths[b]`` real tokens at the start of row b."""
    return backend.asarray((np.arange(T)[None, :] < np.asarray(lengths)[:, None]).astype(np.int64))


def assert_all_small(errors: dict, tol: float, zero_gradient=()):
    """Every entry below ``tol``; names in ``zero_gradient`` have an exactly zero
    true gradient, where a relative error means nothing, so they are checked elsewhere."""
    bad = {k: v for k, v in errors.items() if v > tol and not k.endswith(zero_gradient)}
    assert not bad, f"gradient check failed (tol {tol:g}): {bad}"


# -- single layers ---------------------------------------------------------------

@st.composite
def batch_shapes(draw):
    """Small shapes: batch, length <= 5, heads dividing the width, and token counts per row."""
    B = draw(st.integers(1, 3))
    T = draw(st.integers(1, 5))
    heads = draw(st.sampled_from([1, 2, 4]))
    head_dim = draw(st.sampled_from([3, 4]))     # width >= 3: LayerNorm over 2 is constant
    lengths = draw(st.lists(st.integers(1, T), min_size=B, max_size=B))
    if B > 1 and T > 2:
        lengths[-1] = 1          # one row that is mostly padding
    return B, T, heads, heads * head_dim, lengths


@given(st.integers(1, 4), st.integers(1, 6), st.integers(1, 6), st.integers(0, 10_000))
def test_linear(on_backend, float64, n, fan_in, fan_out, seed):
    layer = Linear(fan_in, fan_out)
    randomize_parameters(layer, seed)
    x = randn(n, 2, fan_in, seed=seed)
    errors = check_gradients(layer, lambda x: layer(x), {"x": x}, wrt=("x",), seed=seed)
    assert set(errors) == {"input:x", "weight", "bias"}
    assert_all_small(errors, LAYER_TOL)


@given(st.integers(1, 4), st.integers(3, 8), st.integers(0, 10_000))   # width 2: xhat = +-1, no gradient
def test_layernorm(on_backend, float64, n, width, seed):
    layer = LayerNorm(width, eps=1e-12)
    randomize_parameters(layer, seed)                      # gamma ~ 1 + noise, beta ~ noise
    x = randn(n, 3, width, seed=seed) * 2 + 0.5
    errors = check_gradients(layer, lambda x: layer(x), {"x": x}, wrt=("x",), seed=seed)
    assert set(errors) == {"input:x", "weight", "bias"}
    assert_all_small(errors, LAYER_TOL)


@given(st.integers(0, 10_000))
def test_gelu(on_backend, float64, seed):
    layer = GELU()
    x = randn(4, 7, seed=seed) * 3                          # covers both tails
    assert_all_small(check_gradients(layer, lambda x: layer(x), {"x": x}, wrt=("x",), seed=seed), LAYER_TOL)


def test_dropout_in_training(on_backend, float64):
    layer = Dropout(0.3).train()

    def forward(x):
        backend.seed(7)                                   # the same mask on every call
        return layer(x)

    x = randn(3, 10)
    y = forward(x)
    assert 0 < int((y == 0).sum()) < y.size               # some but not all dropped
    assert_all_small(check_gradients(layer, forward, {"x": x}, wrt=("x",)), LAYER_TOL)


def test_embedding(on_backend, float64):
    layer = Embedding(7, 4)
    ids = backend.asarray(np.array([[1, 3, 1], [6, 0, 1]]))    # a repeated id accumulates
    errors = check_gradients(layer, lambda: layer(ids), {})
    assert_all_small(errors, LAYER_TOL)


@pytest.mark.parametrize("real_tokens_only", [False, True])     # the (B, T) grid, or its real tokens (N,)
@given(batch_shapes(), st.integers(0, 10_000))
def test_bert_embeddings(on_backend, float64, real_tokens_only, shape, seed):
    B, T, _, C, lengths = shape
    layer = BertEmbeddings(vocab_size=11, width=C, max_position=6, type_vocab_size=2, dropout=0.0)
    randomize_parameters(layer, seed)
    rng = np.random.default_rng(seed)
    ids = backend.asarray(rng.integers(0, 11, (B, T)))
    types = backend.asarray(rng.integers(0, 2, (B, T)))
    tokens = RealTokens(padding_mask(lengths, T)) if real_tokens_only else None
    errors = check_gradients(layer, lambda: layer(ids, types, tokens), {}, seed=seed)
    assert set(errors) == {f"{n}.weight" for n in ("word_embeddings", "position_embeddings",
                                                   "token_type_embeddings", "LayerNorm")} | {"LayerNorm.bias"}
    assert_all_small(errors, LAYER_TOL)


@given(batch_shapes(), st.integers(0, 10_000))
def test_attention(on_backend, float64, shape, seed):
    B, T, H, C, lengths = shape
    layer = MultiHeadSelfAttention(C, H, dropout=0.0)
    randomize_parameters(layer, seed)
    x, mask = randn(B, T, C, seed=seed), padding_mask(lengths, T)
    errors = check_gradients(layer, lambda x: layer(x, mask), {"x": x}, wrt=("x",), seed=seed)
    assert len(errors) == 7
    assert_all_small(errors, LAYER_TOL, zero_gradient=("key.bias",))


def test_attention_key_bias_gets_no_gradient(float64):
    """q . (k + b) = q . k + q . b is the same for every key, and the softmax ignores
    a constant per row: the key bias cannot change the output. Its gradient is 0."""
    layer = MultiHeadSelfAttention(6, 2, dropout=0.0)
    randomize_parameters(layer, 3)
    x, mask = randn(2, 4, 6), padding_mask([4, 2], 4)
    layer(x, mask)
    layer.zero_grad()
    layer.backward(randn(2, 4, 6, seed=1))
    assert float(abs(layer.key.grads["bias"]).max()) < 1e-12
    assert float(abs(layer.query.grads["bias"]).max()) > 1e-3


@given(batch_shapes(), st.integers(0, 10_000))
def test_dense_add_norm(on_backend, float64, shape, seed):
    B, T, _, C, _ = shape
    layer = DenseAddNorm(2 * C, C, dropout=0.0)
    randomize_parameters(layer, seed)
    h, res = randn(B, T, 2 * C, seed=seed), randn(B, T, C, seed=seed + 1)
    errors = check_gradients(layer, lambda h, res: layer(h, res), {"h": h, "res": res}, wrt=("h", "res"), seed=seed)
    assert_all_small(errors, LAYER_TOL)


def test_intermediate(on_backend, float64):
    layer = Intermediate(6, 12)
    randomize_parameters(layer, 1)
    assert_all_small(check_gradients(layer, lambda x: layer(x), {"x": randn(2, 3, 6)}, wrt=("x",)), LAYER_TOL)


@given(batch_shapes(), st.integers(0, 10_000))
def test_attention_block(on_backend, float64, shape, seed):
    B, T, H, C, lengths = shape
    layer = AttentionBlock(C, H, eps=1e-12, dropout=0.0, init_std=0.02)
    randomize_parameters(layer, seed)
    x, mask = randn(B, T, C, seed=seed), padding_mask(lengths, T)
    errors = check_gradients(layer, lambda x: layer(x, mask), {"x": x}, wrt=("x",), seed=seed)
    assert_all_small(errors, LAYER_TOL, zero_gradient=("key.bias",))


@given(batch_shapes(), st.integers(0, 10_000))
def test_encoder_block(on_backend, float64, shape, seed):
    B, T, H, C, lengths = shape
    layer = EncoderBlock(C, H, 2 * C, dropout=0.0)
    randomize_parameters(layer, seed)
    x, mask = randn(B, T, C, seed=seed), padding_mask(lengths, T)
    errors = check_gradients(layer, lambda x: layer(x, mask), {"x": x}, wrt=("x",), seed=seed)
    assert len(errors) == 17                                # 16 parameters + the input
    assert_all_small(errors, BLOCK_TOL, zero_gradient=("key.bias",))


def test_encoder_stack(on_backend, float64):
    layer = EncoderStack(2, 4, 2, 8, dropout=0.0)
    randomize_parameters(layer, 2, std=0.4)
    x, mask = randn(3, 4, 4), padding_mask([4, 2, 1], 4)
    errors = check_gradients(layer, lambda x: layer(x, mask), {"x": x}, wrt=("x",))
    assert len(errors) == 33
    assert_all_small(errors, LAYER_TOL, zero_gradient=("key.bias",))


@pytest.mark.parametrize("real_tokens_only", [False, True])     # h: (B, T, C) with its mask, or (N, C)
@given(batch_shapes(), st.integers(0, 10_000))
def test_mean_pooling(on_backend, float64, real_tokens_only, shape, seed):
    B, T, _, C, lengths = shape
    layer = MeanPooling()
    mask = padding_mask(lengths, T)
    if real_tokens_only:
        mask = RealTokens(mask)
    h = randn(mask.count, C, seed=seed) if real_tokens_only else randn(B, T, C, seed=seed)
    errors = check_gradients(layer, lambda h: layer(h, mask), {"h": h}, wrt=("h",), seed=seed)
    assert_all_small(errors, LAYER_TOL)


@given(st.integers(1, 4), st.integers(1, 6), st.integers(0, 10_000))
def test_l2_normalize(on_backend, float64, n, width, seed):
    layer = L2Normalize()
    errors = check_gradients(layer, lambda x: layer(x), {"x": randn(n, width, seed=seed)}, wrt=("x",), seed=seed)
    assert_all_small(errors, LAYER_TOL)


# -- the real tokens only (tinykd.nn.packing): what the encoder passes between layers --------


@given(batch_shapes(), st.integers(0, 10_000))
def test_attention_on_real_tokens(on_backend, float64, shape, seed):
    B, T, H, C, lengths = shape
    layer = MultiHeadSelfAttention(C, H, dropout=0.0)
    randomize_parameters(layer, seed)
    tokens = RealTokens(padding_mask(lengths, T))
    x = randn(tokens.count, C, seed=seed)                                    # (N, C)
    errors = check_gradients(layer, lambda x: layer(x, tokens), {"x": x}, wrt=("x",), seed=seed)
    assert len(errors) == 7
    assert_all_small(errors, LAYER_TOL, zero_gradient=("key.bias",))


@st.composite
def uneven_batches(draw):
    """Up to 7 sentences of 1-9 tokens, and a block budget from one sentence a block to all in one."""
    lengths = draw(st.lists(st.integers(1, 9), min_size=1, max_size=7))
    return lengths, draw(st.integers(1, 2000)), draw(st.booleans())


@given(uneven_batches(), st.integers(0, 10_000))
def test_attention_in_length_blocks(on_backend, float64, batch, seed):
    """Attention scores blocks of sentences sorted by length, each block only as long as its longest
    (LengthBlocks); with a small budget a batch makes many blocks of different lengths. Each real
    token gets what attention over its own sentence alone gives it, and the gradients check."""
    lengths, budget, real_tokens_only = batch
    B, T, H, C = len(lengths), max(lengths), 2, 6
    layer = MultiHeadSelfAttention(C, H, dropout=0.0)
    randomize_parameters(layer, seed)
    mask = padding_mask(lengths, T)
    tokens = RealTokens(mask) if real_tokens_only else None
    x = randn(tokens.count, C, seed=seed) if tokens else randn(B, T, C, seed=seed)    # (N, C) or (B, T, C)
    saved, parallel.BLOCK = parallel.BLOCK, budget
    try:
        plan = LengthBlocks(mask, H, np.float64, tokens)
        assert sorted(int(i) for b in plan.blocks for i in plan.order[b.rows]) == list(range(B))  # each once
        assert all(b.keys == max(lengths[i] for i in plan.order[b.rows]) for b in plan.blocks)
        y = backend.to_numpy(layer(x, tokens or mask))
        errors = check_gradients(layer, lambda x: layer(x, tokens or mask), {"x": x}, wrt=("x",), seed=seed)
    finally:
        parallel.BLOCK = saved
    assert_all_small(errors, LAYER_TOL, zero_gradient=("key.bias",))
    p = {name: backend.to_numpy(a) for name, a in layer.parameters().items()}
    x, D = backend.to_numpy(x), C // H
    start = 0
    for b, n in enumerate(lengths):                          # each sentence alone, by the formula
        xs = x[start:start + n] if tokens else x[b, :n]
        q, k, v = (xs @ p[f"{m}.weight"].T + p[f"{m}.bias"] for m in ("query", "key", "value"))
        q, k, v = (a.reshape(n, H, D).transpose(1, 0, 2) for a in (q, k, v))             # (H, n, D)
        w = backend.to_numpy(softmax(backend.asarray(q @ k.transpose(0, 2, 1) / np.sqrt(D))))
        alone = (w @ v).transpose(1, 0, 2).reshape(n, C)
        got = y[start:start + n] if tokens else y[b, :n]
        assert rel_error(got, alone) < 1e-12
        start += n


@given(batch_shapes(), st.integers(0, 10_000))
def test_real_tokens_carry_the_padded_batch_s_values_and_gradients(on_backend, float64, shape, seed):
    """An encoder block on the real tokens alone gives what it gives them in the padded grid: the
    same outputs, the same parameter gradients, the same input gradient (padding never reaches a token)."""
    B, T, H, C, lengths = shape
    padded, packed = EncoderBlock(C, H, 2 * C, dropout=0.0), EncoderBlock(C, H, 2 * C, dropout=0.0)
    randomize_parameters(padded, seed)
    packed.load_state_dict(padded.state_dict())
    mask = padding_mask(lengths, T)
    tokens = RealTokens(mask)
    x = randn(B, T, C, seed=seed)
    dy = randn(B, T, C, seed=seed + 1) * mask[:, :, None]      # padding's outputs feed nothing: no gradient
    padded.zero_grad()
    packed.zero_grad()
    y_grid, y = padded(x, mask), packed(tokens.gather(x), tokens)
    dx_grid, dx = padded.backward(dy), packed.backward(tokens.gather(dy))
    assert rel_error(backend.to_numpy(y), backend.to_numpy(tokens.gather(y_grid))) < 1e-12
    assert rel_error(backend.to_numpy(dx), backend.to_numpy(tokens.gather(dx_grid))) < 1e-12
    for name, grad in padded.gradients().items():
        ours, grid = backend.to_numpy(packed.gradients()[name]), backend.to_numpy(grad)
        if name.endswith("key.bias"):        # exactly 0 in truth (test_attention_key_bias_gets_no_gradient): the
            # two paths' rounding noise (1e-17, the grid summing over all T query rows) has no relative error
            assert max(abs(ours).max(), abs(grid).max()) < 1e-12, name
        else:
            assert rel_error(ours, grid) < 1e-12, name


def test_real_tokens_gather_and_scatter(on_backend):
    mask = padding_mask([3, 1, 2], 4)                          # (3, 4)
    tokens = RealTokens(mask)
    assert tokens.count == 6
    assert backend.to_numpy(tokens.positions).tolist() == [0, 1, 2, 0, 0, 1]
    grid = backend.asarray(np.arange(24, dtype=np.float64).reshape(3, 4, 2))
    real = tokens.gather(grid)                                 # (6, 2)
    assert backend.to_numpy(real[:, 0]).tolist() == [0, 2, 4, 8, 16, 18]
    back = backend.to_numpy(tokens.scatter(real))              # the grid, zero at the padding
    assert (back == backend.to_numpy(grid) * backend.to_numpy(mask)[:, :, None]).all()


# -- the whole encoder -----------------------------------------------------------

TINY = dict(vocab_size=23, hidden_size=8, num_layers=2, num_heads=2, intermediate_size=16, max_position=8,
            dropout=0.0)


@pytest.mark.parametrize("output_size,normalize", [(None, True), (None, False), (6, True), (6, False)])
def test_whole_encoder(on_backend, float64, output_size, normalize):
    model = Encoder(EncoderConfig(**TINY, output_size=output_size, normalize=normalize))
    randomize_parameters(model, 5, std=0.3)
    rng = np.random.default_rng(5)
    ids = backend.asarray(rng.integers(0, 23, (3, 6)))
    mask = padding_mask([6, 3, 1], 6)                        # full, half, mostly padding
    errors = check_gradients(model, lambda: model(ids, mask), {}, max_entries=24)
    names = set(model.parameters())
    assert set(errors) == names                              # every parameter, by name
    assert len(names) == 5 + 16 * 2 + (2 if output_size else 0)
    assert_all_small(errors, MODEL_TOL, zero_gradient=("key.bias",))


@given(batch_shapes(), st.integers(0, 10_000))
def test_whole_encoder_hypothesis(float64, shape, seed):
    B, T, H, C, lengths = shape
    model = Encoder(EncoderConfig(vocab_size=13, hidden_size=C, num_layers=1, num_heads=H,
                                  intermediate_size=2 * C, max_position=5, dropout=0.0, output_size=3))
    randomize_parameters(model, seed, std=0.3)
    ids = backend.asarray(np.random.default_rng(seed).integers(0, 13, (B, T)))
    mask = padding_mask(lengths, T)
    errors = check_gradients(model, lambda: model(ids, mask), {}, seed=seed, max_entries=12)
    assert_all_small(errors, MODEL_TOL, zero_gradient=("key.bias",))


def test_the_check_can_fail(float64):
    """A wrong backward must be caught: drop LayerNorm's mean term and see."""
    layer = LayerNorm(5)
    randomize_parameters(layer, 0)
    right = check_gradients(layer, lambda x: layer(x), {"x": randn(3, 5)}, wrt=("x",))
    assert right["input:x"] < LAYER_TOL

    original = LayerNorm.backward

    def broken(self, dy):
        xhat, rstd = self.cache
        self.grads["weight"] += (dy * xhat).reshape(-1, xhat.shape[-1]).sum(0)
        self.grads["bias"] += dy.reshape(-1, xhat.shape[-1]).sum(0)
        dxhat = dy * self.params["weight"]
        return (dxhat - xhat * (dxhat * xhat).mean(-1, keepdims=True)) * rstd   # mean term dropped

    LayerNorm.backward = broken
    try:
        wrong = check_gradients(layer, lambda x: layer(x), {"x": randn(3, 5)}, wrt=("x",))
    finally:
        LayerNorm.backward = original
    assert wrong["input:x"] > 1e-3


def test_ones_dout_hides_a_wrong_softmax_backward(float64):
    """Why dout must be random: sum(softmax(x)) is constant, so with dout = ones the
    true input gradient is 0, and a backward that returns 0 'passes'."""
    x = np.random.default_rng(0).standard_normal((2, 5))

    def loss(d):
        p = np.exp(x - x.max(-1, keepdims=True))
        return float((p / p.sum(-1, keepdims=True) * d).sum())

    ones = np.ones((2, 5))
    numeric_ones = np.array([[(loss_shift(loss, x, ones, i, j)) for j in range(5)] for i in range(2)])
    assert np.abs(numeric_ones).max() < 1e-8                  # zero: any wrong backward giving 0 passes
    rand = np.random.default_rng(1).standard_normal((2, 5))
    numeric_rand = np.array([[(loss_shift(loss, x, rand, i, j)) for j in range(5)] for i in range(2)])
    assert rel_error(np.zeros((2, 5)), numeric_rand) > 0.5    # a random dout exposes it


def loss_shift(loss, x, d, i, j, h=1e-5):
    old = x[i, j]
    x[i, j] = old + h
    plus = loss(d)
    x[i, j] = old - h
    minus = loss(d)
    x[i, j] = old
    return (plus - minus) / (2 * h)
