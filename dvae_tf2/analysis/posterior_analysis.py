"""Posterior analysis of DVAE## RBM posteriors (paper Sec. 4.1.1): modes and mean-field KL.

For each image's posterior RBM q(z|x):
  * modes: mean-field fixed points m1 = sigmoid(b1 + W m2), m2 = sigmoid(b2 + W^T m1), reached by
    alternating (block coordinate) updates from posterior samples, then deduplicated;
  * KL(m || q) = -H(m) + E(m1, m2) + log Z_q for the factorised distribution m (E is bilinear,
    so E_m[E(z)] = E(m1, m2)); the best fixed point gives the mean-field approximation's KL.
"""
import typing

import numpy as np
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.samplers import ais


class MeanFieldPoints(typing.NamedTuple):
    """Converged mean-field parameters m1 [B, C, n1], m2 [B, C, n2] and max residual [B, C]."""
    m1: tf.Tensor
    m2: tf.Tensor
    residual: tf.Tensor


def mean_field_fixed_points(params, m1, tolerance=1e-5, max_iterations=2000):
    """Alternating mean-field updates from starts m1 [B, C, n1] until every change is below tolerance.

    Each half-update maximises the mean-field ELBO in one block, so the iteration converges to a
    fixed point (a local optimum) from every start.
    """
    def update(m1):
        m2 = tf.sigmoid(rbm.logits_z2_given_z1(params, m1))
        return tf.sigmoid(rbm.logits_z1_given_z2(params, m2)), m2

    def not_done(i, m1, change):
        return tf.logical_and(i < max_iterations, change > tolerance)

    def body(i, m1, change):
        new_m1, _ = update(m1)
        return i + 1, new_m1, tf.reduce_max(tf.abs(new_m1 - m1))

    _, m1, _ = tf.while_loop(not_done, body, (tf.constant(0), m1, tf.constant(np.inf, m1.dtype)))
    new_m1, m2 = update(m1)
    residual = tf.reduce_max(tf.abs(new_m1 - m1), axis=-1)
    return MeanFieldPoints(new_m1, m2, residual)


def factorised_entropy(m):
    """sum_i H(Bernoulli(m_i)) for m [..., n] in [0, 1] -> [...]."""
    return -tf.reduce_sum(tf.math.xlogy(m, m) + tf.math.xlogy(1.0 - m, 1.0 - m), axis=-1)


def mean_field_kl(params, m1, m2, log_z):
    """KL(m || q) for factorised m = (m1 [B, C, n1], m2 [B, C, n2]) and RBMs with log Z [B] -> [B, C]."""
    return rbm.energy(params, m1, m2) - factorised_entropy(tf.concat([m1, m2], axis=-1)) + log_z[:, None]


def count_distinct(points, tolerance=1e-2):
    """Number of distinct rows of points [C, n]: rows within `tolerance` (max-abs) are one mode."""
    modes = []
    for row in np.asarray(points):
        if not any(np.max(np.abs(row - mode)) < tolerance for mode in modes):
            modes.append(row)
    return len(modes)


class PosteriorReport(typing.NamedTuple):
    """Per image: number of modes [B], KL of the best mean-field point [B], log Z_q [B] (AIS)."""
    num_modes: np.ndarray
    best_kl: np.ndarray
    log_z: np.ndarray

    @classmethod
    def concatenate(cls, reports):
        return cls(*(np.concatenate(parts) for parts in zip(*reports)))

    def summary(self):
        modes = self.num_modes
        return {
            "num_images": int(len(modes)),
            "modes_mean": float(modes.mean()), "modes_median": float(np.median(modes)),
            "modes_max": int(modes.max()), "fraction_unimodal": float(np.mean(modes == 1)),
            "modes_histogram": {int(m): int(c) for m, c in zip(*np.unique(modes, return_counts=True))},
            "mean_field_kl_mean": float(self.best_kl.mean()),
            "mean_field_kl_median": float(np.median(self.best_kl)),
            "mean_field_kl_max": float(self.best_kl.max()),
        }


def analyse_posteriors(params, num_starts, num_temperatures, rng, mode_tolerance=1e-2):
    """Modes and mean-field KL of a batch of posterior RBMs (RBMParams with batch B).

    AIS (from the biases-only RBM, as in evaluation) gives log Z_q and num_starts posterior samples
    per RBM; each sample's z1 starts a mean-field iteration.
    """
    annealed = ais.annealed_log_z(params, num_starts, num_temperatures, rng, base_b1=params.b1, base_b2=params.b2)
    points = mean_field_fixed_points(params, annealed.z1)
    kl = mean_field_kl(params, points.m1, points.m2, annealed.log_z).numpy()
    joint = tf.concat([points.m1, points.m2], axis=-1).numpy()
    num_modes = np.array([count_distinct(rows, mode_tolerance) for rows in joint])
    return PosteriorReport(num_modes=num_modes, best_kl=kl.min(axis=1), log_z=annealed.log_z.numpy())
