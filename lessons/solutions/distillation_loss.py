"""Solutions to lesson 07's exercises."""


def distillation_loss_and_gradient(s_en, s_xx, t):
    B, D = t.shape
    L = ((s_en - t) ** 2).mean() + ((s_xx - t) ** 2).mean()
    d_en = 2 * (s_en - t) / (B * D)
    d_xx = 2 * (s_xx - t) / (B * D)
    return L, d_en, d_xx


def mse_of_unit_vectors(cos, D):
    return 2 * (1 - cos) / D          # |a - b|^2 = 2 - 2 a.b for unit vectors, averaged over D numbers
