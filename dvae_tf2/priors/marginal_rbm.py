"""The RBM prior marginalised over an overlapping smoothing (DVAE# Sec. 3.1, the "Type 1" marginal).

p(zeta) = sum_z p(z) prod_i r(zeta_i | z_i) = Z^-1 sum_z exp(-E_aug(z, zeta)), with
E_aug(z, zeta) = E(z) - sum_i (z_i b_i(zeta) + c_i(zeta)),
b(zeta) = log r(zeta | 1) - log r(zeta | 0) = log r(1 - zeta | 0) - log r(zeta | 0), c(zeta) = log r(zeta | 0).
The sum over z is bounded below by mean field: log sum_z exp(-E_aug) >= -E_aug(m, zeta) + H(m).
"""
import tensorflow as tf

from dvae_tf2.distributions import serialization
from dvae_tf2.model import objectives, rbm
from dvae_tf2.priors.rbm_prior import SampledMarginalPrior, split_halves

NUM_MEAN_FIELD_SWEEPS = 5
_MEAN_CLIP = 1e-7


def smoothing_fields(smoothing, zeta):
    """(b(zeta), c(zeta)) of the augmented energy, elementwise [..., n]."""
    log_r0 = smoothing.log_prob(zeta)
    return smoothing.log_prob(1.0 - zeta) - log_r0, log_r0


def augmented_energy(params, num_vars1, z, zeta_field, zeta_offset):
    """E_aug(z, zeta) = E(z) - sum(z b(zeta) + c(zeta)) for one RBM (params with B = 1).

    z, zeta_field, zeta_offset: [M, n] (z binary or a mean-field vector) -> [M].
    """
    z1, z2 = split_halves(z, num_vars1)
    e = rbm.energy(params, z1[None], z2[None])[0]
    return e - tf.reduce_sum(z * zeta_field + zeta_offset, axis=-1)


def mean_field(params, num_vars1, zeta_field, num_sweeps=NUM_MEAN_FIELD_SWEEPS):
    """Mean-field marginals m [M, n] of exp(-E_aug(., zeta)), from m = 0.5, without gradient.

    Each sweep: m2 = sigmoid(m1 W + b2 + b2(zeta)), then m1 = sigmoid(m2 W^T + b1 + b1(zeta)).
    """
    params = tf.nest.map_structure(tf.stop_gradient, params)
    field1, field2 = split_halves(tf.stop_gradient(zeta_field), num_vars1)
    m1 = 0.5 * tf.ones_like(field1)
    m2 = 0.5 * tf.ones_like(field2)
    for _ in range(num_sweeps):
        m2 = tf.sigmoid(rbm.logits_z2_given_z1(params, m1[None])[0] + field2)
        m1 = tf.sigmoid(rbm.logits_z1_given_z2(params, m2[None])[0] + field1)
    return tf.concat([m1, m2], axis=-1)


def mean_field_entropy(m):
    """sum_i H(Bernoulli(m_i)) with m clipped to [1e-7, 1 - 1e-7]. [M, n] -> [M]."""
    m = tf.clip_by_value(m, _MEAN_CLIP, 1.0 - _MEAN_CLIP)
    return objectives.bernoulli_entropy(tf.math.log(m) - tf.math.log1p(-m))


class MarginalRBMPrior(SampledMarginalPrior):
    """RBM prior whose training log p(zeta) is the mean-field bound on its smoothed marginal.

    Training: log p~(zeta) = sg(L_mf - log Z) + (G - sg(G)) with L_mf = -E_aug(m, zeta) + H(m),
    G = -E_aug(sg(m), zeta) - log Z (log Z: the training surrogate, whose gradient is E_p[-dE]).
    Evaluation uses binary z and the plain RBM, as every baseline does.
    """

    def __init__(self, num_vars1, num_vars2, smoothing, **kwargs):
        super().__init__(num_vars1, num_vars2, **kwargs)
        self.smoothing = serialization.as_smoothing(smoothing)

    def get_config(self):
        return {**super().get_config(), "smoothing": serialization.smoothing_config(self.smoothing)}

    def mean_field_log_marginal(self, zeta):
        """Mean-field lower bound on log sum_z exp(-E_aug(z, zeta)) and its gradient carrier.

        zeta [M, n] -> (bound [M] without gradient, -E_aug(sg(m), zeta) [M] with gradient).
        """
        field, offset = smoothing_fields(self.smoothing, zeta)
        m = mean_field(self.params(), self.num_vars1, field)
        neg_energy = -augmented_energy(self.params(), self.num_vars1, m, field, offset)
        return tf.stop_gradient(neg_energy + mean_field_entropy(m)), neg_energy

    def training_log_prob(self, zeta, log_z):
        """log p~(zeta) for relaxed zeta [..., n] -> [...]."""
        flat = tf.reshape(zeta, [-1, self.num_vars])
        bound, neg_energy = self.mean_field_log_marginal(flat)
        carrier = neg_energy - log_z
        log_p = tf.stop_gradient(bound - log_z) + carrier - tf.stop_gradient(carrier)
        return tf.reshape(log_p, tf.shape(zeta)[:-1])
