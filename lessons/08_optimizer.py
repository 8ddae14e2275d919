"""Lesson 08: the optimiser by hand: AdamW, the warm-up and decay of the learning rate, gradient clipping.

    python lessons/08_optimizer.py

What you will see:
  1. Why one learning rate for every parameter is a poor fit: the gradients of a tiny student
     differ by orders of magnitude from one parameter to the next.
  2. Adam by hand, step by step: two running means, the bias correction, the step of about lr per
     entry; our numbers against tinykd.optim.AdamW.
  3. The "W": weight decay applied to the weights directly, not through the gradient, and what
     changes when it goes through the gradient instead.
  4. The schedule: a linear warm-up, then a linear decay to 0 (tinykd.optim.learning_rate), and why
     the first steps need it.
  5. Clipping the global gradient norm: one scale for all gradients keeps the step's direction.
  6. Plain gradient descent against AdamW on a badly scaled problem.
  7. An embedding table updated lazily: only the rows a batch used move (--lazy_embeddings); a rare
     row's small gradient against eps, and the table's larger step (--embedding_lr_scale).
  Exercises: the schedule, the clipping and one AdamW step, graded against tinykd.optim.

Needs nothing but NumPy; a few seconds.
"""

from __future__ import annotations

import numpy as np
from _common import exercises, section, table

from tinykd import Encoder, EncoderConfig, backend
from tinykd.config import TrainConfig
from tinykd.loss import distillation_loss_stacked
from tinykd.optim import AdamW, clip_grad_norm, learning_rate, no_decay

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)
rng = np.random.default_rng(0)

# %% 1. one learning rate for every parameter?
section("1. one learning rate for every parameter?")
tiny = EncoderConfig(vocab_size=200, hidden_size=16, num_layers=1, num_heads=2, intermediate_size=32,
                     max_position=16, output_size=8, dropout=0.0)
backend.seed(0)
student = Encoder(tiny)
ids = rng.integers(5, tiny.vocab_size, (8, 10))
mask = np.ones_like(ids)
target = rng.standard_normal((4, tiny.output_size))
target /= np.linalg.norm(target, axis=1, keepdims=True)                  # (4, D) "teacher" vectors


def gradients():
    """The gradient of lesson 07's loss (4 pairs: rows 0-3 English, 4-7 translations) for every parameter."""
    student.zero_grad()
    loss, _, _, dvec = distillation_loss_stacked(student(ids, mask), target)
    student.backward(dvec)
    return float(loss), {k: g.copy() for k, g in student.gradients().items()}


loss0, grads = gradients()
rms = {k: float(np.sqrt((g ** 2).mean())) for k, g in grads.items()}
show = ["embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight", "embeddings.LayerNorm.weight",
        "encoder.layer.0.attention.self.query.weight", "encoder.layer.0.intermediate.dense.weight",
        "encoder.layer.0.output.LayerNorm.bias", "projection.weight"]
table(["parameter", "rms of its gradient"], [[k, rms[k]] for k in show])
print(f"""A tiny student (width 16, one layer) at BERT's initialisation, one batch of lesson 07's loss.
These gradients' sizes span {max(rms[k] for k in show) / min(rms[k] for k in show):,.0f}x: the query weights, multiplied by other small weights, get
tiny gradients; the projection and the LayerNorms large ones; an embedding row gets a gradient
only when its token is in the batch. Plain gradient descent, p <- p - lr g, moves each parameter in
proportion to its gradient: a learning rate small enough for the largest is far too small for the
smallest. Adam gives every entry a step of about the same size instead.""")

# %% 2. Adam by hand
section("2. Adam by hand")
print("""For each entry of each parameter, with the gradient g at step t = 1, 2, ...:

    m = beta1 m + (1 - beta1) g           a running mean of g          (beta1 = 0.9)
    v = beta2 v + (1 - beta2) g^2         a running mean of g^2        (beta2 = 0.999)
    m_hat = m / (1 - beta1^t),  v_hat = v / (1 - beta2^t)              the bias correction
    p = p - lr m_hat / (sqrt(v_hat) + eps)

m and v start at 0, so their first values are too small by the factors (1 - beta^t); dividing by
them corrects it: at t = 1, m_hat = g and v_hat = g^2 exactly. So the first step is lr g / |g| =
lr sign(g): every entry moves by lr, whatever its gradient's size. Later, m_hat / sqrt(v_hat) is
the gradient's mean over its recent spread: near +-1 where the gradient keeps its sign, near 0
where it flips from batch to batch.""")
name = "encoder.layer.0.attention.self.query.weight"
p0 = backend.to_numpy(student.parameters()[name]).copy()
lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-6
params = {name: p0.copy()}
opt = AdamW(params, lr=lr, betas=(b1, b2), eps=eps, weight_decay=0.0)
p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
rows = []
for t in range(1, 6):
    g = grads[name] * (1 + 0.5 * rng.standard_normal(p0.shape))         # a noisy gradient, as batches give
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    step = lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    p = p - step
    opt.step({name: g})
    rows.append([t, float(np.abs(g).mean()), float(np.abs(step).mean()), float(np.abs(p - params[name]).max())])
table(["step t", "mean |g|", "mean |step| (by hand)", "max |by hand - tinykd AdamW|"], rows)
print(f"""The gradient entries average {rows[0][1]:.1e}; the steps average {rows[-1][2]:.1e}, a fair part of lr = {lr:g} (less than
lr where the noisy gradient flips sign), and {rows[-1][2] / (lr * rows[-1][1]):,.0f} times what plain gradient descent with the same lr
would move them. Our five lines and tinykd.optim.AdamW agree to rounding.""")

# %% 3. the W: decoupled weight decay
section("3. the W: weight decay applied to the weights, not through the gradient")
print("""Weight decay shrinks every weight a little each step, p <- p (1 - lr wd), so that weights no
gradient supports fade. Adam with "L2 regularisation" instead adds wd p to the gradient, and then
that term goes through m / sqrt(v) like the rest: an entry with large gradients (large v) gets its
decay divided by a large number, one with small gradients almost the full decay. AdamW (Loshchilov
& Hutter, 2019) takes the decay out of the gradient, so every weight decays at the same rate.
tinykd decays neither biases nor LayerNorm parameters (BERT's practice, tinykd.optim.no_decay):""")
table(["parameter", "decayed?"], [[k, not no_decay(k)] for k in show])
wd, p_big, p_small = 0.1, 1.0, 1.0
g_big, g_small = 1.0, 0.001                  # two weights of value 1, one with large gradients, one with small
rows = []
for label, decoupled in (("AdamW (decoupled)", True), ("Adam + L2 in the gradient", False)):
    shrink = []
    for g in (g_big, g_small):
        gg = g if decoupled else g + wd * 1.0
        first_step = lr * gg / (abs(gg) + eps)                      # t = 1: lr sign(g)
        decay = lr * wd * 1.0 if decoupled else 0.0
        without = lr * g / (abs(g) + eps)                           # the same step without any decay
        shrink.append((first_step + decay) - without)               # what the decay added to the step
    rows.append([label, shrink[0], shrink[1]])
table(["first step of a weight p = 1", "decay's share, large g", "decay's share, small g"], rows)
print(f"""With AdamW both weights lose lr wd = {lr * wd:.0e} to the decay, whatever their gradients. With L2 in the
gradient, Adam's first step is lr sign(g + wd p) for both: the decay all but vanishes ({rows[1][1]:.0e} and
{rows[1][2]:.0e}), and what is left of it is {rows[1][2] / rows[1][1]:,.0f}x larger for the weight with small gradients. Through
the gradient, the decay depends on the gradients' sizes; decoupled, it is the same for every weight.""")

# %% 4. the schedule
section("4. the schedule: warm up, then decay")
defaults = TrainConfig()
total, warm = defaults.steps, int(defaults.warmup * defaults.steps)       # the default run's schedule
lrs = np.array([learning_rate(s, total, defaults.lr, warm) for s in range(total)])
BARS = " ▁▂▃▄▅▆▇█"
every = total // 50
print(f"tinykd.optim.learning_rate(step, {total}, peak {defaults.lr:g}, warm-up {warm} steps), one bar per {every} steps:")
print("  " + "".join(BARS[int(x / lrs.max() * 8)] for x in lrs[::every]))
table(["step", "learning rate"], [[s, float(lrs[s])] for s in (0, 1, warm // 2, warm - 1, warm, total // 2, total - 1)])
print("""The first steps are the riskiest: Adam's v has seen one or two gradients, so m_hat / sqrt(v_hat) is
about +-1 for every entry (section 2), however unsure the direction, and a freshly built student
(new embedding rows, a pruned set of layers) has gradients unlike the ones it will settle into.
A warm-up keeps those steps small until the running means mean something. The decay to 0 at the
end lets the last steps average the batches' noise out instead of jumping between them.""")

# %% 5. clipping
section("5. clipping the global gradient norm")
grads_big = {k: g * (50.0 if "word_embeddings" in k else 1.0) for k, g in grads.items()}   # one odd batch
flat = lambda d: np.concatenate([g.ravel() for g in d.values()])
before = flat(grads_big)
clipped = {k: g.copy() for k, g in grads_big.items()}
norm = clip_grad_norm(clipped, 1.0)                                   # tinykd.optim: in place, one scale
each = {k: g * min(1.0, 1.0 / (np.linalg.norm(g) + 1e-6)) for k, g in grads_big.items()}   # per parameter
cos = lambda a, b: float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
table(["clipping", "norm after", "cosine with the unclipped gradient"],
      [["none", float(np.linalg.norm(before)), 1.0],
       ["global norm <= 1 (tinykd)", float(np.linalg.norm(flat(clipped))), cos(flat(clipped), before)],
       ["each parameter's norm <= 1", float(np.linalg.norm(flat(each))), cos(flat(each), before)]])
print(f"""A batch whose embedding gradients are 50x the usual has global norm {norm:.1f}. Clipping the global norm
(TrainConfig.clip = 1.0) multiplies every gradient by one number, {1.0 / norm:.3f}: the step is shorter, its
direction the same (cosine 1). Clipping each parameter apart changes the direction. With Adam a
single odd batch does its harm through m and v: clipping keeps one batch from filling v with a
huge g^2 that would shrink every later step of those entries.""")

# %% 6. plain gradient descent against AdamW
section("6. plain gradient descent against AdamW, on a badly scaled problem")
scales = np.array([100.0, 1.0, 0.01])          # three parameters whose gradients differ 10,000x
loss = lambda w: float(0.5 * (scales * w * w).sum())
steps = 300                                    # instant: the fast mode keeps them all
rows = []
for name, lr_ in (("gradient descent, lr 0.019", 0.019), ("AdamW, lr 0.05", 0.05)):
    w = {"w": np.ones(3)}
    adam = AdamW(w, lr=lr_, weight_decay=0.0)
    for s in range(steps):
        g = scales * w["w"]
        if name.startswith("AdamW"):
            adam.step({"w": g}, lr=learning_rate(s, steps, lr_, steps // 20))
        else:
            w["w"] -= lr_ * g
    rows.append([name, *[f"{x:+.4f}" for x in w["w"]], loss(w["w"])])
table(["optimiser", "w0 (curvature 100)", "w1 (1)", "w2 (0.01)", "loss"], rows)
print(f"""L(w) = (100 w0^2 + w1^2 + 0.01 w2^2) / 2 from w = (1, 1, 1), {steps} steps. Gradient descent must keep
lr < 2 / 100 or w0 diverges; at that lr, w2 moves by 0.0002 of itself a step and has barely left 1.
AdamW's steps do not depend on the gradient's scale: all three reach 0 (its warm-up and decay from
section 4 included). The real student's parameters differ in scale as in section 1.""")

# %% 7. an embedding table, updated lazily
section("7. an embedding table, updated lazily")
vocab, width = 8, 3                            # the student's word table is (49000, 384)
start = np.random.default_rng(0).standard_normal((vocab, width))
used = np.array([1, 5])                        # the rows (tokens) this batch's sentences use
moved = {}
for name, lazy in (("dense AdamW", False), ("lazy (--lazy_embeddings)", True)):
    table_ = {"word.weight": start.copy()}
    opt = AdamW(table_, lr=0.01, weight_decay=0.01)
    for s in range(5):
        g = np.zeros((vocab, width))
        g[used if s < 3 else [2]] = 1.0        # rows 1 and 5 in steps 1-3, then only row 2
        opt.step({"word.weight": g}, rows={"word.weight": np.flatnonzero(g.any(1))} if lazy else None)
    moved[name] = np.flatnonzero((table_["word.weight"] != start).any(1)).tolist()
table(["update", "rows that moved in 5 steps"], [[name, rows_] for name, rows_ in moved.items()])
print("""An embedding's gradient is zero on every row no sentence of the batch uses. Dense AdamW still moves
each of them every step: by the decay, and by the momentum m of the steps when it was used (rows 1 and 5
keep moving in steps 4 and 5). A batch of the default run uses about 1,300 of the 49,000 rows, so the
lazy update (PyTorch's SparseAdam, TensorFlow's LazyAdam) touches 3% of the table: the used rows get
exactly the AdamW step above, the others keep their values and moments until a batch uses them again.""")

# A rare token's row: its gradient is small (the loss averages over the batch and 384 dimensions) and
# comes once in many steps, so its second moment v stays near 0; eps, added to sqrt(v_hat), then
# decides the step. One use late in a run (t = 1000), in units of lr:
rare = []
for label, eps_, scale in (("eps 1e-6", 1e-6, 1.0), ("eps 1e-8", 1e-8, 1.0),
                           ("eps 1e-6, the step x3 (the trainer's word table)", 1e-6, 3.0)):
    table_ = {"word.weight": np.zeros((2, 1))}
    opt = AdamW(table_, lr=1e-3, eps=eps_, weight_decay=0.0, step_scales={"word.weight": scale})
    opt.t = 999                                # 999 steps in which neither row was used
    opt.step({"word.weight": np.array([[1e-6], [1e-4]])}, rows={"word.weight": np.array([0, 1])})
    rare.append([label, *[f"{-x / 1e-3:.2f}" for x in table_["word.weight"][:, 0]]])
table(["Adam", "step / lr: rare row (g = 1e-6)", "common row (g = 1e-4)"], rare)
print("""At t = 1000 a row used for the first time has m_hat = g / 10 and sqrt(v_hat) = |g| / 25: without eps its
step is 2.5 lr, whatever g. A gradient of 1e-4 keeps most of it; one of 1e-6 is smaller than eps = 1e-6
(BERT's, and ours), and its step shrinks to a twentieth. In the default run half the entries of the rows it
used end with sqrt(v_hat) below 1e-6. So the trainer lets the word table step three times as far as the
layers (--embedding_lr_scale, AdamW's step_scales; docs/experiments.md: +1.1 points on the twelve domains;
eps 1e-8 gave about half).""")

# %% Exercises
section("Exercises: the schedule, the clipping and AdamW, by you")
print("""Three functions at the end of this file wait for your code. Then run

    python lessons/08_optimizer.py --check

Each is compared with tinykd.optim (learning_rate, clip_grad_norm, AdamW over ten steps).""")


def warmup_then_decay(step, total_steps, peak, warmup_steps):
    """Exercise 08.1. The learning rate at step (0, 1, ..., total_steps - 1), as section 4 draws it:
    peak (step + 1) / warmup_steps during the warm-up, then a straight line from peak down to 0
    at total_steps. With warmup_steps = 0 the decay starts at once."""
    return peak                      # replace this line with your code


def clip_by_global_norm(grads, max_norm):
    """Exercise 08.2. grads: name -> array. If the norm of all entries together exceeds max_norm,
    scale every gradient by max_norm / (norm + 1e-6). Returns (the new dict, the norm before clipping)."""
    return grads, 0.0                # replace this line with your code


def adamw_step(p, g, m, v, t, lr, beta1, beta2, eps, weight_decay):
    """Exercise 08.3. One AdamW step of one parameter (section 2 and 3), t counting from 1.

    Returns the new (p, m, v). The decay multiplies p by (1 - lr weight_decay) before the Adam step.
    """
    return p - lr * g, m, v          # plain gradient descent: replace it with AdamW
