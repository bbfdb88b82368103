"""The prior-sampler bias diagnostic: sufficient statistics against enumeration, the noise floor against
repeated exact draws, a stuck population detected, and the training sampler's log Z lag."""
import json

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.model import rbm
from dvae_tf2.priors import RBMPrior
from dvae_tf2.samplers import exact, resampling, sampler_bias
from dvae_tf2.samplers.ais import AISResult
from dvae_tf2.tools import prior_bias
from dvae_tf2.training import load_run_config, restore_best_model
from tests.tiny_models import four_test_images, make_tiny_model, tiny_config, tiny_run_dir


def random_rbm(n1, n2, seed, w_scale=1.0):
    rng = np.random.default_rng(seed)
    return rbm.RBMParams(*(tf.constant(rng.normal(0, s, shape), tf.float32)
                           for s, shape in ((0.5, [1, n1]), (0.5, [1, n2]), (w_scale, [1, n1, n2]))))


def exact_marginal_z1(params):
    """All z1 states [S, n1] and their exact log p(z1) [S]."""
    z1 = exact.enumerate_states(params.b1.shape[-1]).astype(np.float32)
    neg_free = -rbm.free_energy(params, tf.constant(z1[None]))[0].numpy().astype(np.float64)
    return z1, neg_free - np.logaddexp.reduce(neg_free)


def exact_draws(params, num, rng):
    z1, log_p = exact_marginal_z1(params)
    return tf.constant(z1[rng.choice(len(z1), size=num, p=np.exp(log_p))][None])


def test_weighted_enumeration_gives_the_exact_moments():
    params = random_rbm(5, 4, seed=0)
    z1, log_p = exact_marginal_z1(params)
    stats = sampler_bias.sufficient_statistics(params, tf.constant(z1[None]), tf.constant(log_p[None], tf.float32))
    m1, m2, m12 = exact.exact_moments(params)
    np.testing.assert_allclose(stats.mean1, m1[0], atol=1e-5)
    np.testing.assert_allclose(stats.mean2, m2[0], atol=1e-5)
    np.testing.assert_allclose(stats.cross, m12[0], atol=1e-5)


def test_noise_floor_predicts_the_error_of_exact_samples():
    params = random_rbm(6, 5, seed=1)
    rng = np.random.default_rng(2)
    reference = sampler_bias.sufficient_statistics(params, exact_draws(params, 4000, rng))
    errors, floors = [], []
    for _ in range(200):
        train = sampler_bias.sufficient_statistics(params, exact_draws(params, 100, rng))
        result = sampler_bias.sampler_bias(train, reference, 0.0, 0.0)
        errors.append(float(result.grad_error) ** 2)
        floors.append(float(result.grad_noise_floor) ** 2)
    # E||error||^2 = sum of the two estimators' variances (the floor), up to 200-draw noise.
    assert np.mean(errors) == pytest.approx(np.mean(floors), rel=0.2)
    assert np.isnan(float(result.grad_bias))


def test_a_population_stuck_in_one_mode_is_far_above_the_noise_floor():
    # Strong ferromagnetic couplings: two modes, all-on and all-off, of equal mass.
    n = 6
    params = rbm.RBMParams(tf.fill([1, n], -1.5), tf.fill([1, n], -1.5), tf.fill([1, n, n], 0.5))
    rng = np.random.default_rng(3)
    reference = sampler_bias.sufficient_statistics(params, exact_draws(params, 4000, rng))
    stuck = sampler_bias.sufficient_statistics(params, tf.ones([1, 500, n]))
    fair = sampler_bias.sufficient_statistics(params, exact_draws(params, 500, rng))
    m12 = exact.exact_moments(params)[2][0]
    posterior_cross = tf.constant(m12 + 0.2, tf.float32)
    stuck_bias = sampler_bias.sampler_bias(stuck, reference, 0.0, 0.0, posterior_cross)
    fair_bias = sampler_bias.sampler_bias(fair, reference, 0.0, 0.0, posterior_cross)
    assert float(stuck_bias.grad_error) > 10 * float(stuck_bias.grad_noise_floor)
    assert float(fair_bias.grad_error) < 3 * float(fair_bias.grad_noise_floor)
    assert float(stuck_bias.grad_bias) > 1 > float(fair_bias.grad_bias)
    assert float(stuck_bias.bias_error) > 1


@pytest.mark.parametrize("sampler", ["pa", "pcd"])
def test_prior_measures_its_training_sampler_without_changing_it(sampler):
    prior = RBMPrior(6, 5, sampler, num_samples=300, num_sweeps=4, seed=4)
    params = random_rbm(6, 5, seed=5)
    for variable, value in zip((prior.b1, prior.b2, prior.w), params):
        variable.assign(value[0])
    for _ in range(20):
        prior.sample_for_training()
    true_log_z = float(exact.exact_log_z(params)[0])
    z1, log_p = exact_marginal_z1(params)
    reference = AISResult(tf.constant(z1[None]), None, tf.constant([true_log_z], tf.float32), None,
                          tf.constant(log_p[None], tf.float32))
    before = [v.numpy().copy() for v in prior.sampler.variables]
    result = prior.sampler_bias(reference)
    for a, b in zip(before, prior.sampler.variables):
        np.testing.assert_array_equal(a, b.numpy())
    # 300 chains at fixed parameters after 80 sweeps: unbiased, within a few noise floors.
    assert 0 < float(result.grad_error) < 3 * float(result.grad_noise_floor)
    if sampler == "pa":
        # The running log Z started at 11 log 2 and followed the jump to these parameters by reweighting.
        assert abs(float(result.log_z_lag)) < 0.3
        prior.w.assign_add(tf.fill([6, 5], 0.05))   # moved parameters: the population is reweighted to them
        moved = prior.sampler.population_at(prior.params())
        assert float(moved.log_z) != pytest.approx(float(prior.sampler.log_z))
    else:
        assert np.isnan(float(result.log_z_lag))


def test_posterior_cross_moment_matches_the_factorised_posterior_means(shared_data_dir):
    # L = 1: q(z|x) factorises, so E_q[z1 z2^T | x] = mu1(x) mu2(x)^T exactly.
    config = tiny_config(num_groups=1)
    images = four_test_images(shared_data_dir, 1000)
    model = make_tiny_model(config, images)
    means = model.parameter_summaries(tf.constant(images))["posterior/q"]   # L = 1: q(z_i = 1 | x)
    mu1, mu2 = means[:, :6], means[:, 6:]
    expected = tf.einsum("ni,nj->ij", mu1, mu2) / len(images)
    estimate = model.posterior_cross_moment(tf.constant(images), num_samples=20000)
    np.testing.assert_allclose(estimate, expected, atol=0.01)


def _settle(trainer):
    """Runs the training sampler at the checkpoint's prior until its population is in equilibrium."""
    for _ in range(30):
        trainer.model.prior.sample_for_training()


def _stick(trainer):
    """Puts every chain of the population in the all-on state."""
    trainer.model.prior.sampler.z1.assign(tf.ones_like(trainer.model.prior.sampler.z1))


@pytest.mark.parametrize("prepare, stuck", [(_settle, False), (_stick, True)])
def test_command_measures_a_run_against_enumeration(tmp_path, shared_data_dir, capsys, prepare, stuck):
    run_dir = tiny_run_dir(tmp_path, shared_data_dir, prepare=prepare, num_prior_samples=256, num_prior_sweeps=4)
    assert prior_bias.main([f"--run_dir={run_dir}", "--chains=512", "--temperatures=200", "--images=20",
                            "--samples=5"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    config = load_run_config(run_dir)
    model, _ = restore_best_model(config, datasets.load_dataset(config.dataset, shared_data_dir))
    true_log_z = float(exact.exact_log_z(model.prior.params())[0])
    assert report["reference_log_z"] == pytest.approx(true_log_z, abs=0.05)
    assert report["reference_doubling"]["half_log_z"] == pytest.approx(true_log_z, abs=0.05)
    bias = report["sampler_bias"]
    assert bias["log_z_lag"] == pytest.approx(report["training_sampler_log_z"] - report["reference_log_z"], abs=1e-4)
    if stuck:
        assert bias["grad_error"] > 5 * bias["grad_noise_floor"], bias
    else:
        assert bias["grad_error"] < 3 * bias["grad_noise_floor"], bias
        assert abs(bias["log_z_lag"]) < 0.2, bias


def test_command_refuses_a_struct_run(tmp_path, shared_data_dir, capsys):
    run_dir = tiny_run_dir(tmp_path, shared_data_dir, experiment="struct")
    assert prior_bias.main([f"--run_dir={run_dir}"]) == 2
    assert "struct run: it has no prior" in capsys.readouterr().err


def test_reanneal_restarts_the_training_sampler_at_the_target():
    prior = RBMPrior(6, 5, "pa", num_samples=2000, num_sweeps=2, seed=6)
    params = random_rbm(6, 5, seed=7, w_scale=1.5)
    for variable, value in zip((prior.b1, prior.b2, prior.w), params):
        variable.assign(value[0])
    _stick_population(prior)
    result = prior.reanneal(500, tf.random.Generator.from_seed(8))
    true_log_z = float(exact.exact_log_z(params)[0])
    assert float(result.log_z[0]) == pytest.approx(true_log_z, abs=0.05)
    population = prior.sampler.population_at(prior.params())
    assert population.z1.shape == (1, 2000, 6)
    np.testing.assert_array_equal(population.log_weights, 0.0)   # resampled: unweighted
    train = sampler_bias.sufficient_statistics(params, population.z1)
    m1, _, m12 = exact.exact_moments(params)
    np.testing.assert_allclose(train.mean1, m1[0], atol=0.06)
    np.testing.assert_allclose(train.cross, m12[0], atol=0.06)
    assert float(population.log_z) == pytest.approx(float(result.log_z[0]), abs=1e-5)


def _stick_population(prior):
    prior.sampler.z1.assign(tf.ones_like(prior.sampler.z1))


def test_systematic_resampling_to_another_population_size():
    log_w = tf.math.log(tf.constant([[0.5, 0.25, 0.25, 0.0]]))
    index = resampling.systematic_indices(log_w, tf.constant([0.5]), num_out=8)
    assert index.numpy().tolist() == [[0, 0, 0, 0, 1, 1, 2, 2]]
