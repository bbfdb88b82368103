"""DVAE++ cross-entropy form of the KL from a factorial posterior to the RBM prior (dvaepp_*, dvae_spike_exp).

KL = -b1.q1 - b2.q2 - nu1^T W q2 + log Z - sum_i H(Bernoulli(q_i)),   nu1 = sigmoid(l1 + log_ratio1),
log_ratio = log r(zeta | 1) - log r(zeta | 0) at the sample, so nu1 = q(z1 = 1 | zeta1) (Vahdat et al. 2018,
DVAE++, the cross-entropy under overlapping transformations; SPEC-DVAE-SHARP Sec. 2 (a)).
With log_ratio = 0 (what 1-layer structs use) nu1 = q1 and this is the exact KL(q(z) || p(z)).
"""
import tensorflow as tf

from dvae_tf2.distributions import serialization
from dvae_tf2.model import objectives
from dvae_tf2.priors.base import PriorTerms
from dvae_tf2.priors.marginal_rbm import smoothing_fields
from dvae_tf2.priors.rbm_prior import RBMPrior, split_halves


def overlapping_cross_entropy(params, num_vars1, logits, log_ratio1, log_z):
    """-E_q[log p(z)] = -b1.q1 - b2.q2 - nu1^T W q2 + log Z for posterior logits [M, n] and
    log_ratio1 [M, n1] under one RBM (params with B = 1).

    log_z: the training surrogate (its value and gradient are the caller's). -> [M].
    """
    q1, q2 = split_halves(tf.sigmoid(logits), num_vars1)
    nu1 = tf.sigmoid(logits[..., :num_vars1] + log_ratio1)
    return log_z - (tf.linalg.matvec(q1, params.b1[0]) + tf.linalg.matvec(q2, params.b2[0])
                    + tf.reduce_sum(tf.linalg.matmul(nu1, params.w[0]) * q2, axis=-1))


def overlapping_cross_entropy_kl(params, num_vars1, logits, log_ratio1, log_z):
    """The KL: `overlapping_cross_entropy` minus the posterior's entropy sum_i H(Bernoulli(q_i)). -> [M]."""
    return overlapping_cross_entropy(params, num_vars1, logits, log_ratio1, log_z) \
        - objectives.bernoulli_entropy(logits)


class OverlappingCrossEntropyPrior(RBMPrior):
    """RBM prior whose training cross-entropy is the DVAE++ form above (dvaepp_*, dvae_spike_exp).

    `smoothing` gives the log-ratio b(zeta) = log r(zeta|1) - log r(zeta|0) of the first half;
    with `use_log_ratio=False` (1-layer posteriors) nu1 = q1 and the KL is exact.
    """

    def __init__(self, num_vars1, num_vars2, smoothing, use_log_ratio, **kwargs):
        super().__init__(num_vars1, num_vars2, **kwargs)
        self.smoothing = serialization.as_smoothing(smoothing)
        self.use_log_ratio = use_log_ratio

    def get_config(self):
        return {**super().get_config(), "smoothing": serialization.smoothing_config(self.smoothing),
                "use_log_ratio": self.use_log_ratio}

    def cross_entropy(self, draw, log_z):
        """`overlapping_cross_entropy` of a TrainingDraw, the log-ratio at its first-half samples. -> [N*k]."""
        zeta1 = draw.zeta[..., :self.num_vars1]
        log_ratio1 = smoothing_fields(self.smoothing, zeta1)[0] if self.use_log_ratio else tf.zeros_like(zeta1)
        return overlapping_cross_entropy(self.params(), self.num_vars1, draw.logits, log_ratio1, log_z)

    def training_terms(self, draw, log_z):
        """log p at the samples (the plain RBM's); KL = `cross_entropy` + the draw's -H(q) term."""
        return PriorTerms(self.training_log_prob(draw.zeta, log_z), self.cross_entropy(draw, log_z) + draw.neg_entropy)
