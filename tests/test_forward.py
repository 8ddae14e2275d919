"""Forward passes against closed-form expectations, precision, and the layer contract."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinykd import backend
from tinykd.gradcheck import randomize_parameters
from tinykd.model import Encoder, EncoderConfig
from tinykd.nn import GELU, Dropout, LayerNorm, Linear, MeanPooling, MultiHeadSelfAttention, softmax

TINY = dict(vocab_size=31, hidden_size=12, num_layers=2, num_heads=3, intermediate_size=24, max_position=16)


def to_np(a):
    return backend.to_numpy(a)


def exact_gelu(x):
    return np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in np.ravel(x)]).reshape(np.shape(x))


# -- erf and GELU ---------------------------------------------------------------

def test_erf_float32_is_within_float32_rounding_of_the_true_erf(on_backend):
    x = np.linspace(-7, 7, 20001).astype(np.float32)
    ours = to_np(backend.erf(backend.asarray(x))).astype(np.float64)
    true = np.array([math.erf(float(v)) for v in x])
    assert ours.dtype == np.float64 and np.abs(ours - true).max() < 5e-7     # a few float32 ulps of 1
    assert to_np(backend.erf(backend.asarray(x))).dtype == np.float32


def test_erf_float64_is_exact(on_backend):
    x = np.linspace(-6, 6, 1001)
    true = np.array([math.erf(v) for v in x])
    assert np.abs(to_np(backend.erf(backend.asarray(x))) - true).max() < 1e-15


def test_gelu_matches_the_exact_erf_form_not_tanh():
    x = np.linspace(-6, 6, 2001)
    y32 = to_np(GELU()(backend.asarray(x, dtype=np.float32))).astype(np.float64)
    assert np.abs(y32 - exact_gelu(x)).max() < 2e-6
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    assert np.abs(tanh_form - exact_gelu(x)).max() > 1e-4                # the form BERT does not use


def test_gelu_backward_float32_matches_the_true_derivative():
    x = np.linspace(-6, 6, 2001)
    g = GELU()
    g(backend.asarray(x, dtype=np.float32))
    d32 = to_np(g.backward(backend.asarray(np.ones_like(x), dtype=np.float32))).astype(np.float64)
    cdf = np.array([0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x])
    true = cdf + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    assert np.abs(d32 - true).max() < 2e-6


# -- attention and pooling ----------------------------------------------------------

def test_softmax_rows_sum_to_one_and_survive_large_inputs():
    s = backend.asarray(np.array([[1000.0, 1001.0, 999.0], [0.0, 0.0, 0.0]]))
    p = to_np(softmax(s))
    assert np.allclose(p.sum(-1), 1) and np.allclose(p[1], 1 / 3) and np.isfinite(p).all()


def test_a_masked_key_gets_zero_weight_and_is_ignored(on_backend):
    attn = MultiHeadSelfAttention(8, 2, dropout=0.0)
    randomize_parameters(attn, 1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 4, 8)).astype(np.float32)
    mask = backend.asarray(np.array([[1, 1, 0, 1]]))
    y1 = to_np(attn(backend.asarray(x), mask))
    weights = to_np(attn.attention_weights)                                 # (B, H, T, T)
    assert np.all(weights[..., 2] == 0.0)                            # exactly zero weight
    x[0, 2] += 100.0                                                 # change the masked token
    y2 = to_np(attn(backend.asarray(x), mask))
    unmasked = [0, 1, 3]
    np.testing.assert_allclose(y1[0, unmasked], y2[0, unmasked], rtol=0, atol=1e-6)


def test_without_sqrt_dk_the_softmax_saturates():
    rng = np.random.default_rng(0)
    d_k = 256
    q, k = rng.standard_normal((1, d_k)), rng.standard_normal((16, d_k))
    raw = to_np(softmax(backend.asarray(q @ k.T)))
    scaled = to_np(softmax(backend.asarray(q @ k.T / math.sqrt(d_k))))
    assert raw.max() > 0.9 > scaled.max()                            # one key takes (almost) everything


def test_mean_pooling_ignores_padding(on_backend):
    h = np.random.default_rng(0).standard_normal((2, 4, 3))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]])
    pooled = to_np(MeanPooling()(backend.asarray(h), backend.asarray(mask)))
    np.testing.assert_allclose(pooled[0], h[0].mean(0))
    np.testing.assert_allclose(pooled[1], h[1, :2].mean(0))


def test_padding_does_not_change_a_sentence_embedding(on_backend):
    model = Encoder(EncoderConfig(**TINY)).eval()
    ids = np.array([[2, 5, 7, 9, 3]])
    alone = to_np(model(backend.asarray(ids), backend.asarray(np.ones_like(ids))))
    padded_ids = np.array([[2, 5, 7, 9, 3, 0, 0, 0], [2, 4, 4, 4, 4, 4, 4, 3]])
    padded_mask = np.array([[1, 1, 1, 1, 1, 0, 0, 0], [1] * 8])
    batch = to_np(model(backend.asarray(padded_ids), backend.asarray(padded_mask)))
    np.testing.assert_allclose(batch[0], alone[0], rtol=0, atol=2e-6)


def test_inference_forward_keeps_no_block_caches_and_gives_the_same_vectors(on_backend):
    """keep_cache=False (what SentenceEncoder.encode uses) frees each block's
    activations as it goes: the same vectors, nothing held, and a backward is refused."""
    model = Encoder(EncoderConfig(**TINY)).eval()
    ids = backend.asarray(np.array([[2, 5, 7, 9, 3], [2, 4, 3, 0, 0]]))
    mask = backend.asarray(np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]))
    kept = to_np(model(ids, mask))
    assert all(block.attention.self_attention.cache is not None for block in model.encoder.blocks)
    freed = to_np(model(ids, mask, keep_cache=False))
    np.testing.assert_array_equal(freed, kept)
    assert all(module.cache is None for block in model.encoder.blocks for _, module in block.named_modules())
    with pytest.raises(RuntimeError, match="keep_cache=False"):
        model.backward(backend.asarray(np.ones_like(freed)))
    model(ids, mask)                                  # a training-style forward: backward works again
    model.backward(backend.asarray(np.ones_like(freed)))


def test_encoder_output_is_unit_length_and_of_the_configured_width():
    model = Encoder(EncoderConfig(**TINY, output_size=20)).eval()
    y = to_np(model(backend.asarray(np.array([[2, 3, 4]])), backend.asarray(np.ones((1, 3), int))))
    assert y.shape == (1, 20) and np.isclose(np.linalg.norm(y), 1.0, atol=1e-6)


def test_too_long_input_is_a_clear_error():
    model = Encoder(EncoderConfig(**TINY))
    ids = np.zeros((1, 17), dtype=np.int64)
    with pytest.raises(ValueError, match="longer than the model's 16 positions"):
        model(ids, np.ones_like(ids))


def test_layernorm_normalises():
    x = np.random.default_rng(0).standard_normal((5, 10)) * 3 + 7
    y = to_np(LayerNorm(10)(backend.asarray(x)))
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-6)
    np.testing.assert_allclose(y.std(-1), 1, atol=1e-4)


def test_dropout_scales_in_training_and_is_the_identity_in_eval():
    x = backend.asarray(np.ones((200, 200), dtype=np.float32))
    layer = Dropout(0.25)
    assert layer(x) is x
    y = to_np(layer.train()(x))
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01


# -- float32 against float64 -------------------------------------------------------

def test_float32_agrees_with_float64(on_backend):
    """The same weights in float32 (on either backend) and float64 (NumPy) give
    the same sentence vectors and gradients to float32 precision."""
    backend.use("numpy")
    with backend.precision(np.float64):
        ref = Encoder(EncoderConfig(**TINY, output_size=10)).eval()
        randomize_parameters(ref, 3, std=0.2)
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 31, (3, 7))
    mask = (np.arange(7)[None] < np.array([[7], [4], [1]])).astype(np.int64)
    dy = rng.standard_normal((3, 10))
    y64 = ref(ids, mask)
    ref.backward(dy)

    backend.use(on_backend)
    model = Encoder(EncoderConfig(**TINY, output_size=10)).eval()
    model.load_state_dict(ref.state_dict())
    y32 = model(backend.asarray(ids), backend.asarray(mask))
    assert y32.dtype == np.float32
    model.backward(backend.asarray(dy, dtype=np.float32))
    np.testing.assert_allclose(to_np(y32), y64, rtol=1e-4, atol=1e-5)
    for name, g64 in ref.gradients().items():
        g32 = to_np(model.gradients()[name])
        if name.endswith("key.bias"):                 # zero in exact arithmetic: rounding only
            assert np.abs(g32).max() < 1e-6
            continue
        scale = np.abs(g64).max()
        assert np.abs(g32 - g64).max() / scale < 1e-3, name


# -- the layer contract --------------------------------------------------------------

def test_two_backward_calls_accumulate_twice_the_gradient_and_zero_grad_resets():
    model = Encoder(EncoderConfig(**TINY, dropout=0.0))
    ids, mask = np.array([[1, 2, 3, 4]]), np.ones((1, 4), dtype=np.int64)
    dy = np.random.default_rng(0).standard_normal((1, 12)).astype(np.float32)
    model(ids, mask)
    model.backward(dy)
    once = {k: v.copy() for k, v in model.gradients().items()}
    model(ids, mask)
    model.backward(dy)
    for name, g in model.gradients().items():
        np.testing.assert_allclose(g, 2 * once[name], rtol=1e-5, atol=1e-7, err_msg=name)
    model.zero_grad()
    assert all(not g.any() for g in model.gradients().values())


def test_linear_backward_adds_into_grads():
    layer = Linear(3, 2)
    x = np.ones((4, 3), dtype=np.float32)
    layer(x)
    layer.backward(np.ones((4, 2), dtype=np.float32))
    np.testing.assert_allclose(layer.grads["bias"], [4, 4])


def test_same_seed_gives_identical_weights():
    def build(seed):
        backend.seed(seed)
        return Encoder(EncoderConfig(**TINY)).state_dict()
    a, b, c = build(1), build(1), build(2)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["encoder.layer.0.attention.self.query.weight"],
                              c["encoder.layer.0.attention.self.query.weight"])


def test_bert_parameter_names():
    names = set(Encoder(EncoderConfig(**TINY, output_size=5)).parameters())
    for expected in ("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                     "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
                     "encoder.layer.1.attention.self.query.weight", "encoder.layer.1.attention.self.value.bias",
                     "encoder.layer.0.attention.output.dense.weight", "encoder.layer.0.attention.output.LayerNorm.bias",
                     "encoder.layer.0.intermediate.dense.weight", "encoder.layer.0.output.dense.bias",
                     "encoder.layer.0.output.LayerNorm.weight", "projection.weight"):
        assert expected in names
    assert len(names) == 5 + 16 * 2 + 2


def test_minilm_sized_config_has_the_teachers_parameter_count():
    config = EncoderConfig()   # the defaults are all-MiniLM-L6-v2's shape
    model = Encoder(config)
    # 22.7M on the model card counts BERT's pooler too (384 * 384 + 384), which
    # sentence-transformers never uses and we do not build.
    assert model.num_parameters() + 384 * 384 + 384 == 22_713_216


# -- files ---------------------------------------------------------------------------

def test_save_and_load_round_trip(tmp_path):
    model = Encoder(EncoderConfig(**TINY, output_size=7))
    model.save(tmp_path / "m.safetensors")
    again = Encoder.load(tmp_path / "m.safetensors")
    assert again.config == model.config
    for name, p in model.state_dict().items():
        assert np.array_equal(p, again.state_dict()[name])
    assert not list(tmp_path.glob(".*tmp*"))               # the temporary file was renamed away


def test_save_float16_halves_and_loads_back(tmp_path):
    model = Encoder(EncoderConfig(**{**TINY, "vocab_size": 1000, "hidden_size": 48}))
    model.save(tmp_path / "full.safetensors")
    model.save(tmp_path / "half.safetensors", dtype=np.float16)
    assert (tmp_path / "half.safetensors").stat().st_size < 0.6 * (tmp_path / "full.safetensors").stat().st_size
    again = Encoder.load(tmp_path / "half.safetensors")
    assert again.parameters()["embeddings.LayerNorm.weight"].dtype == np.float32


def test_load_state_dict_names_what_does_not_fit():
    model = Encoder(EncoderConfig(**TINY))
    state = model.state_dict()
    del state["embeddings.LayerNorm.bias"]
    state["pooler.dense.weight"] = np.zeros(3)
    with pytest.raises(KeyError, match="embeddings.LayerNorm.bias.*pooler.dense.weight"):
        model.load_state_dict(state)
    state = model.state_dict()
    state["embeddings.word_embeddings.weight"] = np.zeros((5, 12))
    with pytest.raises(ValueError, match=r"word_embeddings.weight: checkpoint has shape \(5, 12\)"):
        model.load_state_dict(state)


def test_config_is_checked():
    with pytest.raises(ValueError, match="not divisible"):
        EncoderConfig(hidden_size=10, num_heads=3)
    with pytest.raises(ValueError, match="unknown EncoderConfig keys"):
        EncoderConfig.from_dict({"hidden_size": 8, "num_heads": 2, "colour": "red"})


def test_loading_a_file_that_is_not_ours_is_refused(tmp_path):
    from safetensors.numpy import save_file
    save_file({"x": np.zeros(2, dtype=np.float32)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(ValueError, match="no tinykd config"):
        Encoder.load(tmp_path / "other.safetensors")
    with pytest.raises(FileNotFoundError):
        Encoder.load(tmp_path / "missing.safetensors")


@pytest.mark.parametrize("num_layers,output_size", [(2, None), (2, 6), (0, 12)])
def test_scale_output_gives_unit_mean_length_and_keeps_every_direction(num_layers, output_size):
    """An unnormalised student's last affine map is divided by its mean output length."""
    from tinykd.student import scale_output
    backend.seed(0)
    model = Encoder(EncoderConfig(**{**TINY, "num_layers": num_layers}, output_size=output_size,
                                  normalize=False)).eval()
    randomize_parameters(model, np.random.default_rng(0))
    ids = np.random.default_rng(1).integers(0, TINY["vocab_size"], (5, 7))
    mask = np.ones_like(ids)
    mask[0, 4:] = 0
    before = backend.to_numpy(model(ids, mask))
    length = scale_output(model, ids, mask)
    after = backend.to_numpy(model(ids, mask))
    assert length == pytest.approx(np.linalg.norm(before, axis=1).mean(), rel=1e-5)
    assert np.linalg.norm(after, axis=1).mean() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(after * length, before, rtol=1e-4, atol=1e-5)


def test_scale_output_refuses_a_normalised_model():
    from tinykd.student import scale_output
    model = Encoder(EncoderConfig(**TINY))
    with pytest.raises(ValueError, match="normalisation"):
        scale_output(model, np.zeros((1, 3), dtype=np.int64), np.ones((1, 3), dtype=np.int64))
