"""The DVAE# training objective of a tiny dvaes_gi model against an independent computation of the relaxed ELBO.

A 6 + 6-latent 1-layer-lin model (no hidden layers, so no batch normalisation): its training objective at k = 1 is
a Monte Carlo estimate of -E_q[log p(x | zeta) + log p(zeta) - log q(zeta | x)], p(zeta) the Gaussian-integral
marginal of the RBM. Here numpy draws its own zeta ~ q and evaluates each term directly: the mixture of normals
for q from scipy, the marginal by enumerating the 4096 states with a multivariate normal each, the decoder by a
matrix product.
"""
import numpy as np
import pytest
import tensorflow as tf
from scipy import special, stats

from dvae_tf2 import config as config_lib
from dvae_tf2.codebases import Struct
from dvae_tf2.config import Config
from dvae_tf2.model.dvae import DVAE
from dvae_tf2.samplers import SamplerOutput
from tests.tiny_models import all_states, four_test_images

UNITS = 12
ROWS_PER_IMAGE = 2000


@pytest.fixture
def model(monkeypatch, shared_data_dir):
    monkeypatch.setitem(config_lib.STRUCTS, "1-layer-lin", Struct(1, UNITS, 0))
    config = Config(codebase="dvae_sharp", struct="1-layer-lin", baseline="dvaes_gi", data_dir=shared_data_dir,
                    beta=5.0, num_hidden_units=8, jit_compile=False, seed=3).validate()
    images = four_test_images(shared_data_dir, stride=2500)
    dvae = DVAE(config, images.mean(axis=0), training_size=len(images))
    rng = np.random.default_rng(0)
    prior = dvae.prior
    prior.b1.assign(rng.normal(0, 0.5, prior.b1.shape).astype(np.float32))
    prior.b2.assign(rng.normal(0, 0.5, prior.b2.shape).astype(np.float32))
    prior.w.assign(rng.normal(0, 2.0, prior.w.shape).astype(np.float32))
    dvae.encoder.scale_0.assign(rng.uniform(0.5, 1.5, [1, UNITS]).astype(np.float32))
    kernel = dvae.decoder.output_layer.kernel
    kernel.assign(kernel * 0.3)
    return dvae, images


def _posterior_parameters(model, images):
    """(q, delta, s) of the linear encoder for images [N, D], from its weights: each [N, 1, n] or [1, n], float64."""
    layer = model.encoder.group_0.output_layer
    output = (images - model.input_mean.numpy()) @ layer.kernel.numpy() + layer.bias.numpy()
    q = special.expit(output[:, :UNITS])[:, None].astype(np.float64)
    shift = (0.5 * (special.expit(output[:, UNITS:]) - 0.5))[:, None].astype(np.float64)
    scale = (np.abs(0.2 * model.encoder.scale_0.numpy()) + 0.05).astype(np.float64)
    return q, shift, scale


def _sample_zeta(model, images, num_samples, rng):
    """zeta ~ q(zeta | x) by numpy: z ~ Bernoulli(q), zeta = z + delta + s eps. -> [N, S, n]."""
    q, shift, scale = _posterior_parameters(model, images)
    z = rng.uniform(size=(len(images), num_samples, UNITS)) < q
    return z + shift + scale * rng.normal(size=z.shape)


def _rbm(model):
    """(-E(z) [4096] of every state, the symmetric coupling [[0, W], [W^T, 0]], exact log Z) of the prior, float64."""
    b = np.concatenate([model.prior.b1.numpy(), model.prior.b2.numpy()]).astype(np.float64)
    w = model.prior.w.numpy().astype(np.float64)
    n1 = UNITS // 2
    coupling = np.block([[np.zeros([n1, n1]), w], [w.T, np.zeros([n1, n1])]])
    states = all_states().astype(np.float64)
    neg_energy = states @ b + 0.5 * np.einsum("si,ij,sj->s", states, coupling, states)
    return neg_energy, coupling, special.logsumexp(neg_energy)


def _log_normal(rows, means, precision):
    """log N(row; mean, P^-1) for every (row, mean) pair, the Gaussian density written out (scipy's
    multivariate_normal, one call per mean, would take minutes for 4096 of them): [rows, means]."""
    # (x - m)^T P (x - m) = x^T P x - 2 x^T P m + m^T P m
    quadratic = (np.einsum("ai,ij,aj->a", rows, precision, rows)[:, None] - 2 * rows @ precision @ means.T
                 + np.einsum("si,ij,sj->s", means, precision, means)[None])
    return 0.5 * (np.linalg.slogdet(precision)[1] - len(precision) * np.log(2 * np.pi) - quadratic)


def _independent_log_w(model, images, zeta, lam):
    """log p(x | zeta) + log p(zeta) - log q(zeta | x) at zeta [N, S, n] for images [N, D]: [N, S]."""
    q, shift, scale = _posterior_parameters(model, images)
    log_q = np.log((1 - q) * stats.norm.pdf(zeta, shift, scale) + q * stats.norm.pdf(zeta, 1 + shift, scale)).sum(-1)
    neg_energy, coupling, log_z = _rbm(model)
    states = all_states().astype(np.float64)
    precision = coupling + lam * np.eye(UNITS)
    flat = zeta.reshape(-1, UNITS)
    log_normal = _log_normal(flat[:5], states, precision)
    reference = stats.multivariate_normal(mean=states[7], cov=np.linalg.inv(precision)).logpdf(flat[:5])
    np.testing.assert_allclose(log_normal[:, 7], reference, rtol=1e-10)
    log_p = [special.logsumexp(_log_normal(block, states, precision) + neg_energy[None], axis=-1) - log_z
             for block in np.array_split(flat, max(1, len(flat) // 1000))]
    log_p = np.concatenate(log_p).reshape(zeta.shape[:2])

    decoder = model.decoder.output_layer
    pixel_logits = flat @ decoder.kernel.numpy() + decoder.bias.numpy() + model.data_bias.numpy()
    x = np.repeat(images, zeta.shape[1], axis=0)
    log_px = -(np.logaddexp(0, pixel_logits) - x * pixel_logits).sum(-1).reshape(zeta.shape[:2])
    return log_px + log_p - log_q


def _port_log_w(dvae, images, log_z):
    """The port's training log weights at k = 1 (one row per image and sample, coefficient 1) and its draws of
    zeta, replayed with a copy of its posterior noise: ([N, S], [N, S, n])."""
    # The port's own draws, with the exact log Z in place of the training sampler's running estimate.
    exact_samples = SamplerOutput(tf.zeros([1, 1, UNITS // 2]), tf.zeros([1, 1, UNITS // 2]),
                                  log_z=tf.constant(log_z, tf.float32), ess=tf.constant(1.0))
    x = tf.constant(np.repeat(images, ROWS_PER_IMAGE, axis=0))
    replay = tf.random.Generator.from_state(tf.identity(dvae.rng.state), dvae.rng.algorithm)
    zeta = dvae.encoder.training_draw(dvae.encoder_input(x), None, 1, replay).zeta
    losses = dvae.training_losses(x, tf.zeros([len(x)], tf.int32), tf.constant(1.0), exact_samples)
    assert float(losses.objective) == pytest.approx(-losses.log_weights.numpy().mean(), rel=1e-5)
    shape = (len(images), ROWS_PER_IMAGE)
    return losses.log_weights.numpy().reshape(shape), zeta.numpy().astype(np.float64).reshape(shape + (UNITS,))


def test_training_objective_is_the_relaxed_neg_elbo(model):
    dvae, images = model
    sigma_max = np.linalg.svd(dvae.prior.w.numpy(), compute_uv=False)[0]
    lam = max(sigma_max + 5.0, dvae.config.beta)
    assert sigma_max + 5.0 > dvae.config.beta        # the spectrum sets lambda here, not the table's floor
    for _ in range(30):                              # the tracked sigma_max settles on the SVD's
        dvae.prior.diagonal_shift()
    port, port_zeta = _port_log_w(dvae, images, _rbm(dvae)[2])
    # Each of the port's log weights, recomputed at its own zeta (float32 against float64).
    np.testing.assert_allclose(port, _independent_log_w(dvae, images, port_zeta, lam), rtol=2e-5, atol=2e-3)
    # And its draws follow q: the mean over its zeta against the mean over numpy's.
    independent = _independent_log_w(dvae, images, _sample_zeta(dvae, images, 1000, np.random.default_rng(1)), lam)
    stderr = np.sqrt(port.var(axis=1) / port.shape[1] + independent.var(axis=1) / independent.shape[1])
    assert np.all(stderr < 0.5), stderr
    np.testing.assert_array_less(np.abs(port.mean(axis=1) - independent.mean(axis=1)), 4 * stderr)
