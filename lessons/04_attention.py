"""Lesson 04: scaled dot-product attention, the padding mask, multiple heads, and the check.

    python lessons/04_attention.py

What you will see:
  1. softmax(Q K^T / sqrt(d_k)) V on five tokens, the weight matrix drawn in the terminal.
  2. The padding mask: a padded key gets weight exactly 0.
  3. Why divide by sqrt(d_k): without it the softmax saturates as d_k grows.
  4. Multi-head attention in tinykd.nn.MultiHeadSelfAttention: the split into heads and
     the merge back, every shape printed.
  5. Its gradient check, every parameter by name.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from _common import FAST, exercises, section, table

from tinykd import backend
from tinykd.gradcheck import check_gradients, randomize_parameters
from tinykd.nn import MultiHeadSelfAttention, padding_bias, softmax

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)
backend.seed(0)
rng = np.random.default_rng(0)

# Block characters if the terminal can print them, else ASCII.
try:
    "░▒▓█".encode(sys.stdout.encoding or "ascii")
    SHADES = " ░▒▓█"
except (UnicodeEncodeError, LookupError):
    SHADES = " .:*#"


def heatmap(weights, labels, title):
    """Draw a (T, T) matrix of weights in [0, 1]: rows are queries, columns keys."""
    w = backend.to_numpy(weights)
    print(f"{title}   (darker = more weight; ' ' = 0, '{SHADES[-1]}' = 1)")
    print("          " + " ".join(f"{k[:6]:>6}" for k in labels) + "    row sum")
    for q, row in zip(labels, w):
        cells = []
        for v in row:
            shade = SHADES[int(math.ceil(v * (len(SHADES) - 1)))]      # 0 -> ' ', (0, 1/4] -> lightest, ...
            cells.append("     0" if v == 0.0 else f"{shade * 2}{v:.2f}")
        print(f"  {q[:6]:>6}  " + " ".join(cells) + f"    {row.sum():.3f}")


# Float64 throughout: we want to print exact zeros and compare to ~1e-10.
backend.set_default_dtype(np.float64)     # for the whole lesson: no `with` block, so any cell runs alone

# %% 1. attention on five tokens
section("1. attention on five tokens")
words = ["the", "cat", "sat", "on", "mats"]
T, d_k = len(words), 4
Q = backend.asarray(rng.standard_normal((T, d_k)))       # (T, d_k) what each token looks for
K = backend.asarray(rng.standard_normal((T, d_k)))       # (T, d_k) what each token offers
V = backend.asarray(rng.standard_normal((T, d_k)))       # (T, d_k) what each token passes on
scores = Q @ K.T / math.sqrt(d_k)                         # (T, T) scores[i, j] = q_i . k_j / sqrt(d_k)
weights = softmax(scores)                                 # (T, T) each row sums to 1
out = weights @ V                                         # (T, d_k) row i = sum_j weights[i, j] v_j
print(f"Q, K, V: ({T}, {d_k}), random here: the point is the mechanics, not the meaning.")
print("scores = Q K^T / sqrt(d_k), one row per query token, one column per key token:")
print(np.round(backend.to_numpy(scores), 3))
print("weights = softmax(scores) along each row (tinykd.nn.softmax subtracts the row max first):\n")
heatmap(weights, words, "attention weights")
print(f"\noutput = weights @ V: {out.shape}. Token i's output is the average of the value vectors,")
print("weighted by how well its query matches each key: "
      f"output[1] = {np.round(backend.to_numpy(out[1]), 3)}")

# %% 2. the padding mask: padded keys get weight exactly 0
section("2. the padding mask: padded keys get weight exactly 0")
# A batch pads short sentences to a common length; the padding must not be attended to.
mask = backend.asarray(np.array([[1, 1, 1, 0, 0]]))       # (B=1, T): 3 tokens, then 2 [PAD]
bias = padding_bias(mask, np.float64)                     # (B, 1, 1, T) additive
print(f"mask = {backend.to_numpy(mask)[0]}  ->  padding_bias(mask): shape {bias.shape}, values")
print("  [" + ", ".join(f"{v:.4g}" if v else "0" for v in backend.to_numpy(bias).ravel()) + "]")
print("0 for tokens, the most negative float64 for padding. exp(that - row max) underflows to")
print("exactly 0. (-inf would give NaN, 0/0, in a row whose keys are all padding.)\n")
masked = softmax(scores + bias[0, 0])                     # (T, T)
labels = ["the", "cat", "sat", "[PAD]", "[PAD]"]
heatmap(masked, labels, "masked attention weights")
m = backend.to_numpy(masked)
print(f"\nweights on the padded keys: {m[:, 3:].ravel()}   all exactly 0.0: {bool((m[:, 3:] == 0.0).all())}")
print("The rows of the padded *queries* (the last two) are still computed: they are thrown away")
print("later, when mean pooling averages over real tokens only (lesson 05).")

# %% 3. why divide by sqrt(d_k)
section("3. why divide by sqrt(d_k)")
n_keys, trials = 16, (50 if FAST else 2000)
print(f"""q and k with independent unit-variance entries: q . k is a sum of d_k products, so its
standard deviation grows as sqrt(d_k). Dividing by sqrt(d_k) brings it back to 1. For {trials}
random queries against {n_keys} random keys (uniform weights would be 1/{n_keys} = {1 / n_keys:.3f}, entropy
ln {n_keys} = {math.log(n_keys):.2f} nats):""")
rows = []
for dk in (4, 64, 256, 1024):
    q = backend.asarray(rng.standard_normal((trials, 1, dk)))
    k = backend.asarray(rng.standard_normal((trials, n_keys, dk)))
    raw = (q @ k.transpose(0, 2, 1))[:, 0]                # (trials, n_keys)
    row = [dk, float(raw.std())]
    for s in (raw, raw / math.sqrt(dk)):
        w = backend.to_numpy(softmax(s))
        entropy = -(w * np.log(np.maximum(w, 1e-300))).sum(-1).mean()
        row += [float(w.max(-1).mean()), float(entropy)]
    rows.append(row)
table(["d_k", "std(q.k)", "max w, unscaled", "entropy, unscaled", "max w, / sqrt(d_k)", "entropy, / sqrt(d_k)"],
      rows)
print("""Unscaled, the largest weight heads to 1 and the entropy to 0 as d_k grows: each query looks at
one key only. Worse for learning: the softmax's Jacobian diag(w) - w w^T is then ~0, so almost no
gradient flows back to Q and K. Scaled, the weights look the same at every d_k.""")

# %% 4. multi-head: split, attend, merge
section("4. multi-head: split, attend, merge")
B, T, C, H = 2, 5, 8, 2
attn = MultiHeadSelfAttention(C, H, dropout=0.0)
randomize_parameters(attn, seed=3)          # larger than BERT's 0.02 init, so the weights are not uniform
x = backend.asarray(rng.standard_normal((B, T, C)))                        # (B, T, C)
mask = backend.asarray(np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]))      # sentence 1 has 2 [PAD]
print(f"MultiHeadSelfAttention(width C = {C}, heads H = {H}): each head works in d_k = C / H = {attn.head_dim}")
print(f"  x                                     {x.shape}  (B, T, C)")
q = attn.query(x)
print(f"  q = query(x)  (also k, v)             {q.shape}  (B, T, C)   one Linear(C, C) for all heads")
qh = attn._split_heads(q)
kh, vh = attn._split_heads(attn.key(x)), attn._split_heads(attn.value(x))
print(f"  split: reshape (B, T, H, D), swap T,H {qh.shape}  (B, H, T, D)   head h owns features h*D..(h+1)*D-1")
sc = qh @ kh.transpose(0, 1, 3, 2) * attn.scale
print(f"  scores = q k^T / sqrt(D)              {sc.shape}  (B, H, T, T)  one batched matmul, no loop over heads")
w = softmax(sc + padding_bias(mask, sc.dtype))
ctx = w @ vh
print(f"  context = softmax(scores + mask) v    {ctx.shape}  (B, H, T, D)")
merged = attn._merge_heads(ctx)
print(f"  merge: swap back, reshape             {merged.shape}  (B, T, C)   the heads side by side again")
y = attn(x, mask)
print(f"  attn(x, mask)                         {y.shape}  (B, T, C)")
print(f"max |step by step - attn(x, mask)| = {float(abs(merged - y).max()):.1e}")
print("(BERT's attention.output.dense then mixes the heads: the AttentionBlock of lesson 05.)\n")
layer_weights = attn.attention_weights                           # (B, H, T, T), the softmax output
for h in range(H):
    heatmap(layer_weights[1, h], ["tok0", "tok1", "tok2", "[PAD]", "[PAD]"], f"sentence 1, head {h}")
    print()
print("Each head has its own pattern; both give the padded keys exactly 0.")

# %% 5. the gradient check
section("5. the gradient check")
print("""The backward, derived, in the order the forward ran (one head, one sentence; the batch and the
heads are leading axes that every line carries along):

  forward                                   backward (given dout = dL/dout)
  scores = q k^T / sqrt(d)      (T, T)      dq = dscores k / sqrt(d),   dk = dscores^T q / sqrt(d)
  w = softmax(scores), per row  (T, T)      dscores = ?  (below)
  out = w v                     (T, D)      dw = dout v^T,   dv = w^T dout     (lesson 02's matmul rule)

The softmax, one row: w_i = exp(s_i) / sum_k exp(s_k). Differentiate:
  d w_i / d s_j = w_i (delta_ij - w_j)          (the Jacobian diag(w) - w w^T)
  ds_j = sum_i dw_i w_i (delta_ij - w_j) = w_j (dw_j - sum_i dw_i w_i)
so, for the whole matrix at once:   dscores = w * (dw - sum(dw * w, along the row)).
The subtracted sum is why a softmax passes no gradient to a constant added to a row (key.bias
below): a shift c of every s_j gives sum_j ds_j = sum_j w_j dw_j - sum_i dw_i w_i = 0.
The padding bias is a constant, so it gets no gradient either; a padded key has w_j = 0, and so
ds_j = 0 too: padding neither receives weight nor passes gradient back.
tinykd/nn/attention.py writes these lines, each beside the forward line it undoes.
""")
B, T, C, H = (2, 4, 8, 2) if FAST else (3, 5, 12, 3)
attn = MultiHeadSelfAttention(C, H, dropout=0.0)          # no dropout in a check: it is random
randomize_parameters(attn, seed=5)
x = backend.asarray(rng.standard_normal((B, T, C)))
lengths = [T, T - 1, 1][:B] if B == 3 else [T, 1]        # full, almost full, mostly padding
mask = backend.asarray((np.arange(T)[None, :] < np.array(lengths)[:, None]).astype(np.int64))
errors = check_gradients(attn, lambda x: attn(x, mask), {"x": x}, wrt=("x",))
print(f"check_gradients(MultiHeadSelfAttention({C}, {H})), x {x.shape}, lengths {lengths}, float64, random dout:")
grads = attn.gradients()                                  # name -> the analytic gradient, left by the check
table(["gradient", "rel error", "max |grad|", "verdict"],
      [[k, v, float(abs(grads[k]).max()) if k in grads else "-",
        "ok" if v < 1e-7 else ("zero gradient" if k == "key.bias" else "WRONG")]
       for k, v in errors.items()])
others = min(float(abs(g).max()) for k, g in grads.items() if k != "key.bias")
print(f"""key.bias gets no gradient at all, and rightly: q . (k_j + b) = q . k_j + q . b adds the same
number to every key's score, and a softmax ignores a constant added to a whole row. Its true
gradient is 0, so a relative error compares rounding noise with rounding noise and means nothing;
what matters is that its max |grad| is {float(abs(grads['key.bias']).max()):.0e}, rounding level, against {others:.0f} or more for
the others. (BERT still has the parameter; we keep it so the checkpoint loads.)
Every other gradient agrees with its centred difference to ~1e-10.""")

# %% Exercises
section("Exercises: the softmax's backward and one head's, by you")
print("""Two functions at the end of this file wait for your code; section 5's derivation has every line
you need. Then run

    python lessons/04_attention.py --check

Each is compared with centred differences of the forward (tinykd.nn.softmax), float64, a random
upstream gradient; right means a relative error under 1e-7.""")


def softmax_backward(w, dw):
    """Exercise 04.1. dscores, given w = softmax(scores) along the last axis and dw = dL/dw.

    w, dw: (..., T). Returns an array of the same shape. (No loop needed: one line.)
    """
    return dw * 0                    # replace this line with your code


def attention_backward(q, k, v, dout):
    """Exercise 04.2. One head, no mask: out = softmax(q k^T / sqrt(d)) v.

    q, k, v, dout: (T, d). Returns (dq, dk, dv), each (T, d). Run the forward again inside
    (compute w), then undo it line by line; you may call softmax_backward.
    """
    return q * 0, k * 0, v * 0       # replace this line with your code
