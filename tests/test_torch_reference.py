"""tinykd against PyTorch autograd on the same model: loss, EVERY gradient, one AdamW step.

The llm.c-style check (test_gpt2.c): the same weights and the same batch go
through tinykd's hand-written forward/backward and through the PyTorch twin in
benchmarks/torch_reference.py; every parameter's gradient must agree.

Expected error, per parameter, ``max|a - b| / max|b|``:
  * float32: 6e-7 measured (different summation orders); we allow 1e-4.
  * float64: 1.4e-15 measured; we allow 1e-9.
After two AdamW steps the weights agree to 2.6e-6 (float32; 1e-5 allowed) and
1e-15 (float64).
``key.bias`` gets no gradient in exact arithmetic (softmax is invariant to a
constant added to every score of a row, which is what the key bias does), so
its float noise is compared absolutely.

Skipped when torch is not installed (``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the PyTorch reference needs torch: pip install -e '.[bench]'")

from tinykd import backend  # noqa: E402
from tinykd.loss import distillation_loss_stacked  # noqa: E402
from tinykd.model import Encoder, EncoderConfig  # noqa: E402
from tinykd.optim import AdamW, clip_grad_norm  # noqa: E402

pytestmark = pytest.mark.reference

_REF_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "torch_reference.py"


def _load_reference():
    spec = importlib.util.spec_from_file_location("torch_reference", _REF_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ref_mod = _load_reference()

TOL = {np.float32: dict(grad=1e-4, loss=1e-5, key_bias=1e-6, weights=1e-5),
       np.float64: dict(grad=1e-9, loss=1e-12, key_bias=1e-13, weights=1e-12)}


def _config(output_size):
    # small, but every part: 2 layers, 4 heads, projection (or not), L2 normalisation
    return EncoderConfig(vocab_size=50, hidden_size=32, num_layers=2, num_heads=4, intermediate_size=64,
                         max_position=16, output_size=output_size, normalize=True, dropout=0.0)


def _setup(dtype, output_size=24):
    """A tinykd encoder with random weights (LayerNorm too), its torch twin, and one batch."""
    rng = np.random.default_rng(1)
    with backend.precision(dtype):
        model = Encoder(_config(output_size))
    state = {}
    for name, p in model.parameters().items():
        if "LayerNorm.weight" in name:
            state[name] = 1.0 + 0.2 * rng.standard_normal(p.shape)        # random gamma, not ones
        else:
            state[name] = 0.1 * rng.standard_normal(p.shape)               # random biases, not zeros
    model.load_state_dict(state)
    ref = ref_mod.TorchEncoder.from_tinykd(model, dtype=torch.float64 if dtype == np.float64 else torch.float32)

    # 3 pairs = 6 sequences of length <= 7, real padding, one row mostly padding
    lengths = [7, 5, 2, 6, 3, 7]
    T = max(lengths)
    ids = rng.integers(1, 50, size=(6, T))
    mask = (np.arange(T)[None, :] < np.array(lengths)[:, None]).astype(np.int64)
    ids = ids * mask                                                        # padding id 0
    teacher = rng.standard_normal((3, model.config.embedding_size))
    teacher /= np.linalg.norm(teacher, axis=1, keepdims=True)
    return model, ref, ids, mask, teacher.astype(dtype)


def _rel(a, b) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-30))


def _tinykd_grads(model, ids, mask, teacher):
    model.train()                                                           # dropout is 0: identity
    vectors = model(backend.asarray(ids), backend.asarray(mask))
    loss, _, _, dvec = distillation_loss_stacked(vectors, backend.asarray(teacher))
    model.zero_grad()
    model.backward(dvec)
    return loss, {k: backend.to_numpy(g).copy() for k, g in model.gradients().items()}


def _torch_grads(ref, ids, mask, teacher):
    ref.train()
    ref.zero_grad(set_to_none=False)
    loss = ref_mod.distillation_loss(ref(torch.from_numpy(ids), torch.from_numpy(mask)), torch.from_numpy(teacher))
    loss.backward()
    return float(loss.detach()), {k: p.grad.detach().numpy().copy() for k, p in ref.named_parameters()}


@pytest.mark.parametrize("output_size", [24, None], ids=["projection", "no-projection"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_loss_and_every_gradient_match_pytorch(dtype, output_size):
    tol = TOL[dtype]
    model, ref, ids, mask, teacher = _setup(dtype, output_size)
    loss, ours = _tinykd_grads(model, ids, mask, teacher)
    ref_loss, theirs = _torch_grads(ref, ids, mask, teacher)

    assert set(ours) == set(theirs)
    assert abs(loss - ref_loss) / abs(ref_loss) < tol["loss"], (loss, ref_loss)
    errors, failures = {}, []
    for name in theirs:
        a, b = ours[name], theirs[name]
        assert a.shape == b.shape, name
        if name.endswith("attention.self.key.bias"):
            err = float(np.abs(a - b).max())
            errors[name] = err
            if err > tol["key_bias"] or np.abs(a).max() > tol["key_bias"]:
                failures.append(f"{name}: absolute {err:.2e}")
            continue
        assert np.abs(b).max() > 0, f"{name}: torch's gradient is all zero; the check would be vacuous"
        errors[name] = _rel(a, b)
        if errors[name] > tol["grad"]:
            failures.append(f"{name}: relative {errors[name]:.2e}")
    worst = max((e, n) for n, e in errors.items() if not n.endswith("key.bias"))
    print(f"\n{np.dtype(dtype).name}: loss {loss:.8f} vs {ref_loss:.8f}; "
          f"max relative gradient difference {worst[0]:.2e} ({worst[1]}), over {len(errors)} parameters")
    assert not failures, "gradients differ from PyTorch's:\n" + "\n".join(failures)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_one_training_step_gives_pytorchs_weights(dtype):
    """forward, loss, backward, clip at 1.0, AdamW (lr 1e-3, decay 0.01 except biases/LayerNorm, eps 1e-6), twice."""
    tol = TOL[dtype]
    model, ref, ids, mask, teacher = _setup(dtype)
    lr = 1e-3
    ours_opt = AdamW(model.parameters(), lr=lr, weight_decay=0.01, eps=1e-6)
    theirs_opt = ref_mod.make_adamw(ref, lr=lr, weight_decay=0.01, eps=1e-6)
    for _ in range(2):                       # two steps: the bias corrections change with t
        model.train()
        vectors = model(backend.asarray(ids), backend.asarray(mask))
        _, _, _, dvec = distillation_loss_stacked(vectors, backend.asarray(teacher))
        model.zero_grad()
        model.backward(dvec)
        clip_grad_norm(model.gradients(), 1.0)
        ours_opt.step(model.gradients(), lr)
        ref_mod.train_step(ref, theirs_opt, torch.from_numpy(ids), torch.from_numpy(mask),
                           torch.from_numpy(teacher), lr=lr, clip=1.0)

    ours, theirs = model.state_dict(), {k: p.detach().numpy() for k, p in ref.named_parameters()}
    errors = {name: _rel(ours[name], theirs[name]) for name in theirs}
    worst = max((e, n) for n, e in errors.items())
    print(f"\n{np.dtype(dtype).name}: max relative weight difference after 2 AdamW steps {worst[0]:.2e} ({worst[1]})")
    bad = [f"{n}: {e:.2e}" for n, e in errors.items() if e > tol["weights"]]
    assert not bad, "weights differ from PyTorch's after AdamW:\n" + "\n".join(bad)


def test_weights_copy_one_to_one_by_name():
    model, ref, *_ = _setup(np.float32)
    names = [n for n, _ in ref.named_parameters()]
    assert names == list(model.parameters()), "the reference must use tinykd's parameter names, in order"
    ref_mod.copy_to_tinykd(ref, model)          # and back: the round trip is exact
    for name, p in ref.named_parameters():
        assert np.array_equal(backend.to_numpy(model.parameters()[name]), p.detach().numpy())


def test_retrieval_term_matches_pytorch_cross_entropy_over_cosines():
    """tinykd.loss.retrieval_loss against F.cross_entropy(scale * cosine, positive) with autograd."""
    import torch.nn.functional as F

    from tinykd.loss import retrieval_loss
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((6, 12))
    candidates = rng.standard_normal((20, 12))
    candidates /= np.linalg.norm(candidates, axis=1, keepdims=True)
    positive = rng.integers(0, 20, 6)
    loss, drows = retrieval_loss(rows, candidates, positive, scale=20.0)

    x = torch.tensor(rows, requires_grad=True)
    logits = 20.0 * F.normalize(x, dim=1) @ torch.tensor(candidates).T
    ref = F.cross_entropy(logits, torch.tensor(positive))
    ref.backward()
    assert abs(loss - ref.item()) < 1e-12
    np.testing.assert_allclose(drows, x.grad.numpy(), rtol=0, atol=1e-12)
