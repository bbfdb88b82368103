"""Rolfe's DVAE gradient of the KL from a hierarchical spike-and-exponential posterior to the RBM prior.

For posteriors of more than one group the DVAE code trains with a surrogate whose gradient is
Eqs. (11) + (12) of Rolfe (2016, arXiv:1609.02200v2); its value is not a KL. With s the binary
states 1[zeta > 0] of every group but the last, whose probabilities q stand in (Rao-Blackwellised):
  posterior part  sum_i sg(l_i - b_i - t_i kappa_i) p_i,  p = min(q, 0.999), t = [W s2 ; W^T s1],
                  kappa = (1 - s) / (1 - p) on the first half and 1 on the second;
  prior part      -mean_batch(s1^T W s2 + b . sg(q)) + log Z (whose gradient is E_p[z1^T W z2 + b . z]).
"""
import tensorflow as tf

from dvae_tf2.priors.base import PriorTerms
from dvae_tf2.priors.rbm_prior import RBMPrior, split_halves

_LOGIT_CLIP = 88.0
_PROB_CEILING = 0.999


def rolfe_kl_surrogate(params, num_vars1, logits, states, log_z):
    """Surrogate for logits [M, n] and states [M, n] (binary, or q on the last group) under one RBM. -> [M]."""
    logits = tf.clip_by_value(logits, -_LOGIT_CLIP, _LOGIT_CLIP)
    q = tf.sigmoid(logits)
    probs = tf.minimum(q, _PROB_CEILING)
    bias = tf.concat([params.b1[0], params.b2[0]], axis=-1)
    states = tf.stop_gradient(states)
    s1, s2 = split_halves(states, num_vars1)
    coupling_field = tf.concat([tf.linalg.matmul(s2, params.w[0], transpose_b=True),
                                tf.linalg.matmul(s1, params.w[0])], axis=-1)
    kappa1, _ = split_halves((1.0 - states) / (1.0 - probs), num_vars1)
    kappa = tf.concat([kappa1, tf.ones_like(s2)], axis=-1)
    posterior_part = tf.reduce_sum(tf.stop_gradient(logits - bias - coupling_field * kappa) * probs, axis=-1)
    positive_energy = tf.reduce_sum(tf.linalg.matmul(s1, params.w[0]) * s2, axis=-1) \
        + tf.linalg.matvec(tf.stop_gradient(q), bias)
    return posterior_part - tf.reduce_mean(positive_energy) + log_z


class RolfeSurrogatePrior(RBMPrior):
    """RBM prior trained through `rolfe_kl_surrogate` (dvae_spike_exp with 2 or 4 groups); its log p(zeta) is
    the plain RBM's."""

    def __init__(self, num_vars1, num_vars2, last_group_units, **kwargs):
        super().__init__(num_vars1, num_vars2, **kwargs)
        self.last_group_units = last_group_units

    def get_config(self):
        return {**super().get_config(), "last_group_units": self.last_group_units}

    def training_terms(self, draw, log_z):
        """KL: the whole surrogate (it carries the entropy's gradient through the logits itself)."""
        earlier = tf.cast(draw.zeta[..., :-self.last_group_units] > 0.0, draw.zeta.dtype)
        states = tf.concat([earlier, tf.sigmoid(draw.logits[..., -self.last_group_units:])], axis=-1)
        return PriorTerms(self.training_log_prob(draw.zeta, log_z),
                          rolfe_kl_surrogate(self.params(), self.num_vars1, draw.logits, states, log_z))
