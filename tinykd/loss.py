"""The distillation objective (Reimers & Gurevych, 2020).

For a batch of pairs (English s_i, translation t_i) with the teacher's vector T(s_i):

    L = MSE(S(s), T(s)) + MSE(S(t), T(s))

The student is pulled to the teacher's vector from both sides: the English
sentence keeps the teacher's meaning, the translation is mapped onto it. Each
MSE is the mean over the batch and the vector's dimensions, as torch's MSELoss.

The trainer weights the second term (``L = MSE_en + w MSE_xx``, ``--translation_weight``,
default 2): the student starts from the teacher, so its English side starts close and
stays closer, and leaning on the translations buys accuracy (docs/experiments.md). It also adds
``retrieval_loss`` on the translations (``L + lambda L_r``, ``--retrieval_weight``, default
0.003): the MSE does not see *where* an error points, and an unsure student's errors point
towards the centre of the space, where every sentence looks alike (lesson 07); the retrieval
term asks each translation to be nearer its own teacher vector than thousands of others.
The default student has no final normalisation, and ``distillation_loss_direction_length``
(``--separate_length``) learns each vector's direction and its length apart.
"""

from __future__ import annotations

from tinykd.backend import xp
from tinykd.nn import L2Normalize, softmax


def mse(pred, target):
    """Mean squared error and its gradient with respect to ``pred``.

    pred, target: (B, D).   L = mean((pred - target)^2)   =>   dL/dpred = 2 (pred - target) / (B D)
    """
    diff = pred - target                                   # (B, D)
    loss = float((diff * diff).mean())
    return loss, diff * (2.0 / diff.size)


def distillation_loss(student_english, student_translation, teacher_english):
    """``L = MSE(S(en), T(en)) + MSE(S(xx), T(en))``, with the gradient for each side.

    Returns ``(loss, loss_english, loss_translation, d_english, d_translation)``.
    """
    loss_en, d_en = mse(student_english, teacher_english)
    loss_xx, d_xx = mse(student_translation, teacher_english)
    return loss_en + loss_xx, loss_en, loss_xx, d_en, d_xx


def distillation_loss_stacked(student, teacher_english):
    """The same loss for one forward pass over ``[English rows; translation rows]``.

    student: (2B, D), the English sentences first, then their translations;
    teacher_english: (B, D). Returns ``(loss, loss_english, loss_translation, dstudent (2B, D))``.
    """
    B = teacher_english.shape[0]
    loss, loss_en, loss_xx, d_en, d_xx = distillation_loss(student[:B], student[B:], teacher_english)
    return loss, loss_en, loss_xx, xp.concatenate([d_en, d_xx], axis=0)


def distillation_loss_grouped(student, teacher_english, english_of, translation_weight=1.0):
    """The same per-pair loss when several translations share one English sentence,
    which is then encoded once instead of once per pair.

    student: (U + P, D), U distinct English sentences first, then P translations;
    teacher_english: (U, D); english_of: (P,) ints in [0, U), the English row of each
    translation. Over the P pairs (s_p, t_p)::

        L = 1/(P D) sum_p |S(s_p) - T(s_p)|^2  +  1/(P D) sum_p |S(t_p) - T(s_p)|^2

    and the first sum, grouped by English sentence u seen in c_u pairs, is
    ``1/(P D) sum_u c_u |S(u) - T(u)|^2``: the value (and gradient) of the pairwise
    loss with each English row repeated c_u times. With ``english_of = arange(U)`` it is
    ``distillation_loss_stacked``. ``translation_weight`` w scales the second sum
    (``L = L_en + w L_xx``; 1 is the paper's loss). Returns
    ``(loss, loss_english, loss_translation, dstudent)``, the two parts unweighted.
    """
    U, D = teacher_english.shape
    P = english_of.shape[0]
    counts = xp.bincount(english_of, minlength=U).astype(student.dtype)[:, None]        # (U, 1): c_u
    diff_en = student[:U] - teacher_english                                            # (U, D)
    diff_xx = student[U:] - teacher_english[english_of]                                # (P, D)
    loss_en = float((counts * diff_en * diff_en).sum()) / (P * D)
    loss_xx = float((diff_xx * diff_xx).sum()) / (P * D)
    d_student = xp.concatenate([counts * diff_en, translation_weight * diff_xx], axis=0) * (2.0 / (P * D))
    return loss_en + translation_weight * loss_xx, loss_en, loss_xx, d_student            # d_student: (U + P, D)



# -- direction and length apart (for a student of free length; measured in docs/experiments.md) ---

def distillation_loss_direction_length(student, teacher_english, english_of, translation_weight=1.0):
    """The grouped loss with the direction and the length of each vector trained apart.

    A student of free length trained on the plain MSE learns to answer shorter where it is
    unsure, which is what minimises the squared error (lesson 07). But the same MSE also
    weighs each vector's error in *direction* by its length: across x, d|x - t|^2/dx is
    -2 t_perp, |x| times the gradient of the direction's own loss 2 (1 - cos(x, t)), which is
    -2 t_perp / |x| (t unit length, t_perp its part across x). The short, unsure translations
    then count less in learning directions than the English side. Here each part gets its
    own loss; with q = x / |x| and r = |x|::

        L = L_grouped(q)                        the direction, as a unit-length student learns it
          + L_grouped(r sg(q))                  the length, with the direction held fixed (sg)

    The first gradient is dL/dq through the normalisation (no component along x); the
    second is the component along q of the plain MSE gradient g = dL_grouped/dx, that is
    (g . q) q, which is zero when r equals q . t, the cosine with a unit-length t.
    The second part's value is the MSE of the output itself: it is what evaluation measures
    and what the returned ``loss_english, loss_translation`` report.

    student: (U + P, D); teacher_english: (U, D); english_of: (P,). Returns
    ``(loss, loss_english, loss_translation, dstudent)`` as ``distillation_loss_grouped``.
    """
    normalize = L2Normalize()
    q = normalize(student)                                                                   # (U + P, D)
    loss_direction, _, _, dq = distillation_loss_grouped(q, teacher_english, english_of, translation_weight)
    loss_output, loss_en, loss_xx, d_output = distillation_loss_grouped(student, teacher_english, english_of,
                                                                        translation_weight)
    d_length = (d_output * q).sum(axis=1, keepdims=True) * q                                 # (U + P, D), along q
    return loss_direction + loss_output, loss_en, loss_xx, normalize.backward(dq) + d_length


# -- a retrieval term (optional; measured in docs/experiments.md) ------------------------------

def retrieval_loss(student_rows, candidates, positive, scale=20.0, exclude=None):
    """Cross-entropy of picking each row's own teacher vector among candidate teacher vectors.

    The MSE pulls a translation towards its teacher vector, but when the student is unsure it
    settles near the mean of the plausible vectors, and such vectors crowd the centre of the
    space, where retrieval suffers (hubs). This term asks instead that the row be closer, in
    cosine, to its own teacher vector than to the others (sentence-transformers'
    MultipleNegativesRankingLoss, with the teacher's vectors as the candidates)::

        q_r = x_r / |x_r|                       the row, unit length                (R, D)
        z_rj = scale * q_r . c_j                cosine logits, c_j unit length      (R, K)
        L = 1/R sum_r [ logsumexp_j z_rj - z_r,positive_r ]

    student_rows: (R, D); candidates: (K, D), unit length; positive: (R,) ints in [0, K);
    exclude: optional (R, K) bool, candidates left out of row r's softmax (duplicates of its
    positive). Backward::

        dz = (softmax(z) - onehot(positive)) / R                                    (R, K)
        dq = scale * dz @ C                                                         (R, D)
        dx = (dq - q (q . dq)) / |x|           through the normalisation (tinykd.nn.L2Normalize)

    Returns ``(loss, d_rows)``.
    """
    R = student_rows.shape[0]
    normalize = L2Normalize()
    q = normalize(student_rows)                                                      # (R, D)
    z = scale * (q @ candidates.T)                                                   # (R, K)
    if exclude is not None:
        z = xp.where(exclude, -xp.inf, z)
    probs = softmax(z)                                                               # (R, K)
    rows = xp.arange(R)
    log_p_positive = xp.log(probs[rows, positive])
    loss = float(-log_p_positive.mean())
    dz = probs
    dz[rows, positive] -= 1.0
    dz /= R
    dq = scale * (dz @ candidates)                                                   # (R, D)
    return loss, normalize.backward(dq)                                              # (R, D)
