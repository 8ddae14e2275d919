"""Solutions to lesson 02's exercise."""


def linear_backward(x, W, dy):
    dx = dy @ W              # (N, O) @ (O, I) = (N, I)
    dW = dy.T @ x            # (O, N) @ (N, I) = (O, I)
    db = dy.sum(axis=0)      # (O,): b was broadcast over the rows
    return dx, dW, db
