"""The model of each experiment: `vae` a DVAE with an RBM prior, `struct` a StructuredPrediction without one, whose
training losses are those of q(z|x1) acting as the prior."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.config import Config
from dvae_tf2.model import objectives
from dvae_tf2.model.dvae import DVAE, StructuredPrediction, build_model

MEAN = np.full([784], 0.3, np.float32)


def _config(experiment, k=1, baseline="pwl_relax"):
    return Config(experiment=experiment, baseline=baseline, k=k, num_latents=8, num_hidden_units=6,
                  num_prior_samples=10, num_prior_sweeps=1, num_train_iter=100, jit_compile=False, seed=2).validate()


def _images(n=6):
    return tf.constant(np.random.default_rng(0).integers(0, 2, [n, 784]), tf.float32)


def test_build_model_picks_the_model_of_the_experiment():
    vae, struct = (build_model(_config(e), MEAN, 20) for e in ("vae", "struct"))
    assert type(vae) is DVAE and type(struct) is StructuredPrediction
    assert struct.prior is None and vae.prior is not None
    assert "prior" not in struct.decay_layer_parts and "prior" in vae.decay_layer_parts
    assert struct.generative_variables == struct.decoder.trainable_variables
    assert struct.sample_prior_for_training() is None
    assert struct.refresh_prior_log_z(16, 10, tf.random.Generator.from_seed(0)) is None
    assert (vae.coefficient_name, struct.coefficient_name) == ("kl_coefficient", "entropy_coefficient")


def test_each_class_refuses_the_other_experiment():
    with pytest.raises(ValueError, match="build_model"):
        DVAE(_config("struct"), MEAN, 20)
    with pytest.raises(ValueError, match="experiment=struct, not vae"):
        StructuredPrediction(_config("vae"), MEAN, 20)


def test_struct_encoder_sees_the_top_half_and_the_likelihood_covers_the_bottom_half():
    model = build_model(_config("struct"), MEAN, 20)
    x = _images(2)
    seen = model.observed_input(x).numpy()
    np.testing.assert_array_equal(seen[:, :392], x.numpy()[:, :392])
    np.testing.assert_array_equal(seen[:, 392:], 0.0)
    logits = tf.random.stateless_normal([2, 784], (1, 2))
    full = objectives.sigmoid_cross_entropy(logits, x).numpy()
    np.testing.assert_allclose(model.neg_log_likelihood(logits, x).numpy(), full[:, 392:].sum(axis=1), rtol=1e-5)


@pytest.mark.parametrize("step", [0, 50, 99])
def test_coefficients_follow_each_experiments_schedule(step):
    vae, struct = (build_model(_config(e), MEAN, 20) for e in ("vae", "struct"))
    assert float(vae.coefficient(step)) == pytest.approx(float(objectives.kl_coefficient(step, 100, 0.3)))
    assert float(struct.coefficient(step)) == pytest.approx(max(1.0 - step / 50.0, 0.05))


def test_struct_iw_encoder_loss_is_the_plain_iw_loss_plus_the_annealed_entropy_term():
    model = build_model(_config("struct", k=4), MEAN, 20)
    coeff = tf.constant(0.4)
    losses = model.training_losses(_images(), tf.range(6), coeff)
    # log w = log p(x2|z): the IW bound of log p(x2|x1) with q as the prior; kl is the mean log q.
    np.testing.assert_allclose(float(losses.objective),
                               -float(tf.reduce_mean(objectives.iw_bound(losses.log_weights))), rtol=1e-6)
    np.testing.assert_allclose(float(losses.loss_q - losses.loss_p), 0.4 * float(losses.kl), rtol=1e-5, atol=1e-5)
    w = tf.nn.softmax(losses.log_weights, axis=-1)
    np.testing.assert_allclose(float(losses.loss_p), -float(tf.reduce_mean(tf.reduce_sum(w * losses.log_weights, -1))),
                               rtol=1e-6)
    assert losses.prior_samples.shape == (0, 8)


def test_vae_iw_encoder_loss_is_the_annealed_doubly_reparameterised_one():
    model = build_model(_config("vae", k=4), MEAN, 20)
    coeff = tf.constant(0.4)
    losses = model.training_losses(_images(), tf.range(6), coeff)
    w = tf.nn.softmax(losses.log_weights, axis=-1)
    expected_q = -tf.reduce_mean(tf.reduce_sum((0.4 * w ** 2 + 0.6 * w) * losses.log_weights, axis=-1))
    np.testing.assert_allclose(float(losses.loss_q), float(expected_q), rtol=1e-5)
    assert float(losses.kl) != 0.0 and losses.prior_samples.shape[1] == 8
