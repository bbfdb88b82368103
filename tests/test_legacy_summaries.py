"""Training summaries under each code base's names: DVAE# runs write the legacy DVAE# tags (SPEC-DVAE-SHARP Sec. 5),
DVAE## runs their own, each holding the quantity it names."""
import math
import os

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2 import data, objectives
from dvae_tf2.baselines import BASELINES, DVAE_SHARP
from dvae_tf2.config import Config
from dvae_tf2.model import DVAE
from dvae_tf2.networks import l2_half
from dvae_tf2.training import Trainer
from tests.test_tensorboard import written_plugins
from tests.tiny_models import tiny_config

# Written by DVAE# runs only (the DVAE## names are checked to be absent from them and vice versa).
LEGACY_COMMON = {"beta", "kl_coeff", "learning_rate", "obj/recon_loss", "obj/kl", "weigh decay/encoder",
                 "weigh decay/decoder", "weigh decay/total"}
LEGACY_ONLY = LEGACY_COMMON | {"train/neg_elbo", "train/neg_iw_loss", "posterior/lambda", "posterior/sigma",
                               "posterior/eps", "eigen/lambda", "eigen/max_eigen_val", "eigen/min_eigen_val",
                               "weight_norm", "recon", "generated_sample"}
SHARPSHARP_SCALARS = {"train/objective", "train/reconstruction", "train/kl", "train/weight_decay",
                      "train/kl_coefficient", "train/learning_rate", "posterior/beta"}
EXTRAS = {"train/steps_per_second", "prior/log_z_train", "prior/sampler_ess"}
# The legacy smoothing parameters of each DVAE# baseline at beta (posterior/<name>).
SMOOTHING = {"dvae_spike_exp": lambda b: {"beta": b}, "dvaepp_exp": lambda b: {"beta": b},
             "dvaepp_power": lambda b: {"lambda": 1 / b}, "dvaes_gi": lambda b: {},
             "dvaes_gauss": lambda b: {"sigma": math.sqrt(1 / b)}, "dvaes_exp": lambda b: {"beta": b},
             "dvaes_unexp": lambda b: {"beta": b, "eps": 0.05}, "dvaes_power": lambda b: {"lambda": 1 / b}}


@pytest.fixture(scope="module")
def mnist(shared_data_dir):
    return data.load_dataset("binarized_mnist", shared_data_dir, download=False)


def _sharp_config(log_dir, data_dir, **overrides):
    """A DVAE# run of 4 steps with training summaries every 2 and one (cheap) validation at the end."""
    base = dict(codebase=DVAE_SHARP, log_dir=str(log_dir), data_dir=data_dir, baseline="dvaes_power",
                struct="1-layer-nonlin", num_hidden_units=16, num_train_iter=4, eval_every=4, summary_every=2,
                num_prior_samples=100, num_prior_sweeps=2, prior_ais_chains=16, prior_ais_temperatures=10,
                eval_iw_samples=2, val_iw_samples=2, val_stride=1000, test_subset=10, jit_compile=False, seed=4)
    base.update(overrides)
    return Config(**base).validate()


def _train_recording(config, splits):
    """Trains config; returns ({step: {tag: value}} of the events, {step: (TrainingLosses, W after the step)})."""
    trainer = Trainer(config, splits)
    step_function, recorded = trainer._train_step, {}

    def recording_step(x, index):
        losses = step_function(x, index)
        recorded[trainer.step] = (losses, trainer.model.prior.w.numpy().copy())
        return losses

    trainer._train_step = recording_step
    trainer.train()
    events = {}
    for name in os.listdir(config.run_dir):
        if name.startswith("events.out.tfevents"):
            for event in tf.compat.v1.train.summary_iterator(os.path.join(config.run_dir, name)):
                for value in event.summary.value:
                    events.setdefault(event.step, {})[value.tag] = tf.make_ndarray(value.tensor)
    return events, recorded


def test_each_dvae_sharp_baseline_names_its_legacy_smoothing_parameters():
    assert set(SMOOTHING) == set(BASELINES[DVAE_SHARP])
    for name, spec in BASELINES[DVAE_SHARP].items():
        config = Config(codebase=DVAE_SHARP, baseline=name, beta=8.0)
        assert spec.smoothing_parameters(config) == pytest.approx(SMOOTHING[name](8.0)), name
    for spec in BASELINES["dvae_sharpsharp"].values():   # DVAE## writes posterior/beta = beta, nothing else
        assert spec.smoothing_parameters(tiny_config(baseline=spec.name)) == {}


def test_weight_decay_parts_are_the_encoder_decoder_and_prior_terms_of_the_total():
    images = np.zeros([4, 784], np.float32) + 0.3
    config = Config(codebase=DVAE_SHARP, baseline="dvaes_gi", struct="1-layer-nonlin", num_hidden_units=8)
    model = DVAE(config, images.mean(axis=0), training_size=4)
    model.prior.w.assign(np.random.default_rng(0).normal(0, 1, model.prior.w.shape).astype(np.float32))
    parts = {name: float(value) for name, value in model.weight_decay_parts().items()}
    assert parts["encoder"] == pytest.approx(1e-4 * float(l2_half(model.encoder.decay_variables)), rel=1e-6)
    assert parts["decoder"] == pytest.approx(1e-4 * float(l2_half(model.decoder.decay_variables)), rel=1e-6)
    assert parts["prior"] == pytest.approx(1e-4 * 0.5 * np.sum(model.prior.w.numpy() ** 2), rel=1e-5)
    assert min(parts.values()) > 0
    assert sum(parts.values()) == pytest.approx(float(model.weight_decay()), rel=1e-6)
    assert model.decay_variables == sum(model.decay_variable_parts.values(), [])


@pytest.mark.slow
@pytest.mark.parametrize("baseline,k", [("dvaes_power", 1), ("dvaes_unexp", 2), ("dvaes_gi", 1),
                                        ("dvaepp_exp", 2)])
def test_dvae_sharp_run_writes_the_legacy_tags_with_their_quantities(tmp_path, shared_data_dir, mnist, baseline, k):
    config = _sharp_config(tmp_path, shared_data_dir, baseline=baseline, k=k)
    events, recorded = _train_recording(config, mnist)
    tags = events[2]   # a training-summary step without evaluation
    smoothing = SMOOTHING[baseline](config.beta)
    objective = "train/neg_iw_loss" if config.use_iw else "train/neg_elbo"   # dvaepp_exp averages its k ELBOs
    expected = (LEGACY_COMMON | EXTRAS | {objective, "recon", "generated_sample"}
                | {f"posterior/{name}" for name in smoothing}
                | ({"train/iw_ess_fraction"} if k > 1 else set())
                | ({"eigen/lambda", "eigen/max_eigen_val", "eigen/min_eigen_val", "weight_norm"}
                   if baseline == "dvaes_gi" else set()))
    assert set(tags) == expected
    assert set(events[1]) == expected - {"recon", "generated_sample"}   # first step of the session: scalars only
    everywhere = set().union(*events.values())
    assert not everywhere & (SHARPSHARP_SCALARS - {"posterior/beta"} | {"train/reconstruction_images"})
    assert everywhere >= {"val/neg_elbo", "val/neg_ll", "test/neg_elbo", "test/neg_ll"}
    plugins = written_plugins(config.run_dir)
    assert all(len(names) == 1 for names in plugins.values()), plugins
    assert {tag for tag in tags if plugins[tag] == {"images"}} == {"recon", "generated_sample"}

    losses, w = recorded[2]
    parts = {name: float(value) for name, value in losses.weight_decay_parts.items()}
    assert tags["weigh decay/total"] == pytest.approx(float(losses.weight_decay), rel=1e-6)
    assert tags["weigh decay/encoder"] == pytest.approx(parts["encoder"], rel=1e-6)
    assert tags["weigh decay/decoder"] == pytest.approx(parts["decoder"], rel=1e-6)
    # The prior's W is decayed too, in the total only (legacy: total = encoder + decoder + prior).
    assert tags["weigh decay/total"] == pytest.approx(
        tags["weigh decay/encoder"] + tags["weigh decay/decoder"] + parts["prior"], rel=1e-6)
    assert tags["obj/recon_loss"] == pytest.approx(float(losses.reconstruction), rel=1e-6)
    assert tags["kl_coeff"] == pytest.approx(float(losses.coefficient)) and 0 < tags["kl_coeff"] < 1
    boundaries, rates = objectives.piecewise_learning_rates(config.base_lr, config.num_train_iter)
    assert tags["learning_rate"] == pytest.approx(rates[np.searchsorted(boundaries, 2)])
    assert tags["beta"] == pytest.approx(config.beta)
    for name, value in smoothing.items():
        assert tags[f"posterior/{name}"] == pytest.approx(value, rel=1e-6)
    log_w = losses.log_weights.numpy().astype(np.float64)
    if config.use_iw:   # the IW surrogate's value -sum_i w~_i log w_i (not the -IW bound); no KL term
        w_norm = np.exp(log_w - log_w.max(axis=1, keepdims=True))
        w_norm /= w_norm.sum(axis=1, keepdims=True)
        assert tags[objective] == pytest.approx(-np.mean(np.sum(w_norm * log_w, axis=1)), rel=1e-5)
        assert tags[objective] != pytest.approx(float(losses.objective), rel=1e-4)
        assert tags["obj/kl"] == 0.0
    else:   # the annealed -ELBO: recon + c KL over the N x k samples
        assert tags[objective] == pytest.approx(float(losses.objective), rel=1e-6)
        assert tags[objective] == pytest.approx(tags["obj/recon_loss"] + tags["kl_coeff"] * tags["obj/kl"], rel=1e-5)
        assert tags["obj/kl"] == pytest.approx(float(losses.kl), rel=1e-6)
    if baseline == "dvaes_gi":   # spectrum of [[0, W], [W^T, 0]] after the step: +-singular values of W
        sigma_max = np.linalg.svd(w, compute_uv=False)[0]
        assert sigma_max > 0
        assert tags["eigen/max_eigen_val"] == pytest.approx(sigma_max, rel=1e-4)
        assert tags["eigen/min_eigen_val"] == pytest.approx(-sigma_max, rel=1e-4)
        assert tags["eigen/lambda"] == pytest.approx(max(sigma_max + 5.0, config.beta), rel=1e-6)
        assert tags["weight_norm"] == pytest.approx(0.5 * np.sum(w.astype(np.float64) ** 2), rel=1e-5)
    # recon: the 10 x 10 batch grid above its reconstructions; generated_sample: 10 x 10 decoder means.
    width, height = (int(v) for v in tags["recon"][:2])
    assert (height, width) == (560, 280)
    width, height = (int(v) for v in tags["generated_sample"][:2])
    assert (height, width) == (280, 280)


@pytest.mark.slow
@pytest.mark.parametrize("k", [1, 2])
def test_dvae_sharpsharp_run_keeps_its_tags_and_writes_no_legacy_one(tmp_path, shared_data_dir, mnist, k):
    config = tiny_config(log_dir=str(tmp_path), data_dir=shared_data_dir, num_train_iter=4, eval_every=4,
                         summary_every=2, k=k, eval_iw_samples=2, val_stride=1000, test_subset=10,
                         prior_ais_chains=16, prior_ais_temperatures=10)
    assert config.summary_every == 2 and tiny_config().summary_every == 200
    events, recorded = _train_recording(config, mnist)
    expected = SHARPSHARP_SCALARS | EXTRAS | ({"train/iw_ess_fraction"} if k > 1 else set())
    assert set(events[2]) == expected | {"train/reconstruction_images"}
    assert set(events[1]) == expected
    assert not set().union(*events.values()) & LEGACY_ONLY
    losses, _ = recorded[2]
    for tag, value in (("train/objective", losses.objective), ("train/kl", losses.kl),
                       ("train/weight_decay", losses.weight_decay)):
        assert events[2][tag] == pytest.approx(float(value), rel=1e-6)


def test_summary_cadence_defaults_to_the_legacy_one_per_code_base():
    assert Config(codebase=DVAE_SHARP, baseline="dvaes_power").summary_every == 1000
    assert Config(baseline="pwl_relax").summary_every == 200
