"""Lesson 15: speed: where the time of a training step goes, and why.

    python lessons/15_speed.py

What you will see:
  1. One training step of a student of the default shape (random weights), timed part by part,
     forward and backward: embeddings, attention, feed-forward, pooling.
  2. Work against time: the matrix products' floating-point operations, and how many per second
     the machine reaches.
  3. Sentence length: attention's cost grows as T^2, the rest as T; why tinykd pads each batch only
     to its own longest sentence, and why its layers then skip the padding.
  4. What else makes a run fast or slow: float32, BLAS threads, the GPU.

Needs nothing but NumPy; under a minute. The numbers are this machine's, measured now.
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from _common import FAST, section, table

from tinykd import Encoder, EncoderConfig, backend, parallel
from tinykd.config import TrainConfig
from tinykd.nn import RealTokens

print(__doc__)
rng = np.random.default_rng(0)

# %% 1. one step, part by part
section("1. one training step, part by part")
defaults = TrainConfig()
try:
    from tinykd.data import load_tokenizer
    vocab_size = load_tokenizer().get_vocab_size()            # the shipped student tokenizer's pieces
except (ImportError, FileNotFoundError, ValueError):
    vocab_size = 15000
config = EncoderConfig(vocab_size=vocab_size, hidden_size=384, num_layers=len(defaults.layer_list()), num_heads=12,
                       intermediate_size=defaults.intermediate_size, max_position=256, normalize=False, dropout=0.0)
backend.seed(0)
model = Encoder(config).train()
spent = defaultdict(float)


def timed(name, module):
    """Wrap module's forward and backward so that their time adds to spent[name]."""
    forward, backward = module.forward, module.backward

    def timed_forward(*args, **kwargs):
        start = time.perf_counter()
        out = forward(*args, **kwargs)
        spent[name, "forward"] += time.perf_counter() - start
        return out

    def timed_backward(dy):
        start = time.perf_counter()
        out = backward(dy)
        spent[name, "backward"] += time.perf_counter() - start
        return out

    module.forward, module.backward = timed_forward, timed_backward


timed("embeddings", model.embeddings)
for block in model.encoder.blocks:
    timed("attention (self-attention, dense, LayerNorm)", block.attention)
    timed("feed-forward (dense 4C, GELU, dense, LayerNorm)", block.intermediate)
    timed("feed-forward (dense 4C, GELU, dense, LayerNorm)", block.output)
timed("mean pooling", model.pooling)
B, T = (16, 32) if FAST else (64, 40)            # 64 sentences of up to 40 pieces: half a default batch (64 pairs)
ids = rng.integers(5, config.vocab_size, (B, T))
mask = np.ones((B, T), dtype=np.int64)
repeats = 1 if FAST else 3
start = time.perf_counter()
for _ in range(repeats):
    model.zero_grad()
    out = model(ids, mask)                                       # (B, 384)
    model.backward(rng.standard_normal(out.shape).astype(np.float32))
step_s = (time.perf_counter() - start) / repeats
names = list(dict.fromkeys(n for n, _ in spent))
biggest = max(names, key=lambda n: spent[n, "forward"] + spent[n, "backward"]).split(" (")[0]
forward = sum(spent[n, "forward"] for n in names)
backward = sum(spent[n, "backward"] for n in names)
table(["part (all layers)", "forward ms", "backward ms", "share of the step"],
      [[n, 1000 * spent[n, "forward"] / repeats, 1000 * spent[n, "backward"] / repeats,
        f"{100 * (spent[n, 'forward'] + spent[n, 'backward']) / repeats / step_s:.0f}%"] for n in names])
print(f"""A batch of {B} sentences of {T} pieces through the default student's shape ({config.num_layers} layers of width 384, a
{config.vocab_size:,}-row table; random weights: speed does not depend on their values): {1000 * step_s:.0f} ms a step,
forward and backward. Most of it went to {biggest}. The feed-forward layers hold two thirds of a
block's weights; attention adds the softmax over 12 heads x T x T scores and its backward. The backward
took {backward / forward:.1f}x the forward here (in theory about 2x: two matrix products, dx and dW, for each
forward one). The embedding lookup is cheap forward; its backward adds into a {config.vocab_size:,} x 384 table.""")

# %% 2. work against time
section("2. work against time: floating-point operations per second")
layer_weights = sum(int(p.size) for name, p in model.parameters().items()
                    if name.startswith("encoder.") and name.endswith("weight") and p.ndim == 2)
matmul_flops = 2 * layer_weights * B * T                      # forward: 2 operations per weight per token
attention_flops = config.num_layers * 2 * 2 * B * T * T * config.hidden_size   # q k^T and w v
total = 3 * (matmul_flops + attention_flops)                  # backward: about twice the forward
print(f"""Each weight of a dense layer is used once per token, a multiply and an add: 2 x {layer_weights:,} x {B * T:,}
tokens = {matmul_flops / 1e9:.2f} GFLOP for the layers' matrix products, plus {attention_flops / 1e9:.3f} GFLOP for attention's
q k^T and w v; the backward doubles it: about {total / 1e9:.2f} GFLOP a step. In {step_s:.3f} s that is
{total / step_s / 1e9:.0f} GFLOP/s on this machine's CPU (OpenBLAS, float32). A modern GPU reaches hundreds of
times more on the same products (TINYKD_BACKEND=cupy), which is why a run of hours here is minutes there.""")

# %% 3. sentence length
section("3. sentence length: attention grows as T^2")
model.eval()
rows = []
for length in ([16, 64, 128] if FAST else [16, 64, 128, 256]):
    x = rng.integers(5, config.vocab_size, (8, length))
    m = np.ones_like(x)
    best = (float("inf"), 0.0)
    for _ in range(3):                                       # the best of three: a busy machine is jumpy
        for key in list(spent):
            spent[key] = 0.0
        start = time.perf_counter()
        model(x, m, keep_cache=False)
        seconds = time.perf_counter() - start
        best = min(best, (seconds, spent["attention (self-attention, dense, LayerNorm)", "forward"]))
    rows.append([length, 1e6 * best[0] / (8 * length), f"{100 * best[1] / best[0]:.0f}%"])
table(["pieces per sentence T", "forward µs per piece", "attention's share"], rows)
print("""Per piece, the dense layers cost the same at every length; attention compares each piece with all
T others, so its cost per piece grows with T, and so does its share (on a quiet machine; this one
may be busy, and the timings jump). A batch costs what its longest sentence costs times the batch
size: tinykd pads a batch only to its own longest sentence (tinykd.data.batching.pad), not to a fixed
128 or 256, and the mask keeps the vectors exact (lesson 05). Most help-page sentences are short.""")

# Inside a batch the padding remains: a short sentence beside a long one is mostly padding. Every layer but
# attention acts on each piece alone, so the encoder hands them only the real pieces (tinykd.nn.packing).
lengths = rng.integers(4, 48, 32)                             # 32 sentences of 4-47 pieces, padded to the longest
grid_mask = (np.arange(lengths.max())[None, :] < lengths[:, None]).astype(np.int64)   # (32, T)
grid_ids = rng.integers(5, config.vocab_size, grid_mask.shape)
real = RealTokens(grid_mask)                                  # where the N real pieces sit in the (32, T) grid


def on_the_grid():                                            # every layer on all 32 x T cells, as before
    h = model.embeddings(grid_ids)                            # (32, T, C)
    return model.pooling(model.encoder(h, grid_mask, keep_cache=False), grid_mask)


def on_real_pieces():                                         # what Encoder.forward does
    h = model.embeddings(grid_ids, None, real)                # (N, C)
    return model.pooling(model.encoder(h, real, keep_cache=False), real)


best_seconds, vectors = {}, {}
for path in (on_the_grid, on_real_pieces) * 3:               # alternating, the best of three each
    start = time.perf_counter()
    vectors[path.__name__] = path()                           # (32, C)
    seconds = time.perf_counter() - start
    best_seconds[path.__name__] = min(best_seconds.get(path.__name__, float("inf")), seconds)
difference = float(np.abs(vectors["on_the_grid"] - vectors["on_real_pieces"]).max())
print(f"""
{real.count} real pieces in a grid of {grid_mask.size} ({1 - real.count / grid_mask.size:.0%} padding): forward on the grid
{1000 * best_seconds["on_the_grid"]:.0f} ms, on the real pieces only {1000 * best_seconds["on_real_pieces"]:.0f} ms; the sentence vectors differ by {difference:.1e}.
Attention alone puts the pieces back into a grid for its scores and takes them out again; a padded key
gets zero weight, so the two paths give the same vectors. In the default run's batches, bucketed by length,
a quarter of the grid is padding, and training steps run 1.2-1.3x as fast on the real pieces
(benchmarks/README.md). Attention itself sorts the sentences by length and scores them in blocks, each block
(L, L) for its own longest L instead of the batch's (T, T) (tinykd.nn.attention.LengthBlocks): 60% of the
(T, T) work in those batches, and steps 1.1x as fast again.""")

# %% 4. what else
section("4. what else makes a run fast or slow")
threads = parallel.threads()
print(f"""  * float32, not float64: half the memory traffic, about twice the speed; gradient checks alone use
    float64 (lesson 01).
  * Threads: BLAS runs the matmuls on every core; tinykd.parallel cuts the elementwise passes (GELU,
    LayerNorm, softmax, AdamW) into fixed blocks that {threads} thread(s) share here, each block going
    through all its passes while it sits in the core's cache. The blocks never depend on the thread
    count, so neither do these passes' results (BLAS's own rounding does, by ~1e-7). Python's GIL is the limit: a NumPy
    call of a few microseconds hands the GIL over as often as it computes, so blocks are 131,072 numbers.
    On a machine shared with other jobs, fewer threads can be faster than one per core.
  * The step's other costs: the loss, AdamW's update of every parameter (a few passes over 19M numbers),
    the retrieval term's cosines against 4,096 teacher vectors; python -m tinykd.train logs tokens/s.
  * The GPU: TINYKD_BACKEND=cupy runs the same code on CuPy (lesson 01); nothing else changes.""")
