"""The distillation objective (Reimers & Gurevych, 2020).

For a batch of pairs (English s_i, translation t_i) with the teacher's vector T(s_i):

    L = MSE(S(s), T(s)) + MSE(S(t), T(s))

The student is pulled to the teacher's vector from both sides: the English
sentence keeps the teacher's meaning, the translation is mapped onto it. Each
MSE is the mean over the batch and the vector's dimensions, as torch's MSELoss.
"""

from __future__ import annotations

from tinykd.backend import xp


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
