"""Exact log p(zeta) of the RBM under the Gaussian-integral trick (DVAE# Sec. 4; dvaes_gi, SPEC Sec. 2 (d)).

With A = [[0, W], [W^T, 0]] + lambda I positive definite and r(zeta | z) = N(zeta; z, A^-1),
p(zeta) = sum_z p(z) N(zeta; z, A^-1) sums in closed form (z_i^2 = z_i turns zeta^T A z into a field):
    log p(zeta) = -log Z + 1/2 log det(A / 2 pi) - 1/2 zeta^T A zeta + sum_i softplus((A zeta + b - lambda / 2)_i),
log det A = n log lambda + log det(I - W^T W / lambda^2) (Schur complement, by Cholesky).
"""
import math

import keras
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.priors.rbm_prior import SampledMarginalPrior, split_halves

SPECTRAL_MARGIN = 5.0  # lambda = max(sigma_max(W) + 5, lambda_min): A's smallest eigenvalue is >= 5


def diagonal_shift(sigma_max, lambda_min):
    """lambda = max(sigma_max + 5, lambda_min) (lambda_min: the beta of the table for dvaes_gi)."""
    return tf.maximum(sigma_max + SPECTRAL_MARGIN, lambda_min)


def log_det_shifted_coupling(w, lam):
    """log det A = n log lambda + log det(I - W^T W / lambda^2) for w [n1, n2] and scalar lambda."""
    n1, n2 = w.shape
    schur = tf.eye(n2, dtype=w.dtype) - tf.linalg.matmul(w, w, transpose_a=True) / tf.square(lam)
    log_det_schur = 2.0 * tf.reduce_sum(tf.math.log(tf.linalg.diag_part(tf.linalg.cholesky(schur))))
    return (n1 + n2) * tf.math.log(lam) + log_det_schur


def gaussian_integral_log_prob(params, num_vars1, zeta, lam, log_z):
    """log p(zeta) for zeta [M, n] under one RBM (params with B = 1), scalar lambda and log Z. -> [M].

    field = A zeta + b = [lambda zeta1 + b1 + W zeta2, lambda zeta2 + b2 + W^T zeta1].
    """
    zeta1, zeta2 = split_halves(zeta, num_vars1)
    field = tf.concat([rbm.logits_z1_given_z2(params, zeta2[None])[0],
                       rbm.logits_z2_given_z1(params, zeta1[None])[0]], axis=-1) + lam * zeta
    bias = tf.concat([params.b1[0], params.b2[0]], axis=-1)
    quadratic = tf.reduce_sum(zeta * (field - bias), axis=-1)  # zeta^T A zeta
    log_normaliser = 0.5 * (log_det_shifted_coupling(params.w[0], lam) - zeta.shape[-1] * math.log(2.0 * math.pi))
    return (log_normaliser - 0.5 * quadratic + tf.reduce_sum(tf.math.softplus(field - 0.5 * lam), axis=-1)
            - log_z)


def power_iteration(w, v, num_iterations):
    """sigma_max(W) by power iteration on W^T W from v [n2] -> (sigma, the new unit vector v).

    Written by hand: XLA's SVD on CPU takes about 0.5 s for a 100 x 100 W, these matmuls a millisecond.
    """
    for _ in range(num_iterations):
        v = tf.linalg.matvec(w, tf.linalg.matvec(w, v), transpose_a=True)
        v = v / tf.maximum(tf.norm(v), 1e-30)
    return tf.norm(tf.linalg.matvec(w, v)), v


class GaussianIntegralPrior(SampledMarginalPrior):
    """RBM prior whose training log p(zeta) is the exact Gaussian-integral marginal (KL form (d)).

    lambda = max(sigma_max(W) + 5, lambda_min) follows W at every step: a few power iterations from the
    previous step's singular vector track sigma_max as W moves. The legacy code refreshed sigma_max only when
    its training summary op ran (every 1000 steps) and at evaluations, so between refreshes A could lose
    its margin (or its positive definiteness, failing the Cholesky) once sigma_max + 5 exceeds lambda_min;
    while sigma_max + 5 <= lambda_min, as in the trained MNIST models measured in docs/fidelity.md, both
    cadences give lambda = lambda_min. lambda carries no gradient, like the legacy non-trained lambda.
    """

    POWER_ITERATIONS_PER_STEP = 10

    def __init__(self, num_vars1, num_vars2, lambda_min, **kwargs):
        super().__init__(num_vars1, num_vars2, **kwargs)
        self.lambda_min = lambda_min

    def build(self, input_shape=None):
        super().build(input_shape)
        self.singular_vector = self.add_weight(shape=(self.num_vars2,), trainable=False, name="singular_vector",
                                               initializer=keras.initializers.Constant(self.num_vars2 ** -0.5))

    def get_config(self):
        return {**super().get_config(), "lambda_min": self.lambda_min}

    def diagonal_shift(self):
        sigma, v = power_iteration(tf.stop_gradient(self.w), self.singular_vector, self.POWER_ITERATIONS_PER_STEP)
        self.singular_vector.assign(v)
        return tf.stop_gradient(diagonal_shift(sigma, self.lambda_min))

    def coupling_spectrum(self):
        """(lambda, largest eigenvalue, smallest eigenvalue) of [[0, W], [W^T, 0]] by an exact SVD of W (its
        eigenvalues are +-sigma_i(W), with |n1 - n2| zeros): lambda = max(sigma_max + 5, lambda_min), the value
        `diagonal_shift` tracks by power iteration. For summaries, not the training step."""
        sigma_max = tf.reduce_max(tf.linalg.svd(tf.stop_gradient(self.w), compute_uv=False))
        return diagonal_shift(sigma_max, self.lambda_min), sigma_max, -sigma_max

    def training_log_prob(self, zeta, log_z):
        """log p(zeta) for zeta [..., n] -> [...]."""
        flat = tf.reshape(zeta, [-1, self.num_vars])
        log_p = gaussian_integral_log_prob(self.params(), self.num_vars1, flat, self.diagonal_shift(), log_z)
        return tf.reshape(log_p, tf.shape(zeta)[:-1])
