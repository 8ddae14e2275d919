"""Where the time of one tinykd training step goes: per layer type, forward vs backward, and cProfile.

    python benchmarks/profile_train_step.py [--steps 5] [--threads 1] [--cprofile] [--micro]

Default student, the same real batch as bench_train_step.py (64 x 41 tokens).
Every Module class's forward/backward is wrapped with a timer that subtracts
the time of the layers it calls (exclusive time), so ``Linear`` is the dense
matmuls + bias, ``MultiHeadSelfAttention`` only the part of attention outside
its query/key/value Linears (the batched QK^T and weights@V products, the mask,
the softmax and their backward). zero_grad, clip and AdamW are timed apart.
``--micro`` times the alternatives proposed in benchmarks/README.md.
Nothing in tinykd is changed: the wrappers are installed on the classes of this process only.
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import STEP_PHASES, machine_line, realistic_batch, synthetic_batch, tinykd_train_step, train_step_flops  # noqa: E402

_stack: list = []
_totals: collections.Counter = collections.Counter()
_calls: collections.Counter = collections.Counter()


def _timed(label, fn):
    def wrapper(*args, **kwargs):
        _stack.append(0.0)
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - t
            children = _stack.pop()
            _totals[label] += elapsed - children
            _calls[label] += 1
            if _stack:
                _stack[-1] += elapsed
    return wrapper


def instrument() -> None:
    import tinykd.model
    import tinykd.nn as nn
    classes = [nn.Linear, nn.LayerNorm, nn.GELU, nn.Dropout, nn.Embedding, nn.BertEmbeddings,
               nn.MultiHeadSelfAttention, nn.DenseAddNorm, nn.Intermediate, nn.AttentionBlock,
               nn.EncoderBlock, nn.EncoderStack, nn.MeanPooling, nn.L2Normalize, tinykd.model.Encoder]
    for cls in classes:
        for method in ("forward", "backward"):
            if method in cls.__dict__:
                setattr(cls, method, _timed(f"{cls.__name__}.{method}", cls.__dict__[method]))


def micro(ids, mask, threads: int, V: int) -> None:
    """Time the proposed changes on the shapes of the default step."""
    from tinykd import backend
    from tinykd.nn.attention import softmax

    rng = np.random.default_rng(0)
    B, T = ids.shape
    H, D, C = 12, 32, 384
    reps = 20

    def best(f, n=reps):
        f()
        ts = []
        for _ in range(n):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        return 1e3 * float(np.median(ts))

    print(f"\nmicro-benchmarks (median ms, B={B}, T={T}, H={H}, d={D}, {threads} thread(s))")
    x = rng.standard_normal((B, T, C), dtype=np.float32)
    q = x.reshape(B, T, H, D).transpose(0, 2, 1, 3)                    # a view, as in tinykd
    k = (x * 0.5).reshape(B, T, H, D).transpose(0, 2, 1, 3)
    qc, kc = np.ascontiguousarray(q), np.ascontiguousarray(k)
    print(f"  scores = q @ k^T, q/k strided views (now)        {best(lambda: q @ k.transpose(0, 1, 3, 2)):7.2f}")
    print(f"  same on contiguous (B,H,T,D) copies              {best(lambda: qc @ kc.transpose(0, 1, 3, 2)):7.2f}")
    copies = best(lambda: (np.ascontiguousarray(q), np.ascontiguousarray(k)))
    print(f"  the two copies themselves                        {copies:7.2f}")
    s = rng.standard_normal((B, H, T, T), dtype=np.float32)
    print(f"  softmax (B,H,T,T)                                {best(lambda: softmax(s.copy())):7.2f}")
    bias = np.where(mask > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)[:, None, None, :]
    print(f"  scores += padding bias                           {best(lambda: s.copy().__iadd__(bias)):7.2f}")
    print(f"  (copy of the (B,H,T,T) array, to subtract)       {best(lambda: s.copy()):7.2f}")

    h = rng.standard_normal((B * T, 1536), dtype=np.float32)
    w = rng.standard_normal((1536, 384), dtype=np.float32) * 0.02
    xin = rng.standard_normal((B * T, 384), dtype=np.float32)
    print(f"  FFN matmul (N,384)@(384,1536) for scale          {best(lambda: xin @ w.T):7.2f}")
    print(f"  erf (N,1536) float32, tinykd's rational          {best(lambda: backend.erf(h)):7.2f}")
    print(f"  exp(-x^2/2) (N,1536), GELU backward's main op    {best(lambda: np.exp(-0.5 * h * h)):7.2f}")

    # query/key/value: three products vs one fused (C, 3C) product, forward and backward
    N = B * T
    x2 = x.reshape(N, C)
    W = [rng.standard_normal((C, C), dtype=np.float32) * 0.02 for _ in range(3)]
    Wf = np.concatenate(W, 0)                                           # (3C, C)
    dqkv = rng.standard_normal((N, 3 * C), dtype=np.float32)
    dys = [np.ascontiguousarray(dqkv[:, i * C:(i + 1) * C]) for i in range(3)]

    def qkv_backward_now():
        grads = [d.T @ x2 for d in dys]
        dx = dys[0] @ W[0]
        dx += dys[1] @ W[1]
        dx += dys[2] @ W[2]
        return grads, dx

    print(f"  q,k,v forward: 3 products (now) / fused          {best(lambda: [x2 @ w.T for w in W]):7.2f} / "
          f"{best(lambda: x2 @ Wf.T):.2f}")
    print(f"  q,k,v backward: 3+3 products, 2 adds / fused     {best(qkv_backward_now):7.2f} / "
          f"{best(lambda: (dqkv.T @ x2, dqkv @ Wf)):.2f}")

    # dropout on a (B, T, C) activation: tinykd's float32 uniforms vs 16-bit random integers
    drng = np.random.default_rng(0)

    def dropout_now():
        keep = drng.random(x.shape, dtype=np.float32) >= 0.1
        return x * (keep / 0.9).astype(np.float32)

    def dropout_bits():
        keep = drng.integers(0, 65536, size=x.shape, dtype=np.uint16) >= 6554      # p = 6554/65536
        out = np.multiply(x, keep)
        out *= np.float32(1 / 0.9)
        return out

    print(f"  dropout (B,T,C): float32 uniforms (now) / uint16 {best(dropout_now):7.2f} / {best(dropout_bits):.2f}")

    g = np.zeros((V, C), np.float32)
    print(f"  zero_grad of the word-embedding gradient (V,C)   {best(lambda: g.fill(0)):7.2f}")
    vals = rng.standard_normal((B * T, C), dtype=np.float32)
    scatter = best(lambda: backend.scatter_add_rows(g, ids.reshape(-1), vals))
    print(f"  embedding backward scatter_add_rows              {scatter:7.2f}")

    # AdamW on the word-embedding table: tinykd's current update vs an in-place one with one scratch buffer
    p = rng.standard_normal((V, C), dtype=np.float32) * 0.02
    grad = rng.standard_normal((V, C), dtype=np.float32) * 1e-3
    m, v = np.zeros_like(p), np.zeros_like(p)
    lr, b1, b2, eps, wd, bias2, step_size = 1e-4, 0.9, 0.999, 1e-6, 0.01, 0.001, 1e-3

    def adamw_now():
        m.__imul__(b1)
        m.__iadd__((1.0 - b1) * grad)
        v.__imul__(b2)
        v.__iadd__((1.0 - b2) * (grad * grad))
        p.__imul__(1.0 - lr * wd)
        denom = np.sqrt(v / bias2)
        denom += eps
        p.__isub__(step_size * (m / denom))

    scratch = np.empty_like(p)

    def adamw_inplace():
        np.multiply(grad, 1.0 - b1, out=scratch)
        m.__imul__(b1)
        m.__iadd__(scratch)
        np.multiply(grad, grad, out=scratch)
        scratch.__imul__(1.0 - b2)
        v.__imul__(b2)
        v.__iadd__(scratch)
        p.__imul__(1.0 - lr * wd)
        np.multiply(v, 1.0 / bias2, out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch.__iadd__(eps)
        np.divide(m, scratch, out=scratch)
        scratch.__imul__(step_size)
        p.__isub__(scratch)

    print(f"  AdamW on the (V,C) table, tinykd's code (8 temporaries) {best(adamw_now, 5):7.2f}")
    print(f"  AdamW on the (V,C) table, in place, one scratch buffer  {best(adamw_inplace, 5):7.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (1: stable on a loaded machine)")
    parser.add_argument("--cprofile", action="store_true", help="also print cProfile's top functions")
    parser.add_argument("--micro", action="store_true", help="also time the proposed alternatives")
    parser.add_argument("--synthetic", action="store_true")
    parser.add_argument("--dropout", type=float, default=0.0, help="the default run's 0.0")
    parser.add_argument("--layers", type=int, default=2, help="the default student's 2")
    parser.add_argument("--vocab", type=int, default=40000,
                        help="with --synthetic (a real batch takes data/tokenizer.json's)")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    from tinykd import backend
    from tinykd.model import Encoder, EncoderConfig
    from tinykd.optim import AdamW

    real = None if args.synthetic else realistic_batch()
    ids, mask, teacher = (real[:3] if real is not None else synthetic_batch(64, 40, args.vocab))
    vocab = real[3] if real is not None else args.vocab
    ids, mask = ids.astype(np.int64), mask.astype(np.int64)
    config = EncoderConfig(vocab_size=vocab, hidden_size=384, num_layers=args.layers, num_heads=12,
                           intermediate_size=1536, max_position=512, normalize=False, dropout=args.dropout)
    backend.seed(0)
    model = Encoder(config)
    opt = AdamW(model.parameters(), lr=1e-4, weight_decay=0.01, eps=1e-6)
    instrument()
    outer = collections.Counter()

    def step():
        for phase, seconds in tinykd_train_step(model, opt, ids, mask, teacher, 1e-4)[1].items():
            outer[phase] += seconds

    print(machine_line())
    print(f"batch (2B, T) = {ids.shape}, dropout {args.dropout}, {args.threads} thread(s) (BLAS and tinykd.parallel)")
    from tinykd import parallel
    parallel.set_threads(args.threads, blas=False)
    with threadpool_limits(limits=args.threads):
        step()                                              # warm-up
        _totals.clear(), _calls.clear(), outer.clear()
        if args.cprofile:
            import cProfile
            import pstats
            prof = cProfile.Profile()
            prof.enable()
        for _ in range(args.steps):
            step()
        if args.cprofile:
            prof.disable()

    n = args.steps
    total = outer["total"] / n * 1e3
    flops = train_step_flops(config, *ids.shape)
    print(f"\none step: {total:.0f} ms ({flops['step'] / (total / 1e3) / 1e9:.0f} GFLOP/s on matmuls)\n")
    print("| phase | ms / step | share |\n|---|---|---|")
    for k in STEP_PHASES:
        print(f"| {k} | {outer[k] / n * 1e3:.1f} | {100 * outer[k] / outer['total']:.0f}% |")
    print("\n| layer method (exclusive time) | calls / step | ms / step | share of step |\n|---|---|---|---|")
    for label, t in _totals.most_common():
        print(f"| {label} | {_calls[label] // n} | {t / n * 1e3:.1f} | {100 * t / outer['total']:.1f}% |")
    if args.cprofile:
        print("\ncProfile, top 25 by own time (all steps):")
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    if args.micro:
        with threadpool_limits(limits=args.threads):
            micro(ids, mask, args.threads, vocab)


if __name__ == "__main__":
    main()
