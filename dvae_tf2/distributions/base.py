"""What the relaxations and smoothings share: TFP distributions whose sample is a function of noise.

`NoiseDrivenDistribution` is a `tfp.distributions.Distribution` (scalar event, reparameterised) whose
sample is `transform_noise(*noise)` of independent U(0, 1) and N(0, 1) draws listed by `noise_kinds`.
Two paths feed it the same function:
  * TFP's `sample(sample_shape, seed=...)` draws the noise statelessly from `seed` (anything
    `tfp.random.sanitize_seed` accepts), one `tfp.random.split_seed` part per noise draw;
  * `sample_from_rng(rng)` draws it from the project's random source (a `tf.random.Generator` or a
    `distribute.ReplicaRowNoise`), in `noise_kinds` order, with the batch shape: the training path,
    which bypasses TFP's seed handling so that every replica of a distributed step reads its block
    of one global stateless draw, and a run draws the very numbers it always has.
`RelaxedBernoulliDistribution` adds the Bernoulli logits (batch shape = their shape broadcast with the
other parameters) and the objective's two log q terms.
"""
import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import assert_util, dtype_util, tensor_util

from dvae_tf2.model import objectives

tfd = tfp.distributions

UNIFORM, NORMAL = "uniform", "normal"   # the noise kinds
_STATELESS_DRAWS = {UNIFORM: tf.random.stateless_uniform, NORMAL: tf.random.stateless_normal}


def positive_parameter(dtype):
    """ParameterProperties of a positive scalar parameter such as beta (softplus-constrained, as TFP's temperature)."""
    return tfp.util.ParameterProperties(
        default_constraining_bijector_fn=lambda: tfp.bijectors.Softplus(low=dtype_util.eps(dtype)))


def positive_assertions(distribution, is_init, **parameters):
    """validate_args checks that each named tensor parameter is positive (at init for constants, at use for
    variables, as TFP's own distributions do)."""
    if not distribution.validate_args:
        return []
    return [assert_util.assert_positive(value, message=f"Argument `{name}` must be positive")
            for name, value in parameters.items() if is_init != tensor_util.is_ref(value)]


def check_positive_float(name, value):
    """A fixed width given as a Python number: returns it as a float; ValueError unless finite and positive."""
    value = float(value)
    if not 0.0 < value < float("inf"):
        raise ValueError(f"Argument `{name}` must be a finite positive number, got {value}.")
    return value


class BernoulliObjectiveTerms:
    """The objective's log q terms of a relaxation of Bernoulli(sigmoid(self.logits)), logits [..., n].

    The defaults are the legacy choice for relaxations (PWL, Concrete, spike-and-exponential): log q(zeta|x)
    is the Bernoulli log-probability of zeta and the entropy term is the analytic Bernoulli entropy.
    """

    def objective_log_prob(self, zeta):
        """log q(zeta|x) used by IW weights and the struct entropy, logits stopped. [..., n] -> [...]."""
        return objectives.bernoulli_log_prob(tf.stop_gradient(self.logits), zeta)

    def objective_neg_entropy(self, zeta):
        """Estimate of E_q[log q] whose gradient is the entropy term's. [..., n] -> [...]."""
        del zeta
        return -objectives.bernoulli_entropy(self.logits)


class NoiseDrivenDistribution(tfd.Distribution):
    """Scalar-event distribution whose sample is `transform_noise(*noise)`, noise of the kinds `noise_kinds`.

    Subclasses set `noise_kinds`, write `transform_noise` (elementwise, broadcasting the noise [S, *batch]
    against the parameters) and TFP's `_parameter_properties`, `_log_prob`, `_cdf` where defined.
    """

    noise_kinds = (UNIFORM,)

    def __init__(self, dtype, parameters, validate_args, allow_nan_stats, name,
                 reparameterization_type=tfd.FULLY_REPARAMETERIZED):
        super().__init__(dtype=dtype, reparameterization_type=reparameterization_type, validate_args=validate_args,
                         allow_nan_stats=allow_nan_stats, parameters=parameters, name=name)

    def transform_noise(self, *noise):
        """The sample for noise draws (one per entry of `noise_kinds`, each broadcastable to the batch)."""
        raise NotImplementedError(f"{type(self).__name__} does not define transform_noise")

    def sample_from_rng(self, rng):
        """One sample of batch shape from the project's random source `rng` (see the module docstring)."""
        shape = self.batch_shape_tensor()
        return self.transform_noise(*(getattr(rng, kind)(shape, dtype=self.dtype) for kind in self.noise_kinds))

    def _sample_n(self, n, seed=None):
        shape = tf.concat([[n], self.batch_shape_tensor()], axis=0)
        seeds = tfp.random.split_seed(seed, n=len(self.noise_kinds), salt=type(self).__name__)
        noise = [_STATELESS_DRAWS[kind](shape, seed=part, dtype=self.dtype)
                 for kind, part in zip(self.noise_kinds, seeds)]
        return self.transform_noise(*noise)

    def _event_shape(self):
        return tf.TensorShape([])

    def _event_shape_tensor(self):
        return tf.constant([], dtype=tf.int32)


class RelaxedBernoulliDistribution(BernoulliObjectiveTerms, NoiseDrivenDistribution):
    """A relaxation of Bernoulli(sigmoid(logits)), elementwise: batch shape = logits broadcast with the
    other parameters, scalar event. `probs` is sigmoid(logits) (these classes take logits only)."""

    def __init__(self, logits, dtype, parameters, validate_args, allow_nan_stats, name):
        self._logits = tensor_util.convert_nonref_to_tensor(logits, dtype=dtype, name="logits")
        super().__init__(dtype, parameters, validate_args, allow_nan_stats, name)

    @property
    def logits(self):
        return self._logits

    @property
    def probs(self):
        return tf.sigmoid(self._logits)


def logits_and_beta_properties(dtype, num_classes=None):
    """TFP ParameterProperties of a BetaRelaxedBernoulli: free logits, positive beta."""
    return dict(logits=tfp.util.ParameterProperties(), beta=positive_parameter(dtype))


class BetaRelaxedBernoulli(RelaxedBernoulliDistribution):
    """A relaxation with one positive inverse temperature `beta` beside the logits (PWL, Concrete,
    spike-and-exponential): both broadcast into the batch shape; validate_args checks beta > 0."""

    def __init__(self, logits, beta, parameters, validate_args, allow_nan_stats, name):
        dtype = dtype_util.common_dtype([logits, beta], tf.float32)
        self._beta = tensor_util.convert_nonref_to_tensor(beta, dtype=dtype, name="beta")
        super().__init__(logits, dtype, parameters, validate_args, allow_nan_stats, name)

    # Each subclass names these again (`_parameter_properties = staticmethod(logits_and_beta_properties)`):
    # TFP warns about a subclass with its own __init__ that inherits them.
    _parameter_properties = staticmethod(logits_and_beta_properties)

    @property
    def beta(self):
        return self._beta

    def _parameter_control_dependencies(self, is_init):
        return positive_assertions(self, is_init, beta=self._beta)
