"""Tiny models: IW estimates of log p(x) and KL terms against exact enumeration."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.model import objectives
from dvae_tf2.training.evaluation import Evaluator
from tests.tiny_models import (all_states, exact_log_joint, exact_prior_log_z, four_test_images, make_tiny_model,
                               tiny_config)


@pytest.fixture(scope="module")
def images(shared_data_dir):
    return four_test_images(shared_data_dir, stride=2000)


def _directed_log_q(model, x, training=False):
    """Exact log q(z|x) for all states of a directed posterior: [N, 4096].

    training=True uses the batch statistics of x in batch normalisation, as training draws do.
    """
    enc = model.encoder
    z = all_states()
    context = enc.context(model.encoder_input(x), training=training)        # [N, H]
    units = z.shape[1] // enc.num_groups
    total = 0.0
    for i, layer in enumerate(enc.group_layers):
        inputs = tf.concat([tf.repeat(context[:, None], len(z), axis=1),
                            tf.broadcast_to(z[None, :, : i * units], [len(x), len(z), i * units])], axis=-1)
        total += objectives.bernoulli_log_prob(layer(inputs), z[None, :, i * units:(i + 1) * units])
    return total.numpy()


def _mean_iw(model, x, num_samples, repeats):
    return np.mean([objectives.iw_bound(model.log_importance_weights(x, num_samples)).numpy()
                    for _ in range(repeats)], axis=0)


@pytest.mark.parametrize("num_groups", [1, 2])
def test_directed_iw_estimate_converges_to_exact_log_px(images, num_groups):
    model = make_tiny_model(tiny_config(num_groups=num_groups), images)
    log_z = exact_prior_log_z(model)
    model.prior.log_z.assign(log_z)
    joint = exact_log_joint(model, images, log_z)
    exact_log_px = tf.reduce_logsumexp(joint, axis=1).numpy()
    log_q = _directed_log_q(model, images)
    q = np.exp(log_q)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=1e-4)
    exact_elbo = (q * (joint - log_q)).sum(axis=1)

    log_w = model.log_importance_weights(images, 20000).numpy()
    # E_q[log w] is the ELBO (Monte Carlo, 20000 samples).
    stderr = log_w.std(axis=1) / np.sqrt(log_w.shape[1])
    assert np.all(np.abs(log_w.mean(axis=1) - exact_elbo) < 4 * stderr + 1e-3)
    iw_1, iw_10, iw_100 = (_mean_iw(model, images, k, 20) for k in (1, 10, 100))
    iw_big = objectives.iw_bound(log_w).numpy()
    assert np.all(exact_elbo < exact_log_px - 0.05), "the test needs a real ELBO gap"
    # Delta method: with K samples the estimate has variance chi2/K and bias -chi2/(2K), where
    # chi2 = E_q[(p(z|x)/q(z|x))^2] - 1 is known exactly by enumeration.
    log_posterior = joint - exact_log_px[:, None]
    chi2 = np.exp(tf.reduce_logsumexp(2 * log_posterior - log_q, axis=1).numpy()) - 1
    assert np.all(iw_1 < iw_10) and np.all(iw_10 < iw_100)
    assert np.all(iw_100 < exact_log_px + 4 * np.sqrt(chi2 / (100 * 20))), chi2
    k = log_w.shape[1]
    assert np.all(np.abs(iw_big - (exact_log_px - chi2 / (2 * k))) < 4 * np.sqrt(chi2 / k) + 1e-3), chi2


def test_directed_kl_term_matches_exact_kl(images):
    # L = 1: E(q) - H(q) + log Z is the exact KL(q || p), evaluated here by enumeration.
    model = make_tiny_model(tiny_config(num_groups=1), images)
    log_z = exact_prior_log_z(model)
    draw = model.encoder.training_draw(model.encoder_input(images), None, 1, model.rng)
    kl_term = (model.prior.energy(draw.rb_point) + draw.neg_entropy + log_z).numpy()
    log_q = _directed_log_q(model, images, training=True)
    log_p = (-model.prior.energy(all_states()) - log_z).numpy()
    exact_kl = (np.exp(log_q) * (log_q - log_p[None])).sum(axis=1)
    np.testing.assert_allclose(kl_term, exact_kl, rtol=1e-3, atol=1e-3)


def test_hierarchical_kl_estimate_is_unbiased_in_the_hard_limit(images):
    # L = 2 with a nearly hard relaxation: the Rao-Blackwellised estimator averages to KL(q || p).
    model = make_tiny_model(tiny_config(num_groups=2, beta=300.0), images)
    log_z = exact_prior_log_z(model)
    draw = model.encoder.training_draw(model.encoder_input(images), None, 20000, model.rng)
    kl_term = (model.prior.energy(draw.rb_point) + draw.neg_entropy + log_z).numpy().reshape(len(images), -1)
    log_q = _directed_log_q(model, images, training=True)
    log_p = (-model.prior.energy(all_states()) - log_z).numpy()
    exact_kl = (np.exp(log_q) * (log_q - log_p[None])).sum(axis=1)
    stderr = kl_term.std(axis=1) / np.sqrt(kl_term.shape[1])
    assert np.all(np.abs(kl_term.mean(axis=1) - exact_kl) < 4 * stderr + 0.01)


def _exact_log_q(model, x):
    """Exact log q(z|x) for all states, directed or RBM posterior (normalised by enumeration): [N, 4096]."""
    if model.config.baseline != "rbm_post":
        return _directed_log_q(model, x)
    params = model.encoder.params(model.encoder_input(x), training=False)
    neg_energy = -model.encoder.energy(params, tf.broadcast_to(all_states()[None], [len(x), *all_states().shape]))
    return (neg_energy - tf.reduce_logsumexp(neg_energy, axis=1, keepdims=True)).numpy()


@pytest.mark.parametrize("baseline", ["pwl_relax", "rbm_post"])
def test_struct_neg_elbo_is_the_legacy_mean_of_log_q_plus_cost(images, baseline):
    # Legacy struct evaluation: -ELBO = E_q(z|x1)[log q(z|x1) + cost(x2|z)]; the mean cost is reported apart.
    config = tiny_config(experiment="struct", baseline=baseline)
    model = make_tiny_model(config, images)
    log_q = _exact_log_q(model, images)
    q = np.exp(log_q)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, rtol=1e-4)
    logits = model.decoder_logits(all_states(), training=False)
    cost = model.neg_log_likelihood(logits[None], images[:, None, :]).numpy()          # [N, 4096], bottom half
    terms = {"neg_elbo": log_q + cost, "cost": cost}
    exact = {name: (q * value).sum(axis=1).mean() for name, value in terms.items()}
    assert exact["cost"] - exact["neg_elbo"] > 1.0, "the test needs a real entropy term"

    num_samples = 20000 if baseline == "pwl_relax" else 4000
    result = Evaluator(model, rows_per_batch=40000)(images, num_samples)
    for name, value in terms.items():
        variance = (q * value ** 2).sum(axis=1) - (q * value).sum(axis=1) ** 2
        stderr = np.sqrt(variance.sum() / num_samples) / len(images)
        assert abs(getattr(result, name) - exact[name]) < 4 * stderr + 0.02, (name, result, exact)
    assert result.neg_ll < result.cost
