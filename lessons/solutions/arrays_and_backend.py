"""Solutions to lesson 01's exercise (python lessons/01_arrays_and_backend.py --check --solutions)."""

import numpy as np


def centred_difference(f, x, h=1e-5):
    grad = np.zeros_like(x)
    flat, flat_grad = x.reshape(-1), grad.reshape(-1)       # views: writing flat[i] changes x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f(x)
        flat[i] = old - h
        f_minus = f(x)
        flat[i] = old                                       # put it back
        flat_grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
