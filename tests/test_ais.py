"""AIS and annealed population annealing log Z vs brute force, batching, compilation, stderr calibration."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.samplers import ais, exact, gibbs


def random_params(seed, batch, n1, n2, w_scale):
    rs = np.random.RandomState(seed)
    return rbm.RBMParams(*(tf.constant(x, tf.float32) for x in
                           (rs.randn(batch, n1), rs.randn(batch, n2), w_scale * rs.randn(batch, n1, n2))))


CASES = {  # name: (params, base biases or None)
    "weak": (random_params(0, 3, 8, 10, 0.3), None),
    "strong": (random_params(1, 3, 10, 12, 1.0), None),
    "strong_biased_base": (random_params(2, 3, 12, 10, 1.0), "target_biases"),
}


@pytest.mark.parametrize("method", ["ais", "pa"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_log_z_matches_exact(case, method):
    params, base = CASES[case]
    base_b1, base_b2 = (params.b1, params.b2) if base else (None, None)
    result = ais.annealed_log_z(params, 1024, 1000, tf.random.Generator.from_seed(3), base_b1, base_b2, method)
    error = np.abs(result.log_z.numpy() - exact.exact_log_z(params))
    stderr = result.log_z_stderr.numpy()
    assert np.all(error < 3 * stderr) and np.all(error < 0.05), (error, stderr)
    assert np.all(stderr < 0.03)
    assert result.z1.shape == (3, 1024, params.b1.shape[1]) and result.log_weights.shape == (3, 1024)


def test_base_equal_to_the_target_is_exact():
    params = random_params(4, 2, 5, 6, 0.0)
    result = ais.annealed_log_z(params, 16, 5, tf.random.Generator.from_seed(0), params.b1, params.b2)
    np.testing.assert_allclose(result.log_z, exact.exact_log_z(params), rtol=1e-6)
    np.testing.assert_allclose(result.log_z_stderr, 0.0, atol=1e-6)


@pytest.mark.parametrize("method", ["ais", "pa"])
def test_each_rbm_result_is_independent_of_the_rest_of_the_batch(method):
    """Seeded identically, RBM 0 gets the same answer alone or next to any other RBMs."""
    params, others = random_params(5, 1, 10, 12, 1.0), random_params(6, 2, 10, 12, 1.0)
    batches = [params,
               rbm.RBMParams(*(tf.concat([a, b], 0) for a, b in zip(params, others))),
               rbm.RBMParams(*(tf.concat([a, b[::-1]], 0) for a, b in zip(params, others)))]
    runs = [ais.annealed_log_z(p, 64, 50, tf.random.Generator.from_seed(7), method=method) for p in batches]
    for run in runs[1:]:
        np.testing.assert_allclose(run.log_z[0], runs[0].log_z[0], rtol=1e-6)
        np.testing.assert_array_equal(run.z1[0], runs[0].z1[0])


@pytest.mark.parametrize("method", ["ais", "pa"])
def test_reported_stderr_matches_the_spread_over_independent_runs(method):
    """32 copies of one RBM in a batch are 32 independent runs: std of log Z ~ reported stderr."""
    params = rbm.RBMParams(*(tf.tile(t, [32] + [1] * (len(t.shape) - 1)) for t in random_params(8, 1, 10, 12, 1.0)))
    result = ais.annealed_log_z(params, 256, 100, tf.random.Generator.from_seed(9), method=method)
    spread, reported = np.std(result.log_z.numpy(), ddof=1), np.mean(result.log_z_stderr.numpy())
    assert 0.5 < spread / reported < 2.0, (spread, reported)
    assert abs(np.mean(result.log_z.numpy()) - exact.exact_log_z(params)[0]) < 4 * spread / np.sqrt(32) + 0.01


def test_compiled_annealing_inside_a_jit_function():
    params = random_params(10, 2, 10, 12, 1.0)
    rng = tf.random.Generator.from_seed(11)

    @tf.function(jit_compile=True)
    def estimate(p):
        return ais.annealed_log_z(p, 512, 500, rng, method="pa")

    result = estimate(params)
    error = np.abs(result.log_z.numpy() - exact.exact_log_z(params))
    assert np.all(error < 0.05) and np.all(error < 4 * result.log_z_stderr.numpy()), error


def test_population_annealing_final_states_follow_the_target():
    params = random_params(12, 1, 8, 10, 1.0)
    result = ais.annealed_log_z(params, 4000, 300, tf.random.Generator.from_seed(13), method="pa")
    m1, m2, _ = exact.exact_moments(params)
    bound = 5 * np.sqrt(0.25 / 4000) * 2 + 0.02  # resampled population: ESS >= C/2 plus annealing bias
    np.testing.assert_array_less(np.abs(result.z1.numpy().mean(1) - m1), bound)
    np.testing.assert_array_less(np.abs(result.z2.numpy().mean(1) - m2), bound)


def test_rejects_bad_arguments():
    params = random_params(0, 1, 2, 3, 1.0)
    with pytest.raises(ValueError, match="method"):
        ais.annealed_log_z(params, 8, 10, tf.random.Generator.from_seed(0), method="smc")
    with pytest.raises(ValueError, match="num_temperatures"):
        ais.annealed_log_z(params, 8, 1, tf.random.Generator.from_seed(0))


def test_softplus_difference_matches_softplus_over_the_whole_range():
    """The annealing increment's shared-exp form equals softplus(a) - softplus(b), also where exp(-|x|) underflows."""
    a = np.array([-200.0, -30.0, -5.0, -1e-3, 0.0, 1e-3, 0.7, 5.0, 30.0, 200.0], np.float32)
    a, b = np.meshgrid(a, a)
    got = ais._softplus_difference(a, tf.exp(-tf.abs(a)), b, tf.exp(-tf.abs(b))).numpy()
    want = np.logaddexp(0.0, a.astype(np.float64)) - np.logaddexp(0.0, b.astype(np.float64))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=2e-6)


def test_bernoulli_given_exp_has_the_sigmoid_frequencies():
    """1[u (1 + t) < (t if l < 0 else 1)] with t = exp(-|l|) is 1 with probability sigmoid(l), on both signs of l."""
    logits = tf.constant([-60.0, -6.0, -2.0, -0.3, 0.0, 0.3, 2.0, 6.0, 60.0])
    num = 200000
    tiled = tf.tile(logits[None, :], [num, 1])
    uniform = tf.random.stateless_uniform(tiled.shape, [4, 2])
    frequency = gibbs.bernoulli_given_exp(tiled, tf.exp(-tf.abs(tiled)), uniform).numpy().mean(0)
    p = tf.sigmoid(logits).numpy()
    np.testing.assert_array_less(np.abs(frequency - p), 5 * np.sqrt(p * (1 - p) / num) + 1e-9)
    np.testing.assert_array_equal(frequency[[0, -1]], [0.0, 1.0])
