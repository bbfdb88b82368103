"""Shifted Gaussian mixture posterior of the Gaussian-integral relaxation (DVAE# Sec. 4; dvaes_gi).

z ~ Bernoulli(q), zeta | z ~ N(z + delta, s^2): the marginal is (1 - q) phi_0(zeta) + q phi_1(zeta),
phi_k the density of N(k + delta, s^2). The components are tfd.Normal; the mixture is written by
hand because TFP's mixtures do not reparameterise through the mixing probability q.
"""
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import dtype_util, tensor_util

from dvae_tf2.distributions.base import (NORMAL, UNIFORM, RelaxedBernoulliDistribution, positive_assertions,
                                         positive_parameter)
from dvae_tf2.distributions.options import EXACT_SCALE_GRADIENT, LEGACY_SCALE_GRADIENT, SCALE_GRADIENTS

tfd = tfp.distributions

_PROB_CEILING = 1.0 - 1e-4  # legacy clip of q inside log(1 - q)
SHIFT_RANGE = 0.5  # delta = SHIFT_RANGE (sigmoid(l_delta) - 0.5), so |delta| < 0.25
SCALE_SLOPE, SCALE_FLOOR = 0.2, 0.05  # s = |SCALE_SLOPE v| + SCALE_FLOOR, so s = 0.25 at v = 1


def shift_from_logits(shift_logits):
    """Per-datapoint shift delta = 0.5 (sigmoid(l_delta) - 0.5), elementwise."""
    return SHIFT_RANGE * (tf.sigmoid(shift_logits) - 0.5)


def scale_from_parameter(v):
    """Component scale s = |0.2 v| + 0.05 from the trainable v (initialised to 1), elementwise."""
    return tf.abs(SCALE_SLOPE * v) + SCALE_FLOOR


class ShiftedGaussianMixture(RelaxedBernoulliDistribution):
    """(1 - q) N(delta, s^2) + q N(1 + delta, s^2), elementwise; q = sigmoid(logits).

    logits and shift [..., n], scale > 0 broadcastable to them (e.g. [1, n]): the batch shape is their
    broadcast. The sample draws z from u ~ U(0, 1) and eps ~ N(0, 1) (`noise_kinds`, in that order) and
    attaches the implicit gradients of zeta = F^-1(u) w.r.t. q, delta and s (DVAE# Sec. 3.4);
    scale_gradient (SCALE_GRADIENTS) picks the legacy or the exact d zeta / d s. It has no beta: the
    table's beta for dvaes_gi is the prior's lambda_min.
    """

    noise_kinds = (UNIFORM, NORMAL)

    def __init__(self, logits, shift, scale, scale_gradient=LEGACY_SCALE_GRADIENT, validate_args=False,
                 allow_nan_stats=True, name="ShiftedGaussianMixture"):
        parameters = dict(locals())
        if scale_gradient not in SCALE_GRADIENTS:
            raise ValueError(f"scale_gradient={scale_gradient!r} is invalid; valid values: "
                             f"{', '.join(SCALE_GRADIENTS)}")
        with tf.name_scope(name) as name:
            dtype = dtype_util.common_dtype([logits, shift, scale], tf.float32)
            self._shift = tensor_util.convert_nonref_to_tensor(shift, dtype=dtype, name="shift")
            self._scale = tensor_util.convert_nonref_to_tensor(scale, dtype=dtype, name="scale")
            self._scale_gradient = scale_gradient
            super().__init__(logits, dtype, parameters, validate_args, allow_nan_stats, name)

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        return dict(logits=tfp.util.ParameterProperties(), shift=tfp.util.ParameterProperties(),
                    scale=positive_parameter(dtype))

    @property
    def shift(self):
        return self._shift

    @property
    def scale(self):
        return self._scale

    @property
    def scale_gradient(self):
        return self._scale_gradient

    def _components(self):
        """(N(delta, s^2), N(1 + delta, s^2))."""
        return (tfd.Normal(loc=self.shift, scale=self.scale),
                tfd.Normal(loc=1.0 + self.shift, scale=self.scale))

    def _log_prob(self, zeta):
        """log[(1 - q) phi_0 + q phi_1] = log(1 - q) + log phi_0 + softplus(l + (zeta - delta - 1/2) / s^2).

        log phi_1 - log phi_0 = (zeta - delta - 1/2) / s^2; q is capped at 1 - 1e-4 in log(1 - q) (legacy).
        """
        log_ratio = (zeta - self.shift - 0.5) / tf.square(self.scale)
        return (tf.math.log1p(-tf.minimum(self.probs, _PROB_CEILING)) + self._components()[0].log_prob(zeta)
                + tf.math.softplus(self.logits + log_ratio))

    def _cdf(self, zeta):
        """F(zeta) = (1 - q) Phi_0(zeta) + q Phi_1(zeta)."""
        normal0, normal1 = self._components()
        q = self.probs
        return (1.0 - q) * normal0.cdf(zeta) + q * normal1.cdf(zeta)

    def _mean(self):
        return self.shift + self.probs

    def _component_weights(self, zeta):
        """((1 - q) phi_0, q phi_1) at zeta."""
        normal0, normal1 = self._components()
        q = self.probs
        return (1.0 - q) * normal0.prob(zeta), q * normal1.prob(zeta)

    def grad_zeta_wrt_q(self, zeta):
        """d zeta / d q = (Phi_0 - Phi_1) / ((1 - q) phi_0 + q phi_1) (implicit differentiation of F)."""
        normal0, normal1 = self._components()
        weight0, weight1 = self._component_weights(zeta)
        return (normal0.cdf(zeta) - normal1.cdf(zeta)) / (weight0 + weight1)

    def grad_zeta_wrt_scale(self, zeta):
        """d zeta / d s = [(1 - q) phi_0 (zeta - delta) + q phi_1 (zeta - 1 - delta)] / (s ((1 - q) phi_0 + q phi_1))
        ("exact"), or the legacy form with zeta and zeta - 1 for the centred terms, larger by delta / s ("legacy").

        d zeta / d delta = 1, since F depends on zeta and delta only through zeta - delta.
        """
        weight0, weight1 = self._component_weights(zeta)
        centred = zeta - self.shift if self.scale_gradient == EXACT_SCALE_GRADIENT else zeta
        return (weight0 * centred + weight1 * (centred - 1.0)) / (self.scale * (weight0 + weight1))

    def sample_from_noise(self, u, eps):
        """The sample z + delta + s eps for z = 1[u < q], u ~ U(0, 1), eps ~ N(0, 1), with its gradients."""
        q = self.probs
        z = tf.cast(u < q, q.dtype)
        zeta = tf.stop_gradient(z + self.shift + self.scale * eps)
        slope_q = tf.stop_gradient(self.grad_zeta_wrt_q(zeta))
        slope_scale = tf.stop_gradient(self.grad_zeta_wrt_scale(zeta))
        return (zeta + slope_q * q - tf.stop_gradient(slope_q * q)
                + self.shift - tf.stop_gradient(self.shift)
                + slope_scale * self.scale - tf.stop_gradient(slope_scale * self.scale))

    def transform_noise(self, u, eps):
        return self.sample_from_noise(u, eps)

    def objective_log_prob(self, zeta):
        """sum log q(zeta) with every gradient kept, through zeta and through q, delta and s directly (as the
        legacy mixture-of-normals log-probability): the k = 1 KL and the IW weights of dvaes_gi."""
        return tf.reduce_sum(self.log_prob(zeta), axis=-1)

    def objective_neg_entropy(self, zeta):
        """E_q[log q] estimated at the sample: the same term as `objective_log_prob`."""
        return self.objective_log_prob(zeta)

    def _parameter_control_dependencies(self, is_init):
        return positive_assertions(self, is_init, scale=self._scale)
