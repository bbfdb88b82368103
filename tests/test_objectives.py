"""Objective helpers against closed forms and autodiff of the quantities they stand for."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.model import objectives


def test_bernoulli_entropy_and_log_prob_closed_form():
    logits = tf.constant([[-2.0, 0.0, 3.0]])
    q = 1 / (1 + np.exp(-logits.numpy()))
    expected_h = -(q * np.log(q) + (1 - q) * np.log(1 - q)).sum()
    assert objectives.bernoulli_entropy(logits).numpy()[0] == pytest.approx(expected_h, rel=1e-5)
    z = np.array([[1.0, 0.0, 1.0]], np.float32)
    expected_lp = (z * np.log(q) + (1 - z) * np.log(1 - q)).sum()
    assert objectives.bernoulli_log_prob(logits, z).numpy()[0] == pytest.approx(expected_lp, rel=1e-5)


def test_iw_surrogate_gradients():
    rng = np.random.default_rng(0)
    log_w = tf.constant(rng.normal(size=(3, 5)) * 2, tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(log_w)
        bound = -tf.reduce_mean(objectives.iw_bound(log_w))
        loss_p, loss_q1 = objectives.iw_surrogates(log_w, 1.0)
        _, loss_q0 = objectives.iw_surrogates(log_w, 0.0)
    w = tf.nn.softmax(log_w, axis=-1).numpy()
    # The decoder surrogate has exactly the gradient of the IW bound.
    np.testing.assert_allclose(tape.gradient(loss_p, log_w), tape.gradient(bound, log_w), rtol=1e-5, atol=1e-7)
    # The encoder surrogate weights: w~^2 at c = 1 (DReG), w~ at c = 0.
    np.testing.assert_allclose(tape.gradient(loss_q1, log_w), -w ** 2 / 3, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(tape.gradient(loss_q0, log_w), -w / 3, rtol=1e-5, atol=1e-7)
    # The bound itself is a logmeanexp.
    np.testing.assert_allclose(objectives.iw_bound(log_w).numpy(),
                               np.log(np.exp(log_w.numpy()).mean(axis=1)), rtol=1e-5)


def test_annealing_schedules():
    assert objectives.kl_coefficient(0, 1000).numpy() == 0.0
    assert objectives.kl_coefficient(150, 1000).numpy() == pytest.approx(0.5)
    assert objectives.kl_coefficient(900, 1000).numpy() == 1.0
    assert objectives.entropy_coefficient(0, 1000).numpy() == 1.0
    assert objectives.entropy_coefficient(250, 1000).numpy() == pytest.approx(0.5)
    assert objectives.entropy_coefficient(999, 1000).numpy() == pytest.approx(0.05)
    boundaries, values = objectives.piecewise_learning_rates(3e-3, 20000)
    assert boundaries == [400, 12000, 15000, 19000]
    np.testing.assert_allclose(values, [3e-4, 3e-3, 1e-3, 3e-4, 3e-3 / 33])
