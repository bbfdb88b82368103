"""The model's parts as Keras layers: each layer's get_config is JSON and rebuilds it (`from_config`) with the same
variables; the DVAE is a keras.Model whose weight decay is the Keras L2 regularizers of the legacy decay."""
import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2 import baselines
from dvae_tf2.config import Config
from dvae_tf2.distributions import PowerFunctionSmoothing, UniformExponentialSmoothing, serialization
from dvae_tf2.model.dvae import DVAE, build_model
from dvae_tf2.model.networks import FeedForward, regularized_variables, weight_decay_regularizer

CASES = [(codebase, name) for codebase in baselines.CODEBASES for name in baselines.BASELINES[codebase]]


def _model(codebase, baseline):
    extra = ({"struct": "2-layer-nonlin"} if codebase == baselines.DVAE_SHARP
             else {"num_groups": 1 if baseline == "rbm_post" else 2})
    config = Config(codebase=codebase, baseline=baseline, num_latents=8, num_hidden_units=6, num_prior_samples=10,
                    **extra).validate()
    return build_model(config, np.full([784], 0.3, np.float32), training_size=5)


def _shapes(layer):
    """{variable path without the layer's own name: shape} of a built layer."""
    return {v.path.split("/", 1)[-1]: tuple(v.shape) for v in layer.variables}


def _rebuilt(layer, input_width=None):
    config = json.loads(json.dumps(layer.get_config()))   # JSON through and through
    copy = type(layer).from_config(config)
    if input_width is not None:
        copy.build((None, input_width))
    assert copy.get_config() == config
    return copy


@pytest.mark.parametrize("codebase,baseline", CASES)
def test_every_part_rebuilds_from_its_config_with_the_same_variables(codebase, baseline):
    model = _model(codebase, baseline)
    assert isinstance(model, keras.Model)
    encoder = _rebuilt(model.encoder, model.config.input_size)
    assert _shapes(encoder) == _shapes(model.encoder) and _shapes(encoder)
    assert type(encoder.relaxation) is type(model.encoder.relaxation)
    assert (serialization.relaxation_config(getattr(encoder, "relaxation", None))
            == serialization.relaxation_config(getattr(model.encoder, "relaxation", None)))
    decoder = _rebuilt(model.decoder, model.config.num_latents)
    assert _shapes(decoder) == _shapes(model.decoder)
    prior = _rebuilt(model.prior)
    assert type(prior) is type(model.prior) and _shapes(prior) == _shapes(model.prior)
    # The same decayed variables, with the same coefficient.
    for original, copy in ((model.encoder, encoder), (model.decoder, decoder), (model.prior, prior)):
        assert ([(v.path.split("/", 1)[-1], v.regularizer.l2) for v in regularized_variables(copy)]
                == [(v.path.split("/", 1)[-1], v.regularizer.l2) for v in regularized_variables(original)])


def test_the_model_rebuilds_from_its_config():
    model = _model(baselines.DVAE_SHARPSHARP, "dvaes_power")
    copy = DVAE.from_config(json.loads(json.dumps(model.get_config())))
    assert copy.config == model.config and copy.training_size == model.training_size
    np.testing.assert_array_equal(copy.input_mean.numpy(), model.input_mean.numpy())
    assert [tuple(v.shape) for v in copy.variables] == [tuple(v.shape) for v in model.variables]


@pytest.mark.parametrize("smoothing", [PowerFunctionSmoothing(30.0), UniformExponentialSmoothing(8.0, 0.3)])
def test_a_smoothing_description_rebuilds_the_same_density(smoothing):
    copy = serialization.smoothing_from_config(json.loads(json.dumps(serialization.smoothing_config(smoothing))))
    zeta = tf.constant([0.01, 0.3, 0.7, 0.99], tf.float64)
    assert type(copy) is type(smoothing) and copy.parameters == smoothing.parameters
    np.testing.assert_array_equal(copy.log_prob(zeta).numpy(), smoothing.log_prob(zeta).numpy())


def test_a_relaxation_outside_the_package_is_refused_in_one_line():
    with pytest.raises(ValueError, match="cannot describe the relaxation .* a distribution class of "
                                         "dvae_tf2.distributions with keyword settings"):
        serialization.relaxation_config(lambda logits: logits)
    with pytest.raises(ValueError, match="unknown distribution class 'Bernoulli'; valid: ConcreteRelaxedBernoulli"):
        serialization.relaxation_from_config({"class_name": "Bernoulli", "config": {}})


def test_the_l2_regularizer_is_the_legacy_half_squared_norm_and_its_gradient():
    w = tf.Variable(np.random.default_rng(1).normal(size=[5, 3]).astype(np.float32))
    with tf.GradientTape() as tape:
        decay = weight_decay_regularizer(1e-4)(w)
    np.testing.assert_allclose(float(decay), 1e-4 * 0.5 * np.sum(w.numpy().astype(np.float64) ** 2), rtol=1e-6)
    np.testing.assert_array_equal(tape.gradient(decay, w).numpy(), (np.float32(1e-4) * w).numpy())
    assert weight_decay_regularizer(0.0) is None


def test_a_network_without_weight_decay_has_no_regularization_losses():
    net = FeedForward([4], 2, seed=0, weight_decay=0.0, name="undecayed")
    net.build((None, 3))
    assert net.losses == [] and regularized_variables(net) == []
    net = FeedForward([4], 2, seed=0, weight_decay=1e-4, name="decayed")
    net.build((None, 3))
    assert {v.path for v in regularized_variables(net)} == {"decayed/dense_0/kernel", "decayed/norm_0/gamma",
                                                            "decayed/output/kernel"}
    assert len(net.losses) == 3


def _network_keys(prefix, num_hidden, output=True):
    keys = [f"{prefix}/dense_{i}/{name}" for i in range(num_hidden) for name in ("_kernel", "bias")]
    keys += [f"{prefix}/norm_{i}/{name}" for i in range(num_hidden)
             for name in ("beta", "gamma", "moving_mean", "moving_variance")]
    return keys + ([f"{prefix}/output_layer/{name}" for name in ("_kernel", "bias")] if output else [])


@pytest.mark.parametrize("baseline", ["pwl_relax", "rbm_post"])
def test_checkpoint_keys_are_the_attribute_paths_of_the_earlier_tf_module_model(tmp_path, baseline):
    """A checkpoint names each value by attribute path (model/encoder/context/dense_0/_kernel, model/prior/w), as the
    model did when it was a tf.Module: checkpoints written before it became a keras.Model restore. The prior's
    sampler's own keys are left to the sampler."""
    model = _model(baselines.DVAE_SHARPSHARP, baseline)
    prefix = tf.train.Checkpoint(model=model).write(str(tmp_path / "ckpt"))
    keys = {name.split("/.ATTRIBUTES")[0] for name, _ in tf.train.list_variables(prefix)
            if name.startswith("model/") and not name.startswith("model/prior/sampler/")}
    encoder = (_network_keys("model/encoder/net", 2) + ["model/encoder/chains"]
               + [f"model/encoder/coupling_norm/{name}" for name in ("beta", "gamma", "moving_mean", "moving_variance")]
               if baseline == "rbm_post" else
               _network_keys("model/encoder/context", 2, output=False) + _network_keys("model/encoder/group_0", 0)
               + _network_keys("model/encoder/group_1", 0))
    prior = [f"model/prior/{name}" for name in ("b1", "b2", "w", "log_z", "log_z_stderr")]
    assert keys == set(encoder + _network_keys("model/decoder", 2) + prior
                       + ["model/rng/_state_var", "model/eval_rng/_state_var"])
