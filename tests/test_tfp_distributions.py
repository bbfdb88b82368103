"""The relaxations and smoothings as TFP distributions, tested the way TFP tests its own (relaxed_bernoulli_test):
shapes and broadcasting, tfd.Independent, stateless seeds, cdf / log_prob / sample agreement, validate_args,
reparameterization, and the training path's noise order."""
import math

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from dvae_tf2.distributions import (ConcreteRelaxedBernoulli, ExponentialSmoothing, GaussianSmoothing,
                                    OverlappingMixture, PWLRelaxedBernoulli, PowerFunctionSmoothing,
                                    ShiftedGaussianMixture, SpikeAndExponential, UniformExponentialSmoothing)
from dvae_tf2.distributions.base import NORMAL

tfd = tfp.distributions

SMOOTHINGS = {"power": (PowerFunctionSmoothing, 30.0), "exp": (ExponentialSmoothing, 10.0),
              "unexp": (UniformExponentialSmoothing, 16.0), "gauss": (GaussianSmoothing, 25.0)}


def _mixture(smoothing):
    cls, beta = SMOOTHINGS[smoothing]
    return lambda logits, **kw: OverlappingMixture(logits, cls(beta), **kw)


def _gaussian_integral(logits, **kw):
    """The dvaes_gi mixture with a shift of the logits' shape and a scalar scale (s = 0.25, its initial value)."""
    return ShiftedGaussianMixture(logits, tf.fill(tf.shape(logits), tf.constant(0.1, logits.dtype)), 0.25, **kw)


# name -> (factory(logits, **kwargs), has a density)
RELAXATIONS = {
    "pwl": (lambda logits, beta=4.0, **kw: PWLRelaxedBernoulli(logits, beta, **kw), False),
    "concrete": (lambda logits, beta=2.0, **kw: ConcreteRelaxedBernoulli(logits, beta, **kw), True),
    "spike_exp": (lambda logits, beta=4.0, **kw: SpikeAndExponential(logits, beta, **kw), False),
    **{f"mixture_{name}": (_mixture(name), True) for name in SMOOTHINGS},
    "gaussian_integral": (_gaussian_integral, True),
}
WITH_BETA = ("pwl", "concrete", "spike_exp")   # beta is a tensor parameter that broadcasts
LOGITS = np.array([[-1.5, 0.0, 2.0], [0.5, -0.3, 1.0]])


@pytest.mark.parametrize("name", RELAXATIONS)
def test_batch_shape_is_the_logits_shape_and_the_event_is_scalar(name):
    dist = RELAXATIONS[name][0](tf.constant(LOGITS, tf.float32))
    assert dist.batch_shape == [2, 3] and dist.event_shape == []
    assert dist.batch_shape_tensor().numpy().tolist() == [2, 3] and dist.event_shape_tensor().numpy().tolist() == []
    assert dist.dtype == tf.float32
    sample = dist.sample([4, 5], seed=(1, 2))
    assert sample.shape == [4, 5, 2, 3] and sample.dtype == tf.float32
    assert dist.cdf(sample).shape == [4, 5, 2, 3]
    if RELAXATIONS[name][1]:
        assert dist.log_prob(sample).shape == [4, 5, 2, 3]
    # TFP's batch slicing follows parameter_properties.
    sliced = dist[1, :2]
    assert sliced.batch_shape == [2]
    np.testing.assert_array_equal(sliced.logits.numpy(), LOGITS[1, :2].astype(np.float32))


@pytest.mark.parametrize("name", WITH_BETA)
def test_beta_broadcasts_with_the_logits(name):
    factory = RELAXATIONS[name][0]
    assert factory(tf.zeros([3]), beta=tf.constant([[2.0], [3.0]])).batch_shape == [2, 3]
    dist = factory(tf.zeros([2, 1]), beta=tf.constant([2.0, 3.0, 4.0]))
    assert dist.batch_shape == [2, 3] and dist.sample(7, seed=(3, 4)).shape == [7, 2, 3]
    # Each column of the broadcast batch is the distribution with that column's beta.
    grid = tf.constant([0.2, 0.6, 0.9])
    np.testing.assert_allclose(dist.cdf(grid)[0].numpy(),
                               [factory(tf.zeros([]), beta=b).cdf(v).numpy() for b, v in zip((2.0, 3.0, 4.0), grid)],
                               rtol=1e-6)
    assert set(dist.parameter_properties()) == {"logits", "beta"}


def test_gaussian_integral_batch_is_logits_and_shift_broadcast_with_the_scale():
    # As in the dvaes_gi posterior: logits and shift [M, n] per data point, one scale per unit [1, n].
    logits = tf.constant(LOGITS, tf.float32)
    shift = tf.constant([[0.1, -0.2, 0.0], [0.05, 0.15, -0.1]])
    scale = tf.constant([[0.1, 0.25, 0.4]])
    dist = ShiftedGaussianMixture(logits, shift, scale, scale_gradient="exact")
    assert dist.batch_shape == [2, 3] and set(dist.parameter_properties()) == {"logits", "shift", "scale"}
    assert dist.sample(7, seed=(3, 4)).shape == [7, 2, 3]
    assert dist.sample_from_rng(tf.random.Generator.from_seed(1)).shape == [2, 3]
    assert ShiftedGaussianMixture(tf.zeros([3]), 0.0, tf.constant([[0.2], [0.3]])).batch_shape == [2, 3]
    # Each element of the broadcast batch is the mixture with its own logit, shift and its column's scale.
    grid = tf.constant([0.2, 0.6, 0.9])
    expected = [[ShiftedGaussianMixture(logits[i, j], shift[i, j], scale[0, j]).cdf(grid[j]).numpy()
                 for j in range(3)] for i in range(2)]
    np.testing.assert_allclose(dist.cdf(grid).numpy(), expected, rtol=1e-6)
    sliced = dist[1, 1:]
    assert sliced.batch_shape == [2] and sliced.scale_gradient == "exact"
    np.testing.assert_array_equal(sliced.scale.numpy(), np.float32([0.25, 0.4]))
    np.testing.assert_allclose(sliced.cdf(grid[1:]).numpy(), dist.cdf(grid)[1, 1:].numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", RELAXATIONS)
def test_independent_reinterprets_the_batch(name):
    factory, has_density = RELAXATIONS[name]
    dist = factory(tf.constant(LOGITS, tf.float64))
    joint = tfd.Independent(dist, reinterpreted_batch_ndims=1)
    assert joint.batch_shape == [2] and joint.event_shape == [3]
    sample = joint.sample(6, seed=(5, 6))
    assert sample.shape == [6, 2, 3]
    np.testing.assert_array_equal(sample.numpy(), dist.sample(6, seed=(5, 6)).numpy())
    if has_density:
        np.testing.assert_allclose(joint.log_prob(sample).numpy(),
                                   tf.reduce_sum(dist.log_prob(sample), axis=-1).numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", RELAXATIONS)
def test_stateless_seeds_are_reproducible(name):
    dist = RELAXATIONS[name][0](tf.constant(LOGITS, tf.float32))
    first = dist.sample(50, seed=(7, 8)).numpy()
    np.testing.assert_array_equal(first, dist.sample(50, seed=(7, 8)).numpy())
    np.testing.assert_array_equal(first, dist.sample(50, seed=tf.constant([7, 8])).numpy())
    other = dist.sample(50, seed=(7, 9)).numpy()
    assert np.mean(first != other) > 0.5
    # Compiled with the seed as an argument, the sample is the same function of the seed (to graph rounding).
    compiled = tf.function(lambda seed: dist.sample(50, seed=seed))
    np.testing.assert_allclose(compiled(tf.constant([7, 8])).numpy(), first, rtol=1e-5, atol=1e-6)


# Where empirical and exact CDFs are compared: across [0, 1] and beyond, never at the atoms 0 and 1, and
# further than 1e-4 from them, where the power smoothing's 1e-7 offset makes R differ from the law of u^beta.
KS_GRID = np.linspace(-0.275, 1.275, 32)
# DKW: sup |F_n - F| <= sqrt(log(2 / alpha) / (2 n)) with probability 1 - alpha; alpha = 1e-6 per column.
KS_SAMPLES = 20_000
KS_BOUND = math.sqrt(math.log(2e6) / (2 * KS_SAMPLES))


@pytest.mark.parametrize("name", RELAXATIONS)
def test_samples_follow_the_cdf(name):
    logits = np.array([-1.0, 0.3, 1.5])
    dist = RELAXATIONS[name][0](tf.constant(logits, tf.float64))
    samples = dist.sample(KS_SAMPLES, seed=(11, 12)).numpy()
    for column, logit in enumerate(logits):
        expected = RELAXATIONS[name][0](tf.constant(logit, tf.float64)).cdf(KS_GRID).numpy()
        empirical = (samples[:, column][:, None] <= KS_GRID).mean(axis=0)
        assert np.max(np.abs(empirical - expected)) < KS_BOUND
    if name not in ("pwl", "concrete"):   # the others have a closed-form mean
        sd = samples.std(axis=0) / math.sqrt(KS_SAMPLES)
        assert np.all(np.abs(samples.mean(axis=0) - dist.mean().numpy()) < 5 * sd)


@pytest.mark.parametrize("name", [name for name, (_, has_density) in RELAXATIONS.items() if has_density])
def test_log_prob_is_the_derivative_of_the_cdf(name):
    dist = RELAXATIONS[name][0](tf.constant([[-1.0], [0.4], [2.0]], tf.float64))
    grid = np.linspace(0.02, 0.98, 49)
    h = 1e-6
    numeric = (dist.cdf(grid + h) - dist.cdf(grid - h)).numpy() / (2 * h)
    np.testing.assert_allclose(np.exp(dist.log_prob(grid).numpy()), numeric, rtol=1e-6)


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_each_smoothing_is_a_distribution_of_zeta0(smoothing):
    cls, beta = SMOOTHINGS[smoothing]
    dist = cls(beta)
    assert dist.batch_shape == [] and dist.event_shape == [] and dist.parameter_properties() == {}
    assert dist.reparameterization_type == tfd.FULLY_REPARAMETERIZED
    samples = dist.sample(KS_SAMPLES, seed=(13, 14)).numpy()
    assert samples.dtype == np.float64
    assert np.max(np.abs((samples[:, None] <= KS_GRID).mean(axis=0) - dist.cdf(KS_GRID).numpy())) < KS_BOUND
    assert abs(samples.mean() - float(dist.mean())) < 5 * samples.std() / math.sqrt(len(samples))
    if cls is not GaussianSmoothing:   # support [0, 1]
        np.testing.assert_array_equal(dist.cdf(np.array([-0.5, 1.5])).numpy(), [0.0, 1.0])
        assert np.all(np.isneginf(dist.log_prob(np.array([-0.5, 1.5])).numpy()))


@pytest.mark.parametrize("name", ["pwl", "spike_exp"])
def test_cdf_with_atoms_is_a_cdf_on_the_real_line(name):
    # q = 0.1: PWL has atoms at 0 (mass 1 - q - 1/(2s) > 0) and the spike one of mass 1 - q at 0.
    dist = RELAXATIONS[name][0](tf.constant(math.log(0.1 / 0.9), tf.float64))
    cdf = dist.cdf(np.array([-1.0, -1e-9, 0.0, 1.0, 2.0])).numpy()
    assert cdf[0] == cdf[1] == 0.0 and cdf[2] > 0.5 and cdf[3] == cdf[4] == 1.0
    samples = dist.sample(4000, seed=(15, 16)).numpy()
    assert abs(np.mean(samples == 0.0) - cdf[2]) < 0.04


@pytest.mark.parametrize("name", RELAXATIONS)
def test_fully_reparameterized_with_gradient_to_the_logits(name):
    logits = tf.constant(LOGITS, tf.float64)
    dist = RELAXATIONS[name][0](logits)
    assert dist.reparameterization_type == tfd.FULLY_REPARAMETERIZED
    with tf.GradientTape() as tape:
        tape.watch(logits)
        sample = RELAXATIONS[name][0](logits).sample(16, seed=(17, 18))
    grad = tape.gradient(sample, logits).numpy()
    assert np.all(np.isfinite(grad)) and np.all(grad != 0.0)


def test_validate_args_names_the_bad_parameter():
    for factory in (PWLRelaxedBernoulli, ConcreteRelaxedBernoulli, SpikeAndExponential):
        with pytest.raises(tf.errors.InvalidArgumentError, match="`beta` must be positive"):
            factory(tf.zeros([3]), -1.0, validate_args=True)
        factory(tf.zeros([3]), -1.0)   # unchecked without validate_args, as in TFP
    with pytest.raises(tf.errors.InvalidArgumentError, match="e\\^beta finite in float32"):
        SpikeAndExponential(tf.zeros([3]), 100.0, validate_args=True)
    SpikeAndExponential(tf.zeros([3], tf.float64), 100.0, validate_args=True)   # finite in float64
    # A beta that becomes negative after construction is caught at use.
    beta = tf.Variable(2.0)
    dist = PWLRelaxedBernoulli(tf.zeros([3]), beta, validate_args=True)
    beta.assign(-2.0)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`beta` must be positive"):
        dist.cdf(0.3)
    for cls, _ in SMOOTHINGS.values():
        with pytest.raises(ValueError, match="`beta` must be a finite positive number, got 0.0"):
            cls(0.0, validate_args=True)
    with pytest.raises(ValueError, match="`uniform_weight` must lie in \\(0, 1\\), got 1.5"):
        UniformExponentialSmoothing(8.0, uniform_weight=1.5, validate_args=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="`scale` must be positive"):
        ShiftedGaussianMixture(tf.zeros([3]), tf.zeros([3]), tf.constant([0.2, 0.0, 0.3]), validate_args=True)
    scale = tf.Variable([0.25, 0.25, 0.25])
    mixture = ShiftedGaussianMixture(tf.zeros([3]), tf.zeros([3]), scale, validate_args=True)
    scale.assign([0.25, -0.1, 0.25])
    with pytest.raises(tf.errors.InvalidArgumentError, match="`scale` must be positive"):
        mixture.log_prob(0.3)
    with pytest.raises(ValueError, match="scale_gradient='implicit' is invalid; valid values: legacy, exact"):
        ShiftedGaussianMixture(tf.zeros([3]), tf.zeros([3]), 0.25, scale_gradient="implicit")
    with pytest.raises(ValueError, match="objective_terms must be one of"):
        OverlappingMixture(tf.zeros([3]), PowerFunctionSmoothing(30.0), objective_terms="entropy")


@pytest.mark.parametrize("name", RELAXATIONS)
def test_the_training_path_reads_its_noise_from_the_random_source_in_order(name):
    """sample_from_rng(rng) is transform_noise of the source's draws of batch shape in `noise_kinds` order."""
    dist = RELAXATIONS[name][0](tf.constant(LOGITS, tf.float32))
    got = dist.sample_from_rng(tf.random.Generator.from_seed(21)).numpy()
    rng = tf.random.Generator.from_seed(21)
    noise = [rng.normal([2, 3]) if kind == NORMAL else rng.uniform([2, 3]) for kind in dist.noise_kinds]
    np.testing.assert_array_equal(got, dist.transform_noise(*noise).numpy())


def test_noise_kinds_of_each_mixture_are_the_bernoulli_uniform_then_the_smoothings():
    kinds = {name: RELAXATIONS[f"mixture_{name}"][0](tf.zeros([2])).noise_kinds for name in SMOOTHINGS}
    assert kinds == {"power": ("uniform", "uniform"), "exp": ("uniform", "uniform"),
                     "unexp": ("uniform", "uniform", "uniform"), "gauss": ("uniform", "normal")}
