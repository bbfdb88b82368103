"""What every relaxation of a factorial Bernoulli shares: its logits and the objective's log q terms."""
import tensorflow as tf

from dvae_tf2 import objectives


class RelaxedBernoulliBase:
    """Relaxation of Bernoulli(sigmoid(logits)) with inverse temperature beta; logits [..., n].

    The objective terms default to the legacy choice for relaxations (PWL, Concrete): log q(zeta|x)
    is the Bernoulli log-probability of zeta and the entropy is the analytic Bernoulli entropy.
    """

    def __init__(self, logits, beta):
        self.logits = logits
        self.beta = beta

    @property
    def probs(self):
        return tf.sigmoid(self.logits)

    def objective_log_prob(self, zeta):
        """log q(zeta|x) used by IW weights and the struct entropy, logits stopped. [..., n] -> [...]."""
        return objectives.bernoulli_log_prob(tf.stop_gradient(self.logits), zeta)

    def objective_neg_entropy(self, zeta):
        """Estimate of E_q[log q] whose gradient is the entropy term's. [..., n] -> [...]."""
        del zeta
        return -objectives.bernoulli_entropy(self.logits)
