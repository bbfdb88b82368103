"""DVAE## RBM posterior: exact checks on tiny models (enumeration of all 4096 states)."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.model import objectives, rbm
from dvae_tf2.posteriors import rbm_posterior
from dvae_tf2.posteriors.rbm_posterior import spin_to_binary_params
from dvae_tf2.samplers import exact
from tests.tiny_models import (all_model_variables, all_states, exact_log_joint, exact_prior_log_z, four_test_images,
                               make_tiny_model, tiny_config)


@pytest.fixture(scope="module")
def images(shared_data_dir):
    return four_test_images(shared_data_dir, stride=2500)


def _posterior_log_q(model, x, training=False):
    """Exact log q(z|x) for all 4096 states: [N, 4096], and the posterior params.

    training=True uses the batch statistics of x in batch normalisation, as training draws do.
    """
    params = model.encoder.params(model.encoder_input(x), training=training)
    z = all_states()
    neg_e = -model.encoder.energy(params, tf.broadcast_to(z[None], [len(x)] + list(z.shape)))
    log_q = neg_e - exact.exact_log_z(params)[:, None]
    return np.asarray(log_q), params


def test_spin_mapping_matches_ising_energy():
    # -E_{0,1}(z) equals t * (h.s + s^T J s) + const with s = 2z - 1 (for b = h), as the mapping intends.
    rng = np.random.default_rng(0)
    h1, h2, J = rng.normal(size=(1, 3)), rng.normal(size=(1, 4)), rng.normal(size=(1, 3, 4))
    params = spin_to_binary_params(*(tf.constant(a, tf.float32) for a in (h1, h2, J)))
    z = all_states(7)
    z1, z2 = z[None, :, :3], z[None, :, 3:]
    s1, s2 = 2 * z1 - 1, 2 * z2 - 1
    ising = 2.0 * (0.5 * (s1 * h1[:, None]).sum(-1) + 0.5 * (s2 * h2[:, None]).sum(-1)
                   + np.einsum("bci,bij,bcj->bc", s1, J, s2) / 2)
    neg_energy = -rbm.energy(params, tf.constant(z1), tf.constant(z2)).numpy()
    diff = neg_energy - ising
    np.testing.assert_allclose(diff - diff.mean(), 0.0, atol=1e-4)


def test_posterior_ais_draws_exact_log_q_and_samples_from_q(images):
    model = make_tiny_model(tiny_config(baseline="rbm_post"), images)
    log_q, _ = _posterior_log_q(model, images)
    num_samples = 8000
    draw = model.encoder.evaluation_draw(model.encoder_input(images), num_samples, model.rng)
    z = draw.z.numpy()
    state = (z * 2 ** np.arange(z.shape[-1] - 1, -1, -1)).sum(-1).astype(int)       # row of all_states()
    # log q at the drawn states is exact up to the AIS error in log Z_q.
    np.testing.assert_allclose(draw.log_q.numpy(), np.take_along_axis(log_q, state, axis=1), atol=0.02)
    # The drawn states follow q: every unit's marginal and a pairwise moment within sampling error.
    q = np.exp(log_q)
    marginals = q @ all_states()
    stderr = np.sqrt(marginals * (1 - marginals) / num_samples)
    assert np.all(np.abs(z.mean(axis=1) - marginals) < 5 * stderr + 2e-3)
    pair = q @ (all_states()[:, 0] * all_states()[:, 6])
    assert np.all(np.abs((z[..., 0] * z[..., 6]).mean(axis=1) - pair) < 5 * np.sqrt(pair / num_samples) + 2e-3)


def test_iw_estimate_with_posterior_ais_converges_to_exact_log_px(images):
    model = make_tiny_model(tiny_config(baseline="rbm_post"), images, decoder_scale=0.1)
    log_z = exact_prior_log_z(model)
    model.prior.log_z.assign(log_z)
    joint = exact_log_joint(model, images, log_z)
    exact_log_px = tf.reduce_logsumexp(joint, axis=1).numpy()
    log_q, _ = _posterior_log_q(model, images)
    exact_elbo = (np.exp(log_q) * (joint - log_q)).sum(axis=1)
    assert np.all(exact_elbo < exact_log_px - 0.05), "the test needs a real ELBO gap"
    # Delta method: K samples give bias -chi2/(2K) and standard deviation sqrt(chi2/K).
    chi2 = np.exp(tf.reduce_logsumexp(2 * (joint - exact_log_px[:, None]) - log_q, axis=1).numpy()) - 1
    k = 8000
    log_w = model.log_importance_weights(images, k).numpy()
    stderr = log_w.std(axis=1) / np.sqrt(k)
    assert np.all(np.abs(log_w.mean(axis=1) - exact_elbo) < 5 * stderr + 0.02)
    iw = objectives.iw_bound(log_w).numpy()
    assert np.all(np.abs(iw - (exact_log_px - chi2 / (2 * k))) < 5 * np.sqrt(chi2 / k) + 0.02), chi2
    assert np.all(iw > exact_elbo + 0.5 * (exact_log_px - exact_elbo))
    # Same samples with the exact log Z_q in place of the AIS one: the same limit.
    draw = model.encoder.evaluation_draw(model.encoder_input(images), k, model.rng)
    z = draw.z.numpy()
    state = (z * 2 ** np.arange(z.shape[-1] - 1, -1, -1)).sum(-1).astype(int)
    iw_exact_z = objectives.iw_bound(tf.constant(np.take_along_axis(joint - log_q, state, axis=1))).numpy()
    assert np.all(np.abs(iw_exact_z - (exact_log_px - chi2 / (2 * k))) < 5 * np.sqrt(chi2 / k) + 0.02), chi2


def test_kl_terms_average_to_exact_kl_in_the_hard_limit(images):
    # With a nearly hard relaxation and mixed chains (one posterior here mixes slowly: 500 sweeps), E[E_p(rb) - E_q(rb)] + log Z_p - log Z_q = KL(q || p).
    config = tiny_config(baseline="rbm_post", beta=300.0, num_gibbs_sweeps=500, k=2000)
    model = make_tiny_model(config, images)
    log_z = exact_prior_log_z(model)
    index = tf.range(len(images))
    x_c = model.encoder_input(images)
    model.encoder.training_draw(x_c, index, config.k, model.rng)          # burn-in of the chains
    draw = model.encoder.training_draw(x_c, index, config.k, model.rng)
    log_q, params = _posterior_log_q(model, images, training=True)
    log_p = (-model.prior.energy(all_states()) - log_z).numpy()
    exact_kl = (np.exp(log_q) * (log_q - log_p[None])).sum(axis=1)
    log_zq = exact.exact_log_z(params)
    kl_term = (model.prior.energy(draw.rb_point) + draw.neg_entropy).numpy().reshape(len(images), -1)
    kl_term = kl_term + log_z - np.asarray(log_zq)[:, None]
    stderr = kl_term.std(axis=1) / np.sqrt(kl_term.shape[1])
    assert np.all(np.abs(kl_term.mean(axis=1) - exact_kl) < 4 * stderr + 0.02)
    # The relaxed samples (one PWL sweep from the chains) follow q's marginals, as the hard chains do.
    marginals = np.exp(log_q) @ all_states()
    zeta = draw.zeta.numpy().reshape(len(images), config.k, -1)
    chains = model.encoder.chains.numpy()[: len(images)].astype(np.float32)
    bound = 5 * np.sqrt(marginals * (1 - marginals) / config.k) + 0.01
    assert np.all(np.mean(np.minimum(zeta, 1 - zeta) < 0.01) > 0.95)
    assert np.all(np.abs(zeta.mean(axis=1) - marginals) < bound)
    assert np.all(np.abs(chains.mean(axis=1) - marginals[:, :6]) < bound[:, :6])


def test_chain_store_changes_only_the_batch_rows(images):
    config = tiny_config(baseline="rbm_post", k=3)
    train = np.tile(images, (5, 1))
    model = make_tiny_model(config, train)
    before = model.encoder.chains.numpy().copy()
    index = tf.constant([2, 7, 11], tf.int32)
    model.encoder.training_draw(model.encoder_input(tf.constant(train[[2, 7, 11]])), index, 3, model.rng)
    after = model.encoder.chains.numpy()
    untouched = np.setdiff1d(np.arange(len(train)), index.numpy())
    np.testing.assert_array_equal(after[untouched], before[untouched])
    assert after.dtype == bool
    assert not np.array_equal(after[index.numpy()], before[index.numpy()])


class _MeanField:
    """A deterministic stand-in relaxation: its 'sample' is sigmoid(logits)."""

    def __init__(self, logits):
        self.logits = logits

    def sample_from_rng(self, rng):
        del rng
        return tf.sigmoid(self.logits)


def test_gradient_reaches_the_encoder_only_through_the_relaxed_sweep(images, monkeypatch):
    # Deterministic mean-field "relaxation": the draw is then a function of (params, stored chain state).
    config = tiny_config(baseline="rbm_post", k=2)
    model = make_tiny_model(config, images)
    monkeypatch.setattr(model.encoder, "relaxation", _MeanField)
    index = tf.range(len(images))
    x_c = model.encoder_input(images)
    variables = model.encoder.trainable_variables
    with tf.GradientTape(persistent=True) as tape:
        draw = model.encoder.training_draw(x_c, index, 2, model.rng)
        scores = [tf.reduce_sum(draw.zeta), tf.reduce_sum(draw.neg_entropy), tf.reduce_sum(draw.log_q)]
    z1 = tf.cast(tf.reshape(tf.gather(model.encoder.chains, index), [len(images), 2, -1]), tf.float32)
    with tf.GradientTape(persistent=True) as ref_tape:
        params = model.encoder.params(x_c, training=True)
        frozen = rbm.RBMParams(*[tf.constant(p.numpy()) for p in params])
        zeta2 = tf.sigmoid(rbm.logits_z2_given_z1(params, z1))
        a1 = rbm.logits_z1_given_z2(params, zeta2)
        zeta1 = tf.sigmoid(a1)
        rb1 = tf.sigmoid(a1)
        refs = [tf.reduce_sum(zeta1) + tf.reduce_sum(zeta2),
                -tf.reduce_sum(rbm.energy(frozen, rb1, zeta2)),       # phi' = stop_gradient(phi)
                -tf.reduce_sum(rbm.energy(frozen, zeta1, zeta2))]
    for score, ref in zip(scores, refs):
        np.testing.assert_allclose(score.numpy(), ref.numpy(), rtol=1e-5)
        for g, g_ref in zip(tape.gradient(score, variables), ref_tape.gradient(ref, variables)):
            np.testing.assert_allclose(g.numpy(), g_ref.numpy(), rtol=1e-4, atol=1e-6)


def test_iw_objective_gradients_match_finite_differences(images, monkeypatch):
    # k = 3 IW objective half-way through the KL warm-up (c = 0.5). Every random stream and persistent
    # state is restored before each evaluation, so log w is a deterministic function of the parameters.
    # The surrogate holds the posterior's own parameters fixed where the objective stops their gradient
    # (hard sweeps, log q's energy): the derivatives of log w hold them at their reference value too.
    #
    # The surrogate's gradient is a sum of terms of size ~30 that cancels to ~0.1, so a float32 finite
    # difference of the whole sum is too noisy for a tight check (|log w| ~ 190, so its rounding alone is
    # ~1e-2 per element at a 1e-3 step). Instead d log w / d theta along the direction comes from forward-mode
    # differentiation, which shares nothing with the reverse-mode surrogate under test, and is itself checked
    # against finite differences (below).
    reference, stop_gradient_params = [], rbm_posterior.stop_gradient_params

    def frozen_at_reference(params):
        if not reference:
            reference.append(stop_gradient_params(params))
        return reference[0]

    config = tiny_config(baseline="rbm_post", k=3, num_train_iter=100)
    model = make_tiny_model(config, images)
    monkeypatch.setattr(rbm_posterior, "stop_gradient_params", frozen_at_reference)
    x, index, coefficient = tf.constant(images), tf.range(len(images)), objectives.kl_coefficient(15, 100)
    state = all_model_variables(model)
    snapshot = [v.numpy() for v in state]

    def losses_at(variable, offset):
        for v, value in zip(state, snapshot):
            v.assign(value)
        variable.assign_add(tf.broadcast_to(tf.cast(offset, tf.float32), variable.shape))
        return model.training_losses(x, index, coefficient)

    assert np.array_equal(losses_at(model.prior.b1, 0.0).log_weights, losses_at(model.prior.b1, 0.0).log_weights)
    for variable, loss_name in ((model.encoder.net.output_layer.kernel, "loss_q"),
                                (model.decoder.output_layer.kernel, "loss_p")):
        direction = np.random.default_rng(5).normal(size=variable.shape).astype(np.float32)
        with tf.GradientTape() as tape:
            losses = losses_at(variable, 0.0)
            loss = getattr(losses, loss_name)
        analytic = np.sum(tape.gradient(loss, variable).numpy() * direction)
        # d log w along the direction: forward-mode, checked against one-sided finite differences wherever those
        # agree. Where they do not, a kink of the PWL relaxation lies within eps of the point for that log weight
        # (its slopes on the two sides differ by O(1)), and no finite difference is the derivative there.
        with tf.autodiff.ForwardAccumulator(variable.value, tf.constant(direction)) as accumulator:   # its tf.Variable
            centre = losses_at(variable, 0.0).log_weights
        d_log_w = accumulator.jvp(centre).numpy()
        eps = 1e-3
        forward = (losses_at(variable, eps * direction).log_weights.numpy() - centre.numpy()) / eps
        backward = (centre.numpy() - losses_at(variable, -eps * direction).log_weights.numpy()) / eps
        smooth = np.abs(forward - backward) < 0.1 + 0.02 * np.abs(forward)
        assert smooth.sum() >= 3, (forward, backward)
        np.testing.assert_allclose(d_log_w[smooth], (0.5 * (forward + backward))[smooth], rtol=0.02, atol=0.05)
        w = tf.nn.softmax(losses.log_weights, axis=-1).numpy()
        c = float(losses.coefficient)
        omega = c * w ** 2 + (1 - c) * w if loss_name == "loss_q" else w
        assert c == 0.5
        np.testing.assert_allclose(analytic, -np.mean(np.sum(omega * d_log_w, axis=1)), rtol=1e-4)
