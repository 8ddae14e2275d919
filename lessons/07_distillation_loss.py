"""Lesson 07: the distillation loss, L = MSE(S(en), T(en)) + MSE(S(xx), T(en)), and its gradient.

    python lessons/07_distillation_loss.py

What you will see:
  1. The objective of Reimers & Gurevych (2020), and why *both* the English sentence and its
     translation are pulled to the teacher's *English* vector.
  2. Its gradient, derived by hand, and what the MSE of two unit vectors means (a cosine).
  3. The gradient checked numerically in float64 (tinykd.loss against centred differences).
  4. The same loss through a tiny student: every parameter's gradient checked.
  5. One gradient step lowers the loss by what the gradient predicts when it is small, and by
     less when it is large; then a few AdamW steps.
  6. What the MSE does not see: errors of the same size that ruin retrieval, and the retrieval
     term the trainer adds for them (tinykd.loss.retrieval_loss), its gradient checked.
  7. A vector's direction and its length: how the plain MSE weighs a short vector's direction
     less, and a loss that learns the two apart, its gradient checked.
"""

from __future__ import annotations

import numpy as np
from _common import FAST, exercises, section, table

from tinykd import Encoder, EncoderConfig, backend
from tinykd.gradcheck import numerical_gradient, randomize_parameters, rel_error
from tinykd.loss import distillation_loss, distillation_loss_stacked, mse, retrieval_loss
from tinykd.optim import AdamW

exercises(__file__)        # with --check: grade the exercises at the end of this file instead of running it
print(__doc__)
rng = np.random.default_rng(0)


def unit_rows(a):
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# %% 1. the objective, and why both sides go to the teacher's English vector
section("1. the objective, and why both sides go to the teacher's English vector")
print("""For a batch of B pairs (English s_i, translation t_i), the frozen teacher T and the student S,
all vectors of D = 384 numbers:

    L = MSE(S(s), T(s)) + MSE(S(t), T(s))        MSE(a, b) = 1/(B D) sum_i sum_d (a_id - b_id)^2
        ----------------   ----------------
        English: keep the   translation: put it where
        teacher's meaning   the teacher put its English

Why T(s), the teacher's vector of the *English* sentence, on both sides:
  * T(t) is useless: the teacher reads English only (lesson 06: "Ein Mann spielt Gitarre."
    scores 0.04 against its English). T(s) is the one target we trust.
  * The English term keeps the student in the teacher's vector space, so everything the teacher
    learned about English (paraphrases, similarity) carries over, and English does not drift.
  * The translation term maps each translation onto that same point: cross-lingual alignment.
  * Aligning the two sides with each other instead, MSE(S(t), S(s)), has a trivial minimum:
    map every sentence to one constant vector. The teacher's vectors differ from sentence to
    sentence, so the anchored loss cannot collapse. Numbers:""")
B, D = 64, 384
T = unit_rows(rng.standard_normal((B, D)))           # stand-ins for teacher vectors, unit length
c = unit_rows(rng.standard_normal((1, D)))           # a student that maps everything to c
S_const = np.repeat(c, B, axis=0)
best = np.repeat(T.mean(0, keepdims=True), B, axis=0)   # the best constant for the anchored loss
table(["a collapsed student (one vector for all)", "MSE(S(t), S(s))", "distillation L"],
      [["S = c, any unit vector", mse(S_const, S_const)[0], distillation_loss(S_const, S_const, T)[0]],
       ["S = mean of the teacher's vectors", mse(best, best)[0], distillation_loss(best, best, T)[0]],
       ["S = T (the student we want)", mse(T, T)[0], distillation_loss(T, T, T)[0]]])
print("The unanchored loss is 0 for the useless constant student; the distillation loss is 0 only at S = T.")

# %% 2. the gradient, by hand; and what the MSE of unit vectors means
section("2. the gradient, by hand; and what the MSE of unit vectors means")
print("""Write e = S(s) (B, D), x = S(t) (B, D), T = T(s) (B, D), a constant (the teacher is frozen):

    L   = 1/(BD) sum (e - T)^2 + 1/(BD) sum (x - T)^2
    dL/de_id = 2 (e_id - T_id) / (BD)          only the first term holds e
    dL/dx_id = 2 (x_id - T_id) / (BD)          only the second term holds x
    dL/dT    : none; the teacher's vectors are data, not parameters

tinykd.loss.mse returns exactly `diff * (2.0 / diff.size)`, with diff.size = B D.
In training, English and translations go through the student in one pass of 2B rows
([s_1..s_B; t_1..t_B]); distillation_loss_stacked splits the rows, and its gradient is the two
halves stacked again: the student's backward then starts from dL/d(vectors), (2B, D).

The teacher's vectors have length 1 (it ends in L2Normalize). If the student's have too, then
for one pair
    sum_d (a_d - b_d)^2 = |a|^2 + |b|^2 - 2 a.b = 2 (1 - cos(a, b)):
the MSE is (2/D) x (1 - mean cosine). MSE x 100 = 0.26 means a mean cosine of 0.5 with D = 384.

The paper's students leave their length free instead (in tinykd: --normalize false). For a vector
a = r u of length r in a direction u with cos(u, b) = c:
    |r u - b|^2 = r^2 - 2 r c + 1,   smallest at r = c, where it is 1 - c^2  (not 2 (1 - c)).
A student unsure of a sentence (a low cosine) loses less by answering with a shorter vector:
the MSE rewards knowing how sure one is. Cosines, and so retrieval, do not change with length.""")
a = unit_rows(rng.standard_normal((B, D)))
cos = (a * T).sum(1)
print(f"check on random unit vectors: MSE = {mse(a, T)[0]:.8f}, (2/D)(1 - mean cos) = "
      f"{2 / D * (1 - cos.mean()):.8f}")
noise = np.random.default_rng(7)                               # (its own draws: rng's stay as they were)
near = unit_rows(T + 0.05 * noise.standard_normal((B, D)))     # a confident guess per row...
far = unit_rows(T + 0.09 * noise.standard_normal((B, D)))      # ...and an unsure one
rows = []
for name, guess in (("confident", near), ("unsure", far)):
    c_ = (guess * T).sum(1, keepdims=True)                     # (B, 1) cosines
    rows.append([name, float(c_.mean()), mse(guess, T)[0] * 100, mse(c_ * guess, T)[0] * 100])
table(["student", "mean cosine", "MSE x 100, length 1", "MSE x 100, length = cosine"], rows)
print("""Same directions, so the same retrieval; the unsure student gains the most from a shorter answer.
The MSE falls without any vector pointing closer to its target. tinykd's default student has a free
length, learned apart from its direction (section 7); --normalize true keeps length 1, whose MSE
measures directions only (docs/experiments.md has both runs).""")

# %% 3. the gradient checked numerically (float64)
section("3. the gradient checked numerically (float64)")
# The loss is a scalar already: no random dout is needed (the trap of lesson 03 is a check of
# sum(y) for a vector y; here we differentiate L itself).
b, d = 3, 5
e = rng.standard_normal((b, d))                       # float64 throughout
x = rng.standard_normal((b, d))
t = rng.standard_normal((b, d))
loss, loss_en, loss_xx, d_en, d_xx = distillation_loss(e, x, t)
stacked = np.concatenate([e, x])                      # (2b, d): English rows, then translations
loss_s, _, _, d_stacked = distillation_loss_stacked(stacked, t)
num_e = numerical_gradient(lambda: distillation_loss(e, x, t)[0], e)
num_x = numerical_gradient(lambda: distillation_loss(e, x, t)[0], x)
num_s = numerical_gradient(lambda: distillation_loss_stacked(stacked, t)[0], stacked)
print(f"B = {b} pairs, D = {d}, random float64 vectors; L = {loss_en:.6f} + {loss_xx:.6f} = {loss:.6f}\n")
rows = [["dL/dS(en)", rel_error(d_en, num_e)], ["dL/dS(xx)", rel_error(d_xx, num_x)],
        ["dL/d[S(en); S(xx)] (stacked)", rel_error(d_stacked, num_s)]]
table(["gradient", "rel error", "verdict"], [[n, r, "ok" if r < 1e-7 else "WRONG"] for n, r in rows])
print(f"""stacked and separate losses agree: {loss_s == loss}.
Relative errors near 1e-10: the loss is quadratic, so the centred difference is exact up to rounding.""")

# %% 4. through a tiny student: every parameter's gradient
section("4. through a tiny student: every parameter's gradient")
tiny = EncoderConfig(vocab_size=40, hidden_size=8, num_layers=1, num_heads=2, intermediate_size=16,
                     max_position=16, output_size=6, dropout=0.0)   # normalize=True: the longest backward
pairs = 2
en_len, xx_len = [5, 3], [6, 4]                       # a translation need not have the English length
Tn = 6
ids = np.zeros((2 * pairs, Tn), dtype=np.int64)
mask = np.zeros_like(ids)
for row, n in enumerate(en_len + xx_len):             # rows 0..B-1: English; B..2B-1: translations
    ids[row, :n] = rng.integers(5, tiny.vocab_size, n)
    mask[row, :n] = 1
with backend.precision(np.float64):
    backend.seed(1)
    student = Encoder(tiny)
    randomize_parameters(student, seed=2, std=0.3)
    target = backend.asarray(unit_rows(rng.standard_normal((pairs, tiny.output_size))))  # "teacher" (B, D)
    ids_b, mask_b = backend.asarray(ids), backend.asarray(mask)

    def loss_fn():
        return distillation_loss_stacked(student(ids_b, mask_b), target)[0]

    student.zero_grad()
    vectors = student(ids_b, mask_b)                               # (2B, D)
    L0, _, _, dvectors = distillation_loss_stacked(vectors, target)
    student.backward(dvectors)                                     # adds into every .grads
    analytic = {k: backend.to_numpy(g).copy() for k, g in student.gradients().items()}
    check_rng = np.random.default_rng(3)
    rows = []
    for name, p in student.parameters().items():
        a_g = analytic[name].reshape(-1)
        k = 4 if FAST else 12                                      # entries per parameter
        idx = np.unique(np.concatenate([check_rng.choice(a_g.size, min(k, a_g.size), replace=False),
                                        np.flatnonzero(a_g)[:k // 2]]))
        n_g = numerical_gradient(loss_fn, p, idx).reshape(-1)
        err = rel_error(a_g[idx], n_g[idx])
        verdict = "ok" if err < 1e-5 else ("zero gradient" if name.endswith("key.bias") else "WRONG")
        rows.append([name, len(idx), err, verdict])       # key.bias: its true gradient is 0 (lesson 04)
print(f"""A student of width 8, one layer, output 6 (float64, random weights, dropout off);
{pairs} pairs: English of {en_len} tokens, translations of {xx_len}, one stacked batch of {2 * pairs} rows.
L = {L0:.6f}. dL/dvectors from tinykd.loss, then student.backward; entries nudged by +-1e-5:\n""")
table(["parameter", "entries", "rel error", "verdict"], rows)
print("""The loss's gradient (section 3) times the model's backward (lessons 02-05) is the whole chain
rule: nothing else is needed to train. (key.bias: its true gradient is 0, so its relative error
compares rounding noise with rounding noise, lesson 04.)""")

# %% 5. one gradient step lowers the loss
section("5. one gradient step lowers the loss")
backend.seed(1)
student = Encoder(tiny).eval()                         # float32, BERT's initialisation
target = backend.asarray(unit_rows(rng.standard_normal((pairs, tiny.output_size))).astype(np.float32))


def loss_now():
    return distillation_loss_stacked(student(ids_b, mask_b), target)[0]


ids_b, mask_b = backend.asarray(ids), backend.asarray(mask)
student.zero_grad()
L0, _, _, dvec = distillation_loss_stacked(student(ids_b, mask_b), target)
student.backward(dvec)
grads = {k: g.copy() for k, g in student.gradients().items()}
saved = {k: p.copy() for k, p in student.parameters().items()}
g2 = float(sum((g * g).sum() for g in grads.values()))
rows = []
for lr in [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]:
    for k, p in student.parameters().items():           # p <- p - lr g, in place
        p[...] = saved[k] - lr * grads[k]
    change = float(loss_now()) - float(L0)
    rows.append([lr, float(L0), float(L0) + change, -lr * g2, change, "lower" if change < 0 else "HIGHER"])
for k, p in student.parameters().items():                 # back to the weights before the step
    p[...] = saved[k]
print(f"""The same tiny student, float32, fresh weights; L = {L0:.6f}, |gradient|^2 = {g2:.3e}.
Plain gradient descent, p <- p - lr dL/dp, one step, for several step sizes. To first order the
loss changes by dL = g . (-lr g) = -lr |g|^2:\n""")
table(["lr", "L before", "L after", "predicted change", "actual change", "result"], rows)
print(f"""Small steps follow the prediction to 3 digits: the gradient is the slope. Larger steps gain less
than predicted: the loss curves, and the prediction runs past it. Even lr = 0.1 still lowers L here,
and no step could raise it much: this student ends in an L2 normalisation, so each of its vectors
and each target has length 1, |S - T|^2 <= 4, and L <= 2 x 4 / D = {8 / tiny.output_size:.2f} whatever the weights.
A student of free length (tinykd's default, lesson 13) has no such bound: there a step too large
can overshoot and raise the loss. Training takes many small steps; tinykd.train uses AdamW, which
scales each parameter's step by its gradient's running size, with a warm-up and a decaying
learning rate (lesson 08 writes all three by hand; tinykd.optim).
""")

steps = 10 if FAST else 40
opt = AdamW(student.parameters(), lr=3e-3, weight_decay=0.0)
losses = []
for step in range(steps):
    student.zero_grad()
    L, L_en, L_xx, dvec = distillation_loss_stacked(student(ids_b, mask_b), target)
    student.backward(dvec)
    opt.step(student.gradients())
    losses.append((step, L, L_en, L_xx))
show = [r for r in losses if r[0] in (0, 1, 2, 5) or r[0] % 10 == 9]
table(["AdamW step", "L", "MSE(S(en), T)", "MSE(S(xx), T)"], [[s + 1, float(a), float(b_), float(c_)]
                                                           for s, a, b_, c_ in show])
print(f"""
{steps} AdamW steps (lr 3e-3) take L from {losses[0][1]:.4f} to {losses[-1][1]:.4f}: both the English rows and the
translation rows move to the same target vectors. Lesson 13 does this with the real teacher.""")

# %% 6. what the MSE does not see, and a retrieval term
section("6. what the MSE does not see, and a retrieval term")
n_sent, dim = 1000, 64
common = unit_rows(rng.standard_normal((1, dim)))[0]
teacher_vecs = unit_rows(0.6 * common + rng.standard_normal((n_sent, dim)) / np.sqrt(dim))   # like real
centre = teacher_vecs.mean(axis=0)                      # sentence vectors, they share a direction
random_dirs = unit_rows(rng.standard_normal((n_sent, dim)))
to_centre = unit_rows(centre[None, :] - teacher_vecs)
rows = []
for size in (0.4, 0.6, 0.8):
    for name, dirs in (("random", random_dirs), ("towards the centre", to_centre)):
        guess = teacher_vecs + size * dirs             # every row off by the same length
        found = (np.argmax(unit_rows(guess) @ teacher_vecs.T, axis=1) == np.arange(n_sent)).mean() * 100
        rows.append([f"{size:.1f}", name, f"{mse(guess, teacher_vecs)[0] * 100:.3f}", f"{found:.1f}",
                     f"{retrieval_loss(guess, teacher_vecs, np.arange(n_sent), scale=20.0)[0]:.3f}"])
print(f"""{n_sent} teacher vectors in {dim} dimensions that share a direction (|mean| = {np.linalg.norm(centre):.2f}), and
guesses off by the same length, in a random direction or towards the centre of the cloud. Retrieval:
is each guess's nearest teacher vector (cosine) its own?\n""")
table(["error length", "direction", "MSE x 100", "retrieval %", "retrieval loss"], rows)
print("""
The MSE is the same for both: it sees the length of the error, not where it points. Retrieval
does: a guess pulled towards the centre looks like every sentence at once. A student unsure of a
translation does exactly that under the MSE: the best guess under uncertainty is the mean of the
plausible targets, and those means crowd the centre (the test pages show it: a few English sentences
become the nearest neighbour of many translations).

The trainer can add a term that asks for the right *neighbour*, not only the right vector
(--retrieval_weight lambda, L = MSE_en + w MSE_xx + lambda L_r): each translation's vector x should be
closer, in cosine, to its own teacher vector than to K others c_j drawn from the training set:

    q = x / |x|,   z_j = s q . c_j  (s = 20),   L_r = logsumexp_j z_j - z_own        (cross-entropy)
    dz = softmax(z) - onehot(own),   dq = s dz C,   dx = (dq - q (q . dq)) / |x|

The last line is the normalisation's backward: only the direction of x matters, so dx is orthogonal
to x. Checked as before, float64, centred differences:""")
x_small = rng.standard_normal((3, 5))
cands = unit_rows(rng.standard_normal((6, 5)))
own = np.array([0, 4, 4])
_, dx_small = retrieval_loss(x_small, cands, own, scale=3.0)
numeric = numerical_gradient(lambda: retrieval_loss(x_small, cands, own, scale=3.0)[0], x_small)
print(f"""  relative error {rel_error(dx_small, numeric):.1e}; x . dx per row {np.abs((x_small * dx_small).sum(axis=1)).max():.1e}

Its gradient is about a thousand times the MSE's (the MSE divides by B D, the cross-entropy only by
B), hence lambda = 0.003 by default (docs/experiments.md: 300-step probes of lambda 0.001 / 0.003 / 0.01).""")

# %% 7. a vector's direction and its length, learned apart
section("7. a vector's direction and its length, learned apart")
print("""Section 2: a student of free length (--normalize false) does best at the length r = c, its cosine.
The plain MSE finds that length, but it also changes how much each vector's *direction* counts.
For x = r u, a unit target t, c = u . t and t_perp = t - c u (the part of t across x):

    d|x - t|^2/dx     = 2 (r - c) u   -   2 t_perp              along x  |  across x
    d 2 (1 - c)/dx    =                   -2 t_perp / r         the direction's own loss (section 2)

Across x, the MSE's gradient is r times the direction's: a vector's error in direction counts in
proportion to its length. A student that answers unsure translations with short vectors then learns
their directions with less weight than the English side's. --separate_length gives each part its own
loss (tinykd.loss.distillation_loss_direction_length), with sg() holding the direction fixed:

    L = MSE(u, t) + MSE(r sg(u), t)      dL/dx: across, the direction's gradient; along, the MSE's""")
from tinykd.loss import distillation_loss_direction_length, distillation_loss_grouped  # noqa: E402

lengths = np.array([[0.3], [0.6], [0.9], [1.5]])                     # 2 English rows, then 2 translations
target = unit_rows(rng.standard_normal((2, 8)))                       # (2, 8), teacher vectors
one_each = np.array([0, 1])                                           # translation p is of English p
x4 = unit_rows(target[[0, 1, 0, 1]] + 0.8 * rng.standard_normal((4, 8))) * lengths   # (4, 8)
u4 = unit_rows(x4)
_, _, _, d_plain = distillation_loss_grouped(x4, target, one_each)
_, _, _, d_apart = distillation_loss_direction_length(x4, target, one_each)
_, _, _, d_unit = distillation_loss_grouped(u4, target, one_each)
d_direction = (d_unit - u4 * (d_unit * u4).sum(1, keepdims=True)) / lengths   # through x / |x|
across = lambda d: np.linalg.norm(d - u4 * (d * u4).sum(1, keepdims=True), axis=1)
along = lambda d: (d * u4).sum(1)
table(["length r", "across: MSE / direction's", "across: apart / direction's", "along: apart - MSE"],
      [[f"{r:.1f}", a / b, c / b, e] for r, a, c, b, e in zip(lengths[:, 0], across(d_plain), across(d_apart),
                                                             across(d_direction), along(d_apart) - along(d_plain))])
frozen = u4.copy()
held = lambda: (distillation_loss_grouped(unit_rows(x4), target, one_each)[0]
                + distillation_loss_grouped(np.linalg.norm(x4, axis=1, keepdims=True) * frozen, target, one_each)[0])
print(f"""
Checked numerically with the direction of the second term frozen at the point (float64):
relative error {rel_error(d_apart, numerical_gradient(held, x4)):.1e}. The length's part vanishes at r = c,
and on a unit-length student the two losses have the same gradient (tests/test_train.py).
docs/experiments.md measures what it changes in the whole default run.""")

# %% Exercises
section("Exercises: the loss and its gradient, by you")
print("""Two functions at the end of this file wait for section 2's algebra. Then run

    python lessons/07_distillation_loss.py --check

The loss is compared with tinykd.loss.distillation_loss, its gradients with centred differences of
it (float64; right means a relative error under 1e-7), the unit-vector MSE with tinykd.loss.mse.""")


def distillation_loss_and_gradient(s_en, s_xx, t):
    """Exercise 07.1. L = MSE(s_en, t) + MSE(s_xx, t), each MSE the mean over all B x D numbers.

    s_en, s_xx, t: (B, D), the student's English and translation vectors, the teacher's English.
    Returns (L, dL/ds_en, dL/ds_xx): a number and two (B, D) arrays.
    """
    L = ((s_en - t) ** 2).mean() + ((s_xx - t) ** 2).mean()
    return L, 2 * (s_en - t), 2 * (s_xx - t)          # the loss is right; the gradients miss a factor


def mse_of_unit_vectors(cos, D):
    """Exercise 07.2. MSE(a, b) = |a - b|^2 / D for two unit vectors of D numbers, from their cosine alone."""
    return 1 - cos                   # replace this line with your code
