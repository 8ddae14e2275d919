"""Lesson 05: the encoder block, the stacked Encoder, and a gradient check of the whole model.

    python lessons/05_encoder.py

What you will see:
  1. One encoder block in BERT's post-LN order, with BERT's parameter names and shapes.
  2. The whole Encoder built from an EncoderConfig: embeddings -> N blocks -> mean pooling
     -> (projection) -> L2 normalisation, every shape printed.
  3. A gradient check of the whole model: every parameter, by name.
  4. Padding invariance: a sentence gets the same vector alone or padded in a batch.
  5. Parameter counts: a student-sized config against the teacher's (all-MiniLM-L6-v2).
"""

from __future__ import annotations

import time

import numpy as np
from _common import FAST, exercises, section, table

from tinykd import Encoder, EncoderConfig, backend
from tinykd.gradcheck import check_gradients, randomize_parameters
from tinykd.nn import EncoderBlock

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)
backend.seed(0)
rng = np.random.default_rng(0)


def padding_mask(lengths, T):
    """(B, T) mask: lengths[b] real tokens (1) at the start of row b, then padding (0)."""
    return (np.arange(T)[None, :] < np.asarray(lengths)[:, None]).astype(np.int64)


def on_backend(*arrays):
    """Token ids and masks onto the array backend in use (NumPy: unchanged; CuPy: the GPU)."""
    return [backend.asarray(a) for a in arrays]


# %% 1. one encoder block, post-LN (BERT's order)
section("1. one encoder block, post-LN (BERT's order)")
print("""  x (B, T, C), mask (B, T)
  attention.self      a  = MultiHeadSelfAttention(x, mask)                       lesson 04
  attention.output    x1 = LayerNorm(x + dropout(dense(a)))        C -> C, residual, then norm
  intermediate        h  = gelu(dense(x1))                         C -> 4C          lesson 03
  output              y  = LayerNorm(x1 + dropout(dense(h)))       4C -> C, residual, then norm

"Post-LN": the LayerNorm comes *after* each residual sum, as in the original Transformer and
BERT. (GPT-2 and most newer models normalise before each sublayer, "pre-LN", which trains
more easily when deep; we keep BERT's order so a BERT checkpoint runs unchanged.)
The backward runs the same lines in reverse; where x feeds both the sublayer and the
residual, its two gradients are added (tinykd/nn/block.py).
""")
C, H, F = 384, 12, 1536                               # all-MiniLM-L6-v2's block
block = EncoderBlock(C, H, F)
print(f"EncoderBlock(width {C}, heads {H}, ffn {F}): its parameters, with BERT's names")
table(["name", "shape", "count"],
      [[name, str(tuple(m.params[k].shape)), int(m.params[k].size)] for name, m, k in block.named_parameters()])
print(f"  {block.num_parameters():,} parameters in one block: 4 C^2 for attention, 2 C F for the feed-forward,"
      f" plus biases and LayerNorms")

# %% 2. the stacked Encoder, from an EncoderConfig
section("2. the stacked Encoder, from an EncoderConfig")
config = EncoderConfig(vocab_size=100, hidden_size=16, num_layers=2, num_heads=4, intermediate_size=64,
                       max_position=32, output_size=12)
model = Encoder(config).eval()                        # eval(): dropout off
print("EncoderConfig (a small one, to look inside):")
for key, value in config.to_dict().items():
    print(f"  {key:18} = {value}")
ids = rng.integers(5, config.vocab_size, (2, 7))
mask = padding_mask([7, 4], 7)
ids[mask == 0] = 0                                    # [PAD] has id 0
ids, mask = on_backend(ids, mask)
x = model.embeddings(ids)
print(f"\ninput_ids {ids.shape}, attention_mask {mask.shape}: sentence 0 has 7 tokens, sentence 1 has 4 + 3 [PAD]")
print(f"  embeddings        word + position + token type, LayerNorm   -> {x.shape}  (B, T, C)")
for i, blk in enumerate(model.encoder.blocks):
    x = blk(x, mask)
    print(f"  encoder.layer.{i}   attention, feed-forward                   -> {x.shape}  (B, T, C)")
pooled = model.pooling(x, mask)
print(f"  pooling           mean over the real tokens only              -> {pooled.shape}  (B, C)")
proj = model.projection(pooled)
print(f"  projection        dense C -> output_size                      -> {proj.shape}  (B, D)")
vec = model.normalize(proj)
print(f"  normalize         divide by the length                        -> {vec.shape}  (B, D), "
      f"lengths {np.round(np.linalg.norm(backend.to_numpy(vec), axis=-1), 6)}")
print(f"model(ids, mask) gives the same vectors: max diff {float(abs(model(ids, mask) - vec).max()):.1e}")
names = list(model.parameters())
print(f"\n{len(names)} parameter arrays: 5 for the embeddings, 16 per block x {config.num_layers}, 2 for the projection:")
for name in names:
    if ".layer." in name and not name.startswith("encoder.layer.0."):
        continue
    print(f"  {name:52} {tuple(model.parameters()[name].shape)}")
print("  encoder.layer.1.* ... the same 16 names as encoder.layer.0")
print("These are the names in a BERT checkpoint, so the teacher's weights load one to one.")

# %% 3. a gradient check of the whole model
section("3. a gradient check of the whole model")
print("""Lessons 02-04 derived the backward of Linear, LayerNorm, GELU and attention. The model adds three
more pieces; here are their backward passes (tinykd/nn/embedding.py and pooling.py write them).

Embedding lookup.  out[n] = table[ids[n]] for each token n: a copy of one row.
  d out[n] / d table[v] is the identity if ids[n] == v, else 0, so
      dtable[v] = sum of dout[n] over the tokens n with ids[n] == v            (a scatter-add)
  A word used three times in a batch gets the sum of three gradients; a row no token used gets 0.
  (The NumPy trap: dtable[ids] += dout keeps only one of the repeated rows; np.add.at adds them all.)
  Position embeddings are the same lookup with ids 0..T-1 for every sentence: dpos[t] = sum over b.

Masked mean pooling.  p[b] = sum_t m[b,t] h[b,t] / n[b], with n[b] = sum_t m[b,t] (real tokens).
  p is linear in h: d p[b] / d h[b,t] = m[b,t] / n[b] times the identity, so
      dh[b,t] = m[b,t] * dp[b] / n[b]
  every real token gets an equal share of the sentence's gradient; a padded one gets exactly 0.

L2 normalisation.  y = x / |x|, with |x| = sqrt(sum_d x_d^2) and d|x|/dx_j = x_j / |x| = y_j:
  d y_i / d x_j = delta_ij / |x| - x_i x_j / |x|^3 = (delta_ij - y_i y_j) / |x|
      dx = (dy - y (y . dy)) / |x|
  Only the part of dy across y survives: stretching x along itself leaves y unchanged. So x . dx = 0.

The check below tests these with every other layer, through the whole model at once.
""")
max_entries = 6 if FAST else None                    # None: every entry of every parameter
with backend.precision(np.float64):
    tiny = EncoderConfig(vocab_size=23, hidden_size=8, num_layers=2, num_heads=2, intermediate_size=16,
                         max_position=8, output_size=6, dropout=0.0)   # no dropout in a check
    net = Encoder(tiny)
    randomize_parameters(net, seed=5, std=0.3)         # not BERT's 0.02: attention must not be uniform
    ids = rng.integers(0, tiny.vocab_size, (3, 6))
    mask = padding_mask([6, 3, 1], 6)                  # full, half padding, mostly padding
    ids, mask = on_backend(ids, mask)
    start = time.perf_counter()
    errors = check_gradients(net, lambda: net(ids, mask), {}, max_entries=max_entries)
    seconds = time.perf_counter() - start
params = net.parameters()
print(f"""Encoder(vocab 23, width 8, 2 layers, 2 heads, ffn 16, output 6) in float64, random weights,
3 sentences of 6 tokens with lengths 6, 3, 1, one random dout on the unit-length vectors.
{"Every entry of every parameter is" if max_entries is None else
 f"For each parameter, up to {max_entries} entries (half of them among those with a nonzero gradient, such as{chr(10)}the embedding rows of the words present) are"} nudged by +-1e-5, two forward passes each.""")
grads = net.gradients()                                # the analytic gradients the check computed
table(["parameter", "shape", "rel error", "max |grad|", "verdict"],
      [[name, str(tuple(params[name].shape)), err, float(abs(grads[name]).max()),
        "ok" if err < 1e-5 else ("zero gradient" if name.endswith("key.bias") else "WRONG")]
       for name, err in errors.items()])
bad = [n for n, e in errors.items() if e >= 1e-5 and not n.endswith("key.bias")]
zero = [n for n in errors if n.endswith("key.bias")]
print(f"""{len(errors)} parameters checked in {seconds:.1f} s; {'none' if not bad else len(bad)} above the whole-model tolerance 1e-5 but the
{len(zero)} key.bias rows, marked "zero gradient": their true gradient is 0 (lesson 04), so their relative error
compares rounding noise with rounding noise, and their max |grad| (rounding level) is what counts.
Relative errors of 1e-11..1e-9: rounding accumulates through two layers, pooling and the
normalisation, and stays far below the 1e-5 required of the whole model. A wrong line anywhere
in the model would show up as 1e-3 or more in the parameters it feeds.""")

# %% 4. padding invariance: a sentence's vector does not depend on its padding
section("4. padding invariance: a sentence's vector does not depend on its padding")
sentence = backend.asarray(np.array([[2, 41, 17, 88, 3]]))        # [CLS] w w w [SEP]
alone = model(sentence, backend.xp.ones_like(sentence))
batch_ids = backend.asarray(np.array([[2, 41, 17, 88, 3, 0, 0, 0, 0],            # the same sentence, padded to 9
                                 [2, 11, 12, 13, 14, 15, 16, 17, 3]]))   # a longer neighbour
batch_mask = (batch_ids != 0).astype(np.int64)                    # 1 for tokens, 0 for [PAD]
in_batch = model(batch_ids, batch_mask)
unmasked = model(batch_ids, backend.xp.ones_like(batch_ids))     # forgetting the mask
print(f"float32 model of section 2, eval mode. Sentence {backend.to_numpy(sentence)[0].tolist()}:")
table(["how it was encoded", "max |v - v_alone|"],
      [["alone, no padding", 0.0],
       ["in a batch, 4 [PAD], with the mask", float(abs(in_batch[0] - alone[0]).max())],
       ["in a batch, 4 [PAD], mask all ones (a bug)", float(abs(unmasked[0] - alone[0]).max())]])
print("""With the mask, the difference is float32 rounding (~1e-7): attention gives padded keys weight
exactly 0 and mean pooling averages only real tokens. Without it, the padding leaks into the vector.
This is what lets us batch sentences of different lengths.""")

# %% 5. parameter counts: student against teacher
section("5. parameter counts: student against teacher")
from tinykd.config import TrainConfig  # noqa: E402  (the trainer's defaults)

defaults = TrainConfig()                            # what python -m tinykd.train builds (tinykd.student)
try:
    from tinykd.data import load_tokenizer
    vocab_size, vocab_from = load_tokenizer().get_vocab_size(), "data/tokenizer.json"
except (ImportError, FileNotFoundError, ValueError):
    vocab_size, vocab_from = 15000, "a 15k-piece vocabulary, as an example: data/tokenizer.json is missing"
student_config = EncoderConfig(vocab_size=vocab_size, hidden_size=384, num_layers=len(defaults.layer_list()),
                               num_heads=12, intermediate_size=defaults.intermediate_size, max_position=256,
                               normalize=defaults.normalize)
teacher_config = EncoderConfig()                    # the defaults are all-MiniLM-L6-v2's shape
print(f"""The student tinykd builds by default (TrainConfig: teacher_layers = {defaults.teacher_layers!r}, tinykd.student):
the teacher's width and heads, {student_config.num_layers} of its 6 layers, the first 256 of its 512 positions, and the
multilingual vocabulary ({vocab_size:,} pieces, {vocab_from}). No projection: its width is the teacher's, 384.""")
for name, c in (("student", student_config), ("teacher (EncoderConfig())", teacher_config)):
    print(f"  {name}: " + ", ".join(f"{k}={v}" for k, v in c.to_dict().items()
                                    if k in ("vocab_size", "hidden_size", "num_layers", "num_heads",
                                             "intermediate_size", "max_position", "output_size")))
print()


def count(model):
    """Parameters per part of the model."""
    groups = {"word embeddings": 0, "position + type embeddings, LayerNorm": 0, "encoder layers": 0,
              "projection": 0}
    for name, p in model.parameters().items():
        if name.startswith("embeddings.word_embeddings"):
            groups["word embeddings"] += int(p.size)
        elif name.startswith("embeddings."):
            groups["position + type embeddings, LayerNorm"] += int(p.size)
        elif name.startswith("encoder."):
            groups["encoder layers"] += int(p.size)
        else:
            groups["projection"] += int(p.size)
    groups["total"] = model.num_parameters()
    return groups


student = count(Encoder(student_config))
teacher = count(Encoder(teacher_config))           # 22.6M random weights: about half a second
table(["part", "student", "teacher", "student / teacher"],
      [[k, f"{student[k]:,}", f"{teacher[k]:,}", f"{student[k] / teacher[k]:.2f}" if teacher[k] else "-"]
       for k in student])
print(f"""
float32 weights: student {student['total'] * 4 / 2**20:.0f} MiB, teacher {teacher['total'] * 4 / 2**20:.0f} MiB.
The teacher's model card says 22.7M: that counts BERT's pooler (384 x 384 + 384 = 147,840), which
sentence-transformers never uses and tinykd does not build: {teacher['total']:,} + 147,840 = {teacher['total'] + 147840:,}.
Half of the teacher is its word-embedding table; the transformer layers are the other half.
The student keeps fewer layers and spends its embedding rows on many languages; lesson 12 weighs
that choice, and lessons 06-13 make the student learn from the teacher's vectors.""")

# %% Exercises
section("Exercises: the embedding, pooling and normalisation backward, by you")
print("""Three functions at the end of this file wait for section 3's formulas. Then run

    python lessons/05_encoder.py --check

Each is compared with centred differences of the forward, float64, a random upstream gradient,
with ids that repeat and sentences with padding; right means a relative error under 1e-7.""")


def embedding_backward(ids, dy, vocab_size):
    """Exercise 05.1. The gradient of the table of out = table[ids].

    ids: (B, T) ints, some repeated; dy: (B, T, C). Returns dtable, (vocab_size, C).
    """
    C = dy.shape[-1]
    dtable = np.zeros((vocab_size, C))
    dtable[ids] += dy                # looks right; run --check to see why it is not
    return dtable


def mean_pooling_backward(dy, mask):
    """Exercise 05.2. dh of p[b] = sum_t mask[b, t] h[b, t] / sum_t mask[b, t].

    dy: (B, C) = dL/dp; mask: (B, T) of 1 (token) and 0 (padding). Returns dh, (B, T, C).
    """
    return np.zeros((*mask.shape, dy.shape[-1]))      # replace this line with your code


def l2_normalize_backward(x, dy):
    """Exercise 05.3. dx of y = x / |x|, row by row. x, dy: (B, D). Returns dx, (B, D)."""
    return dy / np.linalg.norm(x, axis=-1, keepdims=True)     # the direct term only: what is missing?
