"""The Fig. 2 toy study: Gibbs-unrolled gradient estimators for a 2-D Gaussian, and the paper's findings."""
import json

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.analysis import gaussian_toy
from dvae_tf2.tools import toy_gaussian

PHI = tf.constant([0.3, -0.2, 0.1, -0.1, 0.8], tf.float64)   # a correlated q away from p
OPTIMUM = tf.constant([1.0, 1.0, np.log(1.1), np.log(1.1), np.arctanh(0.9 / 1.1)], tf.float64)   # q = p


def _gradient_samples(params, method, n, seed=0):
    """[n, 5] one-sample gradient estimates at params."""
    copies = tf.tile(params[None], [n, 1])
    with tf.GradientTape() as tape:
        tape.watch(copies)
        loss = tf.reduce_sum(gaussian_toy.surrogate(copies, method, 1, tf.random.Generator.from_seed(seed))[0])
    return tape.gradient(loss, copies).numpy()


def test_gibbs_sweeps_leave_q_invariant():
    n = 100000
    rng = tf.random.Generator.from_seed(1)
    q = gaussian_toy.q_distribution(PHI)
    start = q.sample(n, seed=(1, 2))
    end = gaussian_toy.gibbs_sweeps(start, PHI, 3, rng.normal([3, 2, n], dtype=tf.float64)).numpy()
    mean, lam = gaussian_toy.precision(PHI)
    np.testing.assert_allclose(end.mean(axis=0), mean.numpy(), atol=0.03)
    np.testing.assert_allclose(np.cov(end.T), np.linalg.inv(lam.numpy()), atol=0.05)
    assert abs(np.corrcoef(end.T)[0, 1]) > 0.5   # q is far from factorised, so a sweep is not an exact draw


def test_unbiased_estimators_match_the_exact_gradient_and_gibbs_without_i_is_biased_for_small_t():
    with tf.GradientTape() as tape:
        tape.watch(PHI)
        kl = gaussian_toy.exact_kl(PHI)
    exact = tape.gradient(kl, PHI).numpy()
    n = 100000
    for method in ("reinforce", "reparam", "gibbs_t1_I", "gibbs_t4_I", "gibbs_t8"):
        samples = _gradient_samples(PHI, method, n)
        z = np.abs(samples.mean(axis=0) - exact) / (samples.std(axis=0) / np.sqrt(n))
        assert np.all(z < 5), (method, samples.mean(axis=0), exact)
    biased = _gradient_samples(PHI, "gibbs_t1", n)
    z = np.abs(biased.mean(axis=0) - exact) / (biased.std(axis=0) / np.sqrt(n))
    assert z.max() > 20, (biased.mean(axis=0), exact)


def test_at_the_optimum_kl_and_every_gradient_vanish():
    assert abs(float(gaussian_toy.exact_kl(OPTIMUM))) < 1e-12
    assert float(gaussian_toy.exact_kl(PHI)) > 0.5
    for method in gaussian_toy.method_names():
        np.testing.assert_allclose(_gradient_samples(OPTIMUM, method, 100), 0.0, atol=1e-9)


def test_gibbs_estimators_continue_persistent_chains():
    start = tf.constant([[[5.0, -5.0]], [[-5.0, 5.0]]], tf.float64)   # [2 chains, 1 copy, 2]
    params = PHI[None]
    for method, follows in (("gibbs_t1", True), ("gibbs_t2_I", True), ("reparam", False), ("reinforce", False)):
        states = [gaussian_toy.surrogate(params, method, 2, tf.random.Generator.from_seed(3), start=s)[1].numpy()
                  for s in (start, -start)]
        assert states[0].shape == (2, 1, 2)
        assert (np.abs(states[0] - states[1]).max() > 1.0) == follows, method   # P12 != 0 carries z2 over


def test_method_names_round_trip_and_bad_names_fail():
    names = gaussian_toy.method_names((1, 3))
    assert names == ["reinforce", "reparam", "gibbs_t1", "gibbs_t1_I", "gibbs_t3", "gibbs_t3_I"]
    assert [gaussian_toy.parse_method(n) for n in names[2:4]] == [("gibbs", 1, False), ("gibbs", 1, True)]
    for bad in ("gibbs", "gibbs_t0", "gibbs_tx", "gibbs_t2_J", "score"):
        with pytest.raises(ValueError, match="unknown estimator"):
            gaussian_toy.parse_method(bad)


@pytest.mark.slow
def test_figure_2_findings(tmp_path, capsys):
    png = tmp_path / "fig2.png"
    assert toy_gaussian.main([f"--plot={png}", "--variance_points=2", "--variance_samples=100"]) == 0
    final = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(final) == set(gaussian_toy.method_names())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    gibbs = [name for name in final if name.startswith("gibbs")]
    assert all(final[name] < final["reinforce"] for name in gibbs), final            # every t beats REINFORCE
    assert all(final["reparam"] < final[name] for name in final if name != "reparam"), final   # reparam is best
    assert all(final[f"gibbs_t{t}"] < final[f"gibbs_t{t}_I"] for t in (1, 2, 4, 8)), final    # I slows it down
    assert all(value < 2.558 for value in final.values())   # every estimator made progress from KL(N(0,I)‖p)


def test_bad_arguments_fail(capsys):
    for argv in (["--sweeps=1,x"], ["--sweeps=0,2"], ["--iterations=0"]):
        with pytest.raises(SystemExit):
            toy_gaussian.main(argv)
        assert "--" in capsys.readouterr().err
