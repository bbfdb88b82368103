"""Which variables carry weight decay, per baseline and experiment (the legacy DVAE## choice).

Legacy: every network decays the kernels and batch-norm gammas under its own scope (encoder,
context, decoder); the RBM prior decays W; the RBM posterior's coupling batch norm lies outside
the encoder scope and is not decayed. Biases and BN betas are never decayed.
"""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.config import Config
from dvae_tf2.model.dvae import build_model


def _network(prefix, num_hidden, output=True):
    kernels = [f"{prefix}/dense_{i}/kernel" for i in range(num_hidden)]
    gammas = [f"{prefix}/norm_{i}/gamma" for i in range(num_hidden)]
    return kernels + gammas + ([f"{prefix}/output/kernel"] if output else [])


def _directed(num_hidden, num_groups):
    return (_network("hierarchical_posterior/context", num_hidden, output=False)
            + [f"hierarchical_posterior/group_{i}/output/kernel" for i in range(num_groups)])


def _expected(baseline, experiment, num_groups):
    num_hidden = 1 if experiment == "struct" else 2
    encoder = (_network("rbm_posterior/net", num_hidden) if baseline == "rbm_post"
               else _directed(num_hidden, num_groups))
    return set(encoder + _network("decoder", num_hidden))


def _model(baseline, experiment, num_groups):
    config = Config(baseline=baseline, experiment=experiment, num_groups=num_groups, num_latents=8,
                    num_hidden_units=6, num_prior_samples=10).validate()
    return build_model(config, np.full([784], 0.3, np.float32), training_size=20)


CASES = [(baseline, experiment, 1 if baseline == "rbm_post" else 2)
         for baseline in ("pwl_relax", "gsm_relax", "dvaes_power", "rbm_post") for experiment in ("vae", "struct")]


@pytest.mark.parametrize("baseline,experiment,num_groups", CASES)
def test_decayed_variables_are_the_legacy_ones(baseline, experiment, num_groups):
    model = _model(baseline, experiment, num_groups)
    decayed = model.decay_variables
    prior_w = [] if model.prior is None else [model.prior.w]   # struct has no prior
    assert (experiment == "vae") == bool(prior_w)
    assert all(any(v is w for v in decayed) for w in prior_w)
    network_names = [v.path for v in decayed if not any(v is w for w in prior_w)]
    assert len(network_names) == len(set(network_names))
    assert set(network_names) == _expected(baseline, experiment, num_groups)


@pytest.mark.parametrize("baseline,experiment,num_groups", CASES)
def test_weight_decay_is_half_the_squared_norm_of_exactly_those_variables(baseline, experiment, num_groups):
    model = _model(baseline, experiment, num_groups)
    if model.prior is not None:
        model.prior.w.assign(tf.ones_like(model.prior.w))
    by_path = {v.path: v for v in model.encoder.variables + model.decoder.variables}
    expected = sum(0.5 * float(tf.reduce_sum(tf.square(by_path[name])))
                   for name in _expected(baseline, experiment, num_groups))
    if experiment == "vae":
        expected += 0.5 * model.prior.w.shape.num_elements()
    np.testing.assert_allclose(float(model.weight_decay()), 1e-4 * expected, rtol=1e-5)


def test_rbm_posterior_coupling_norm_gamma_gets_no_decay_gradient():
    model = _model("rbm_post", "vae", 1)
    gamma = model.encoder.coupling_norm.gamma
    kernel = model.encoder.net.output_layer.kernel
    with tf.GradientTape() as tape:
        loss = model.weight_decay()
    grad_gamma, grad_kernel = tape.gradient(loss, [gamma, kernel])
    assert grad_gamma is None
    np.testing.assert_allclose(grad_kernel.numpy(), 1e-4 * kernel.numpy(), rtol=1e-5)


@pytest.mark.parametrize("struct,num_groups,num_hidden", [("1-layer-lin", 1, 0), ("4-layer-nonlin", 4, 2)])
def test_dvae_sharp_decays_every_group_network_the_decoder_and_the_prior(struct, num_groups, num_hidden):
    config = Config(codebase="dvae_sharp", baseline="dvaes_power", struct=struct, num_hidden_units=6,
                    num_prior_samples=10).validate()
    model = build_model(config, np.full([784], 0.3, np.float32), training_size=20)
    names = {v.path for v in model.decay_variables if v is not model.prior.w}
    groups = [name for i in range(num_groups) for name in _network(f"hierarchical_posterior/group_{i}", num_hidden)]
    assert names == set(groups + _network("decoder", num_hidden))
    assert any(v is model.prior.w for v in model.decay_variables)
