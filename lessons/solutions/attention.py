"""Solutions to lesson 04's exercises."""

import math

import numpy as np


def softmax_backward(w, dw):
    return w * (dw - (dw * w).sum(axis=-1, keepdims=True))


def attention_backward(q, k, v, dout):
    d = q.shape[-1]
    scores = q @ k.T / math.sqrt(d)                      # forward again: (T, T)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w /= w.sum(axis=-1, keepdims=True)
    dv = w.T @ dout                                      # out = w @ v
    dw = dout @ v.T
    dscores = softmax_backward(w, dw)                    # w = softmax(scores)
    dq = dscores @ k / math.sqrt(d)                      # scores = q k^T / sqrt(d)
    dk = dscores.T @ q / math.sqrt(d)
    return dq, dk, dv
