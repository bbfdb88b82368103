"""AIS log Z against the number of temperatures (DVAE## Fig. 4): the study on RBMs of known log Z, and the
command on tiny trained-model run directories."""
import json
import os

import numpy as np
import tensorflow as tf

from dvae_tf2.analysis import ais_convergence
from dvae_tf2.model import rbm
from dvae_tf2.samplers import exact
from dvae_tf2.tools import ais_temperatures
from tests.tiny_models import tiny_run_dir


def _posterior_like_params(seed, batch=3, n1=8, n2=10):
    """RBMs with strong biases and moderate couplings, as trained posteriors: the biases-only base is close."""
    rs = np.random.RandomState(seed)
    return rbm.RBMParams(*(tf.constant(x, tf.float32) for x in
                           (3.0 * rs.randn(batch, n1), 3.0 * rs.randn(batch, n2), 0.5 * rs.randn(batch, n1, n2))))


def test_error_falls_with_temperatures_and_the_biases_only_base_beats_uniform():
    params = _posterior_like_params(0)
    truth = exact.exact_log_z(params)
    grid = [2, 8, 32, 128]
    curves = {name: ais_convergence.convergence_curve(params, truth, grid, 8, 64, tf.random.Generator.from_seed(1),
                                                      *bases)
              for name, bases in (("uniform", (None, None)), ("biases", (params.b1, params.b2)))}
    for curve in curves.values():
        assert list(curve.temperatures) == grid
        assert curve.mean_abs_error[-1] < curve.mean_abs_error[0] / 5, curve
        assert curve.sd[-1] < curve.sd[0] / 5, curve
    uniform, biases = curves["uniform"], curves["biases"]
    assert np.all(biases.mean_abs_error < uniform.mean_abs_error / 2), (biases, uniform)
    assert np.all(biases.sd < uniform.sd / 2), (biases, uniform)
    # Fewer temperatures for the same spread: the paper's finding for posteriors against the prior.
    target = float(uniform.sd[-1])
    assert biases.temperatures_for_sd(target) < uniform.temperatures_for_sd(target)


def test_repeats_are_independent_estimates_of_each_rbm():
    params = _posterior_like_params(1, batch=2)
    estimates = ais_convergence.repeated_log_z(params, 6, 32, 4, tf.random.Generator.from_seed(2))
    assert estimates.shape == (6, 2)
    assert np.all(np.std(estimates, axis=0) > 1e-3)            # the repeats differ
    truth = exact.exact_log_z(params)
    assert np.all(np.abs(estimates.mean(axis=0) - truth) < 3.0)   # each column estimates its own RBM


def test_chunked_reference_matches_exact_log_z():
    params = _posterior_like_params(2)
    log_z, stderr = ais_convergence.reference_log_z(params, 300, 2000, tf.random.Generator.from_seed(3),
                                                    params.b1, params.b2, chunk_chains=128)
    error = np.abs(log_z - exact.exact_log_z(params))
    assert np.all(stderr < 5e-3) and np.all(error < 4 * stderr + 1e-4), (error, stderr)


def test_temperatures_for_sd_and_grid():
    curve = ais_convergence.ConvergenceCurve(np.array([4, 8, 16]), np.array([1.0, 0.5, 0.1]),
                                             np.array([0.5, 0.02, 0.005]))
    assert curve.temperatures_for_sd(0.02) == 8 and curve.temperatures_for_sd(1e-3) is None
    assert ais_temperatures.temperature_grid(4, 40) == [4, 8, 16, 32]


_SMALL = ["--chains=16", "--repeats=3", "--num_images=2", "--max_temperatures=16", "--truth_temperatures=256",
          "--truth_chains=32"]


def test_command_on_an_rbm_posterior_run_plots_both_curves(tmp_path, shared_data_dir, capsys):
    run_dir = tiny_run_dir(tmp_path, shared_data_dir, baseline="rbm_post")
    png = tmp_path / "fig4.png"
    assert ais_temperatures.main([f"--run_dir={run_dir}", f"--png={png}"] + _SMALL) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert os.path.getsize(png) > 0 and summary["checkpoint_step"] == 0
    prior, posterior = summary["prior"], summary["posterior"]
    assert prior["temperatures"] == posterior["temperatures"] == [4, 8, 16]
    assert prior["num_rbms"] == 1 and posterior["num_rbms"] == 2
    for curve in (prior, posterior):
        assert all(np.isfinite(curve["mean_abs_error"])) and all(s > 0 for s in curve["sd"])


def test_command_on_a_directed_run_has_only_the_prior_curve(tmp_path, shared_data_dir, capsys):
    run_dir = tiny_run_dir(tmp_path, shared_data_dir, baseline="pwl_relax")
    assert ais_temperatures.main([f"--run_dir={run_dir}", f"--png={tmp_path / 'f.png'}"] + _SMALL) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["posterior"] is None and summary["prior"]["num_rbms"] == 1
    assert summary["prior_to_posterior_temperature_ratio"] is None


def test_command_refuses_a_run_without_rbms(tmp_path, shared_data_dir, capsys):
    run_dir = tiny_run_dir(tmp_path, shared_data_dir, baseline="pwl_relax", experiment="struct")
    assert ais_temperatures.main([f"--run_dir={run_dir}"] + _SMALL) == 2
    assert "neither a prior nor an RBM posterior" in capsys.readouterr().err
    assert ais_temperatures.main([f"--run_dir={tmp_path / 'missing'}"] + _SMALL) == 2
