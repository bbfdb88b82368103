"""Gibbs, PCD and training population annealing vs brute-force moments and log Z."""
import math
import os
import tempfile

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.samplers import TRAINING_SAMPLERS, PCDSampler, PopulationAnnealingSampler, exact, gibbs, kernels


def random_params(seed, batch, n1, n2, w_scale):
    rs = np.random.RandomState(seed)
    return rbm.RBMParams(*(tf.constant(x, tf.float32) for x in
                           (0.5 * rs.randn(batch, n1), 0.5 * rs.randn(batch, n2), w_scale * rs.randn(batch, n1, n2))))


def sample_moments(z1, z2):
    """(E z1 [B, n1], E z2 [B, n2], E z1 z2^T [B, n1, n2]) over the chain axis."""
    z1, z2 = np.asarray(z1, np.float64), np.asarray(z2, np.float64)
    return z1.mean(1), z2.mean(1), np.einsum('bci,bcj->bij', z1, z2) / z1.shape[1]


def assert_moments_close(z1, z2, params, sigmas=5.0, bias=0.0):
    """Sample moments within `sigmas` binomial standard errors (+ bias) of the exact moments."""
    num = z1.shape[1]
    for got, want in zip(sample_moments(z1, z2), exact.exact_moments(params)):
        bound = sigmas * np.sqrt(want * (1 - want) / num) + bias
        assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) - bound)


def test_uniform_noise_is_uniform_and_seed_dependent():
    u = gibbs.stateless_uniform([200000], tf.constant([3, 4])).numpy()
    v = gibbs.stateless_uniform([200000], tf.constant([3, 5])).numpy()
    assert u.min() >= 0 and u.max() < 1
    hist = np.histogram(u, bins=20, range=(0, 1))[0]
    assert np.all(np.abs(hist - 10000) < 5 * 100)  # counts within 5 sigma of Binomial(2e5, 1/20)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 5 / math.sqrt(2e5)
    assert abs(np.corrcoef(u, v)[0, 1]) < 5 / math.sqrt(2e5)


def test_bernoulli_sample_frequencies():
    logits = tf.constant([[-3.0, -0.5, 0.0, 1.0, 4.0]])
    draws = gibbs.hashed_bernoulli_sample(tf.tile(logits, [40000, 1]), tf.random.Generator.from_seed(1)).numpy()
    assert set(np.unique(draws)) <= {0.0, 1.0}
    p = tf.sigmoid(logits).numpy()[0]
    assert np.all(np.abs(draws.mean(0) - p) < 5 * np.sqrt(p * (1 - p) / 40000))


def test_compiled_hard_gibbs_matches_exact_moments_for_a_batch_of_rbms():
    params = random_params(0, 2, 8, 10, w_scale=0.5)
    rng = tf.random.Generator.from_seed(2)
    z1 = tf.cast(tf.random.stateless_uniform([2, 10000, 8], [0, 1]) < 0.5, tf.float32)
    run = tf.function(lambda p, z: kernels.hard_gibbs_sweeps(p, z, 30, rng), jit_compile=True)
    z1, z2 = run(params, z1)
    assert_moments_close(z1, z2, params)


def test_pcd_sampler_matches_exact_moments():
    params = random_params(1, 1, 8, 10, w_scale=0.5)
    sampler = PCDSampler(8, 10, num_chains=10000, num_sweeps=10, seed=3)
    step = tf.function(sampler.sample, jit_compile=True)
    for _ in range(3):
        out = step(params)
    assert out.z1.shape == (1, 10000, 8) and out.z2.shape == (1, 10000, 10)
    assert np.isnan(out.log_z) and out.ess == 1.0
    np.testing.assert_array_equal(out.z1, sampler.z1)
    assert_moments_close(out.z1, out.z2, params)


def exact_log_z_tf(params):
    """Differentiable brute-force log Z [B] (enumerating z1)."""
    states = tf.constant(exact.enumerate_states(params.b1.shape[1]), tf.float32)[None]
    return tf.reduce_logsumexp(-rbm.free_energy(params, tf.tile(states, [params.b1.shape[0], 1, 1])), axis=-1)


def test_population_annealing_samples_give_the_log_z_gradient():
    """The surrogate mean(-E(samples)) has gradient (m1, m2, m12) = d log Z / d theta (tape on exact log Z)."""
    params = random_params(4, 1, 8, 10, w_scale=1.0)
    sampler = TRAINING_SAMPLERS["pa"](8, 10, num_chains=10000, num_sweeps=10, seed=5)
    step = tf.function(sampler.sample, jit_compile=True)
    for beta in np.linspace(0.0, 1.0, 21)[1:]:  # anneal from theta = 0
        out = step(rbm.interpolate(tf.zeros([1, 8]), tf.zeros([1, 10]), params, tf.constant(beta, tf.float32)))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(params)
        surrogate = -tf.reduce_mean(rbm.energy(params, out.z1, out.z2))
        log_z = exact_log_z_tf(params)
    sampled, want = tape.gradient(surrogate, params), tape.gradient(log_z, params)
    for got, ref in zip(sampled, want):
        ref = ref.numpy()
        assert np.all(np.abs(got.numpy() - ref) <= 5 * np.sqrt(ref * (1 - ref) / 10000)), np.abs(got - ref).max()
    np.testing.assert_allclose(want.w, exact.exact_moments(params)[2], atol=1e-5)
    assert abs(float(out.log_z) - exact.exact_log_z(params)[0]) < 0.05


@pytest.mark.parametrize("num_steps, w_scale, seed, num_chains, resamples",
                         [(300, 1.0, 6, 1000, False), (8, 2.0, 12, 4000, True)])
def test_population_annealing_tracks_log_z_along_a_linear_path(num_steps, w_scale, seed, num_chains, resamples):
    """Parameters move linearly from 0 to a strongly coupled RBM; the running log Z follows.

    Slowly (300 steps, weights carried, never resampled) and abruptly (8 steps, ESS < 1/2: resampled;
    over sampler seeds its final log Z error has a spread of 0.065 nats with 1000 chains, so 4000
    chains put the 0.1 bound at about 3 standard deviations).
    """
    n1, n2 = 10, 12
    target = random_params(seed, 1, n1, n2, w_scale=w_scale)
    sampler = PopulationAnnealingSampler(n1, n2, num_chains=num_chains, num_sweeps=5, seed=7)
    assert float(sampler.log_z) == np.float32((n1 + n2) * math.log(2.0))

    @tf.function(jit_compile=True)
    def follow(num_steps):
        def body(t, min_ess):
            beta = tf.cast(t, tf.float32) / tf.cast(num_steps, tf.float32)
            out = sampler.sample(rbm.interpolate(tf.zeros([1, n1]), tf.zeros([1, n2]), target, beta))
            return t + 1, tf.minimum(min_ess, out.ess)
        return tf.while_loop(lambda t, _: t <= num_steps, body, (tf.constant(1), tf.constant(1.0)))[1]

    min_ess = float(follow(tf.constant(num_steps)))
    assert abs(float(sampler.log_z) - exact.exact_log_z(target)[0]) < 0.1
    assert 0.0 < min_ess < 1.0 and (min_ess < 0.5) == resamples
    out = sampler.sample(target)  # parameters unchanged: weights unchanged, log Z unchanged
    assert abs(float(out.log_z) - float(sampler.log_z)) < 1e-6
    assert_moments_close(out.z1, out.z2, target, sigmas=6.0, bias=0.02)
    # Anchoring at new parameters: the next step at those parameters keeps the anchored value, and the
    # reweighted population still follows them.
    moved = rbm.RBMParams(target.b1 + 0.3, target.b2, 1.2 * target.w)
    sampler.anchor_log_z(moved, 1.5)
    out = sampler.sample(moved)
    assert float(sampler.log_z) == pytest.approx(1.5, abs=1e-5) and float(out.log_z) == pytest.approx(1.5, abs=1e-5)
    assert_moments_close(out.z1, out.z2, moved, sigmas=6.0, bias=0.02)


def test_population_annealing_checkpoint_round_trip():
    params = random_params(8, 1, 4, 5, w_scale=1.0)
    sampler = PopulationAnnealingSampler(4, 5, num_chains=64, num_sweeps=2, seed=9)
    sampler.sample(params)
    with tempfile.TemporaryDirectory() as directory:
        path = tf.train.Checkpoint(sampler=sampler).save(os.path.join(directory, "ckpt"))
        expected = sampler.sample(rbm.RBMParams(2 * params.b1, params.b2, params.w))
        restored = PopulationAnnealingSampler(4, 5, num_chains=64, num_sweeps=2, seed=123)
        tf.train.Checkpoint(sampler=restored).restore(path).assert_consumed()
    got = restored.sample(rbm.RBMParams(2 * params.b1, params.b2, params.w))
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def logistic_relaxation(sharpness):
    """sigmoid(sharpness * (logits + logistic noise)): -> Bernoulli(sigmoid(logits)) as sharpness grows."""
    def relax(logits):
        u = tf.random.uniform(tf.shape(logits), 1e-6, 1 - 1e-6, seed=None)
        return tf.sigmoid(sharpness * (logits + tf.math.log(u) - tf.math.log1p(-u)))
    return relax


def test_relaxed_gibbs_sweep_is_differentiable_and_approaches_the_hard_sweep():
    tf.random.set_seed(10)
    params = random_params(11, 2, 6, 7, w_scale=1.0)
    z1 = tf.cast(tf.random.stateless_uniform([2, 1, 6], [1, 2]) < 0.5, tf.float32) * tf.ones([1, 20000, 1])
    with tf.GradientTape() as tape:
        tape.watch(params)
        zeta1, zeta2, q1 = gibbs.relaxed_gibbs_sweep(params, z1, logistic_relaxation(3.0))
        loss = tf.reduce_sum(zeta1) + tf.reduce_sum(zeta2) + tf.reduce_sum(q1)
    for grad in tape.gradient(loss, params):
        assert grad is not None and np.all(np.isfinite(grad)) and np.any(grad.numpy() != 0)
    np.testing.assert_allclose(q1, tf.sigmoid(rbm.logits_z1_given_z2(params, zeta2)), rtol=1e-6)

    zeta1, zeta2, q1 = gibbs.relaxed_gibbs_sweep(params, z1, logistic_relaxation(100.0))
    rng = tf.random.Generator.from_seed(0)
    hard1, hard2 = gibbs.gibbs_sweep(params, z1, lambda l: gibbs.hashed_bernoulli_sample(l, rng))
    assert np.mean(np.minimum(zeta1, 1 - zeta1) < 0.01) > 0.95  # nearly binary
    bound = 5 * 0.5 / math.sqrt(20000) * math.sqrt(2) + 0.01
    p2 = tf.sigmoid(rbm.logits_z2_given_z1(params, z1))[:, 0]  # exact E[z2 | z1]
    np.testing.assert_array_less(np.abs(np.mean(zeta2, 1) - p2), bound)
    np.testing.assert_array_less(np.abs(np.mean(zeta1, 1) - np.mean(hard1, 1)), bound)
    np.testing.assert_array_less(np.abs(np.mean(q1, 1) - np.mean(hard1, 1)), bound)


def test_population_annealing_log_z_stays_unbiased_when_its_samples_drive_the_parameters():
    """Maximum-likelihood learning of a small RBM whose negative phase comes from the sampler itself.

    Each step moves theta against the very states the sampler returned; reweighting those states
    again would bias Z_new / Z_old low at every step (about -0.3 nats over these 1000 steps).
    The running log Z must still end close to the exact one.
    """
    n1, n2 = 10, 12
    data = tf.constant((np.random.RandomState(0).rand(1, 40, n1 + n2) < 0.3).astype(np.float32))
    theta = [tf.Variable(tf.zeros(shape)) for shape in ([1, n1], [1, n2], [1, n1, n2])]
    optimizer = tf.keras.optimizers.Adam(0.01, epsilon=1e-3)
    sampler = PopulationAnnealingSampler(n1, n2, num_chains=1000, num_sweeps=40, seed=1)

    @tf.function(jit_compile=True)
    def learn(num_steps):
        def body(t):
            out = sampler.sample(rbm.RBMParams(*theta))
            with tf.GradientTape() as tape:
                params = rbm.RBMParams(*theta)
                loss = (tf.reduce_mean(rbm.energy(params, data[..., :n1], data[..., n1:]))
                        - tf.reduce_mean(rbm.energy(params, out.z1, out.z2)))
            optimizer.apply_gradients(zip(tape.gradient(loss, theta), theta))
            return (t + 1,)
        tf.while_loop(lambda t: t < num_steps, body, (tf.constant(0),))

    learn(tf.constant(1000))
    learned = rbm.RBMParams(*(v.numpy() for v in (sampler.b1_old, sampler.b2_old, sampler.w_old)))
    assert np.abs(learned.w).max() > 2.0, "the test needs a strongly coupled RBM at the end"
    assert abs(float(sampler.log_z) - exact.exact_log_z(learned)[0]) < 0.1
