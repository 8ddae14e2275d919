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
from _common import FAST, section, table

from tinykd import Encoder, EncoderConfig, backend
from tinykd.gradcheck import check_gradients, randomize_parameters
from tinykd.nn import EncoderBlock

print(__doc__)
backend.seed(0)
rng = np.random.default_rng(0)


def padding_mask(lengths, T):
    """(B, T) mask: lengths[b] real tokens (1) at the start of row b, then padding (0)."""
    return (np.arange(T)[None, :] < np.asarray(lengths)[:, None]).astype(np.int64)


def on_backend(*arrays):
    """Token ids and masks onto the array backend in use (NumPy: unchanged; CuPy: the GPU)."""
    return [backend.asarray(a) for a in arrays]


# ---------------------------------------------------------------------------
section("1. one encoder block, post-LN (BERT's order)")
# ---------------------------------------------------------------------------
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

# ---------------------------------------------------------------------------
section("2. the stacked Encoder, from an EncoderConfig")
# ---------------------------------------------------------------------------
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

# ---------------------------------------------------------------------------
section("3. a gradient check of the whole model")
# ---------------------------------------------------------------------------
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
print(f"""{len(errors)} parameters checked in {seconds:.1f} s; {'none' if not bad else len(bad)} above the whole-model tolerance 1e-5.
(key.bias has a true gradient of zero, lesson 04: its relative error compares noise with noise.)
Relative errors of 1e-11..1e-9: rounding accumulates through two layers, pooling and the
normalisation, and stays far below the 1e-5 required of the whole model. A wrong line anywhere
in the model would show up as 1e-3 or more in the parameters it feeds.""")

# ---------------------------------------------------------------------------
section("4. padding invariance: a sentence's vector does not depend on its padding")
# ---------------------------------------------------------------------------
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

# ---------------------------------------------------------------------------
section("5. parameter counts: student against teacher")
# ---------------------------------------------------------------------------
student_config = EncoderConfig(vocab_size=15000, hidden_size=256, num_layers=4, num_heads=4,
                               intermediate_size=1024, max_position=128, output_size=384)
teacher_config = EncoderConfig()                    # the defaults are all-MiniLM-L6-v2's shape
print("student (an example size): " + ", ".join(f"{k}={v}" for k, v in student_config.to_dict().items()
                                               if k in ("vocab_size", "hidden_size", "num_layers", "num_heads",
                                                        "intermediate_size", "max_position", "output_size")))
print("teacher (EncoderConfig()): " + ", ".join(f"{k}={v}" for k, v in teacher_config.to_dict().items()
                                               if k in ("vocab_size", "hidden_size", "num_layers", "num_heads",
                                                        "intermediate_size", "max_position", "output_size")))
print("The student's 384-wide projection makes its vectors comparable with the teacher's 384-wide ones.\n")


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
The student spends fewer parameters on both, and learns from the teacher's vectors (lessons 06-09).""")
