"""Training summaries under each code base's legacy names, as TF1 wrote them: DVAE# runs write the legacy DVAE#
tags (SPEC-DVAE-SHARP Sec. 5), DVAE## runs the legacy DVAE## ones, each holding the quantity it names; the
port's own quantities keep the port's names. Also the HParams record of a run."""
import dataclasses
import functools
import math
import os

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.model import objectives
from dvae_tf2.baselines import BASELINES, DVAE_SHARP, DVAE_SHARPSHARP
from dvae_tf2.config import Config
from dvae_tf2.model.dvae import DVAE
from dvae_tf2.model.networks import l2_half
from dvae_tf2.training import Trainer, summaries
from dvae_tf2.training.summaries import TRAINING_HISTOGRAM_TAGS, TRAINING_IMAGE_TAGS, TRAINING_TAGS
from tests.test_tensorboard import written_plugins
from tests.tiny_models import tiny_config

# The names the legacy training graphs gave their summaries (vae.py, rbm.py, autoencoder.py, train_eval.py of each
# code base), "weigh decay" (sic) and spaces included: scalars, (image, max_outputs), histograms.
LEGACY_COMMON_NAMES = ("beta", "kl_coeff", "learning_rate", "obj/recon_loss", "obj/kl", "weigh decay/encoder",
                       "weigh decay/decoder", "weigh decay/total")
LEGACY_NAMES = {
    DVAE_SHARPSHARP: (LEGACY_COMMON_NAMES + ("posterior/beta", "posterior/lambda"),
                      (("recon", 1), ("generated_sample", 1), ("masked input", 3)), ("b1", "b2", "w")),
    DVAE_SHARP: (LEGACY_COMMON_NAMES + ("train/neg_elbo", "train/neg_iw_loss", "posterior/beta", "posterior/lambda",
                                        "posterior/sigma", "posterior/eps", "eigen/lambda", "eigen/max_eigen_val",
                                        "eigen/min_eigen_val", "weight_norm"),
                 (("recon", 1), ("generated_sample", 1)), ()),
}
# The port's quantities without a legacy summary, under the port's names.
PORT_ONLY = {"train/objective", "train/steps_per_second", "prior/log_z_train", "prior/sampler_ess",
             "train/iw_ess_fraction"}
EXTRAS = {"train/steps_per_second", "prior/log_z_train", "prior/sampler_ess"}
OLD_SHARPSHARP_NAMES = {"train/reconstruction", "train/kl", "train/weight_decay", "train/kl_coefficient",
                        "train/learning_rate", "train/reconstruction_images"}


@functools.lru_cache(maxsize=None)
def tf1_tags(scalars=(), images=(), histograms=()):
    """The tags a TF1 graph's summaries of these names wrote (tf.compat.v1.summary in graph mode, merged and run)."""
    if not scalars + images + histograms:
        return set()
    with tf.Graph().as_default():
        for name in scalars:
            tf.compat.v1.summary.scalar(name, tf.constant(1.0))
        for name, max_outputs in images:
            tf.compat.v1.summary.image(name, tf.zeros([max_outputs, 28, 28, 1]), max_outputs=max_outputs)
        for name in histograms:
            tf.compat.v1.summary.histogram(name, tf.zeros([3]))
        with tf.compat.v1.Session() as session:
            serialized = session.run(tf.compat.v1.summary.merge_all())
    return {value.tag for value in tf.compat.v1.Summary.FromString(serialized).value}


LEGACY_COMMON = tf1_tags(LEGACY_COMMON_NAMES)
# The legacy smoothing parameters of each DVAE# baseline at beta (posterior/<name>).
SMOOTHING = {"dvae_spike_exp": lambda b: {"beta": b}, "dvaepp_exp": lambda b: {"beta": b},
             "dvaepp_power": lambda b: {"lambda": 1 / b}, "dvaes_gi": lambda b: {},
             "dvaes_gauss": lambda b: {"sigma": math.sqrt(1 / b)}, "dvaes_exp": lambda b: {"beta": b},
             "dvaes_unexp": lambda b: {"beta": b, "eps": 0.05}, "dvaes_power": lambda b: {"lambda": 1 / b}}


@pytest.fixture(scope="module")
def mnist(shared_data_dir):
    return datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)


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
    recorded = {}

    def record(step, losses):
        recorded[step] = (losses, trainer.model.prior.w.numpy().copy())

    trainer.train(on_step=record)
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
    # DVAE##: posterior/beta for the relaxations, posterior/lambda for the power smoothing, nothing for rbm_post.
    sharpsharp = {"pwl_relax": {"beta": 8.0}, "gsm_relax": {"beta": 8.0}, "dvaes_power": {"lambda": 1 / 8.0},
                  "rbm_post": {}}
    assert set(sharpsharp) == set(BASELINES[DVAE_SHARPSHARP])
    for spec in BASELINES[DVAE_SHARPSHARP].values():
        assert spec.smoothing_parameters(tiny_config(baseline=spec.name, beta=8.0)) == sharpsharp[spec.name]


@pytest.mark.parametrize("codebase", [DVAE_SHARPSHARP, DVAE_SHARP])
def test_each_table_holds_the_tags_tf1_wrote_for_the_legacy_names(codebase):
    scalars, images, histograms = LEGACY_NAMES[codebase]
    assert set(TRAINING_TAGS[codebase].values()) - PORT_ONLY == tf1_tags(scalars)
    assert set(TRAINING_IMAGE_TAGS[codebase].values()) == tf1_tags(images=images)
    assert set(TRAINING_HISTOGRAM_TAGS[codebase].values()) == tf1_tags(histograms=histograms)
    assert "weigh_decay/total" in tf1_tags(scalars) and "masked_input/image/2" in tf1_tags(images=images) \
        or codebase == DVAE_SHARP


def _hparams_records(run_dir):
    """{tag: HParamsPluginData} of the HParams plugin's records in run_dir, read by TensorBoard's accumulator."""
    from tensorboard.backend.event_processing import plugin_event_accumulator
    from tensorboard.plugins.hparams import plugin_data_pb2
    accumulator = plugin_event_accumulator.EventAccumulator(run_dir, size_guidance={"tensors": 0})
    accumulator.Reload()
    return {tag: plugin_data_pb2.HParamsPluginData.FromString(content)
            for tag, content in accumulator.PluginTagToContent("hparams").items()}


def _hparam_value(value):
    kind = value.WhichOneof("kind")
    return {"number_value": value.number_value, "string_value": value.string_value,
            "bool_value": value.bool_value}[kind]


def test_hyperparameters_reach_tensorboards_hparams_plugin(tmp_path):
    config = tiny_config(log_dir=str(tmp_path), baseline="rbm_post", seed=7, run_suffix="seed7")
    writer = summaries.RunSummaries(config.run_dir, config)
    writer.hyperparameters(40)
    writer.flush()
    records = _hparams_records(config.run_dir)
    assert set(records) == {"_hparams_/experiment", "_hparams_/session_start_info"}
    experiment = records["_hparams_/experiment"].experiment
    assert [info.name.tag for info in experiment.metric_infos] == [t for t, _ in summaries.HPARAMS_METRICS]
    assert {info.name for info in experiment.hparam_infos} == {f.name for f in dataclasses.fields(Config)}
    start = records["_hparams_/session_start_info"].session_start_info
    set_fields = {f.name: getattr(config, f.name) for f in dataclasses.fields(Config)
                  if getattr(config, f.name) is not None}
    assert {name: _hparam_value(value) for name, value in start.hparams.items()} == set_fields
    assert start.group_name == os.path.join("binarized_mnist", "vae", "12", "rbm_post", "1", "1-seed7")


def _kernels_and_gammas(*layers):
    """The legacy decay targets of networks, picked by name: every kernel and batch-norm gamma."""
    return [v for layer in layers for v in layer.trainable_variables if v.path.endswith(("/kernel", "/gamma"))]


def test_weight_decay_parts_are_the_encoder_decoder_and_prior_terms_of_the_total():
    images = np.zeros([4, 784], np.float32) + 0.3
    config = Config(codebase=DVAE_SHARP, baseline="dvaes_gi", struct="1-layer-nonlin", num_hidden_units=8)
    model = DVAE(config, images.mean(axis=0), training_size=4)
    model.prior.w.assign(np.random.default_rng(0).normal(0, 1, model.prior.w.shape).astype(np.float32))
    parts = {name: float(value) for name, value in model.weight_decay_parts().items()}
    assert parts["encoder"] == pytest.approx(1e-4 * float(l2_half(_kernels_and_gammas(model.encoder))), rel=1e-6)
    assert parts["decoder"] == pytest.approx(1e-4 * float(l2_half(_kernels_and_gammas(model.decoder))), rel=1e-6)
    assert parts["prior"] == pytest.approx(1e-4 * 0.5 * np.sum(model.prior.w.numpy() ** 2), rel=1e-5)
    assert min(parts.values()) > 0
    assert sum(parts.values()) == pytest.approx(float(model.weight_decay()), rel=1e-6)
    assert model.decay_variables == sum(model.decay_variable_parts.values(), [])
    # DVAE## directed posteriors: the shared context (legacy pre_proc) is its own part, in the total only.
    model = DVAE(tiny_config(baseline="pwl_relax", num_groups=2), images.mean(axis=0), training_size=4)
    parts = {name: float(value) for name, value in model.weight_decay_parts().items()}
    groups = _kernels_and_gammas(*model.encoder.group_layers)
    assert parts["encoder_context"] == pytest.approx(1e-4 * float(l2_half(_kernels_and_gammas(model.encoder.context))))
    assert parts["encoder"] == pytest.approx(1e-4 * float(l2_half(groups))) and min(parts.values()) >= 0
    assert sum(parts.values()) == pytest.approx(float(model.weight_decay()), rel=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("baseline,k", [("dvaes_power", 1), ("dvaes_unexp", 2), ("dvaes_gi", 1),
                                        ("dvaepp_exp", 2)])
def test_dvae_sharp_run_writes_the_legacy_tags_with_their_quantities(tmp_path, shared_data_dir, mnist, baseline, k):
    config = _sharp_config(tmp_path, shared_data_dir, baseline=baseline, k=k)
    events, recorded = _train_recording(config, mnist)
    tags = events[2]   # a training-summary step without evaluation
    smoothing = SMOOTHING[baseline](config.beta)
    objective = "train/neg_iw_loss" if config.use_iw else "train/neg_elbo"   # dvaepp_exp averages its k ELBOs
    expected = (LEGACY_COMMON | EXTRAS | {objective, "recon/image", "generated_sample/image"}
                | {f"posterior/{name}" for name in smoothing}
                | ({"train/iw_ess_fraction"} if k > 1 else set())
                | ({"eigen/lambda", "eigen/max_eigen_val", "eigen/min_eigen_val", "weight_norm"}
                   if baseline == "dvaes_gi" else set()))
    assert set(tags) == expected
    # The first step of the session: scalars only.
    assert set(events[1]) == expected - {"recon/image", "generated_sample/image"}
    everywhere = set().union(*events.values())
    assert not everywhere & (OLD_SHARPSHARP_NAMES | {"masked_input/image/0", "b1"})
    assert everywhere >= {"val/neg_elbo", "val/neg_ll", "test/neg_elbo", "test/neg_ll"}
    plugins = written_plugins(config.run_dir)
    assert all(len(names) == 1 for names in plugins.values()), plugins
    assert {tag for tag in tags if plugins[tag] == {"images"}} == {"recon/image", "generated_sample/image"}

    losses, w = recorded[2]
    parts = {name: float(value) for name, value in losses.weight_decay_parts.items()}
    assert tags["weigh_decay/total"] == pytest.approx(float(losses.weight_decay), rel=1e-6)
    assert tags["weigh_decay/encoder"] == pytest.approx(parts["encoder"], rel=1e-6)
    assert tags["weigh_decay/decoder"] == pytest.approx(parts["decoder"], rel=1e-6)
    # The prior's W is decayed too, in the total only (legacy: total = encoder + decoder + prior).
    assert tags["weigh_decay/total"] == pytest.approx(
        tags["weigh_decay/encoder"] + tags["weigh_decay/decoder"] + parts["prior"], rel=1e-6)
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
    width, height = (int(v) for v in tags["recon/image"][:2])
    assert (height, width) == (560, 280)
    width, height = (int(v) for v in tags["generated_sample/image"][:2])
    assert (height, width) == (280, 280)


@pytest.mark.slow
@pytest.mark.parametrize("baseline,k", [("pwl_relax", 1), ("pwl_relax", 2), ("rbm_post", 1)])
def test_dvae_sharpsharp_run_writes_the_legacy_tags_with_their_quantities(tmp_path, shared_data_dir, mnist, baseline,
                                                                          k):
    config = tiny_config(log_dir=str(tmp_path), data_dir=shared_data_dir, num_train_iter=4, eval_every=4,
                         summary_every=2, k=k, eval_iw_samples=2, val_stride=1000, test_subset=10,
                         prior_ais_chains=16, prior_ais_temperatures=10, baseline=baseline,
                         posterior_ais_temperatures=5)
    events, recorded = _train_recording(config, mnist)
    smoothing = {"posterior/beta"} if baseline == "pwl_relax" else set()
    scalars = (tf1_tags(LEGACY_COMMON_NAMES) | smoothing | {"train/objective"} | EXTRAS
               | ({"train/iw_ess_fraction"} if k > 1 else set()))
    histograms = {"b1", "b2", "w"} if baseline == "rbm_post" else set()
    images = {"recon/image", "generated_sample/image", "masked_input/image/0", "masked_input/image/1",
              "masked_input/image/2"}
    assert set(events[2]) == scalars | images | histograms
    assert set(events[1]) == scalars   # first step of the session: scalars only
    everywhere = set().union(*events.values())
    sharp_only = tf1_tags(*LEGACY_NAMES[DVAE_SHARP]) - tf1_tags(*LEGACY_NAMES[DVAE_SHARPSHARP])
    assert not everywhere & (OLD_SHARPSHARP_NAMES | sharp_only)
    plugins = written_plugins(config.run_dir)
    assert {tag for tag in events[2] if plugins[tag] == {"images"}} == images
    assert {tag for tag in events[2] if plugins[tag] == {"histograms"}} == histograms
    tags, (losses, _) = events[2], recorded[2]
    parts = {name: float(value) for name, value in losses.weight_decay_parts.items()}
    for tag, value in (("train/objective", losses.objective), ("obj/kl", losses.kl),
                       ("obj/recon_loss", losses.reconstruction), ("weigh_decay/total", losses.weight_decay),
                       ("weigh_decay/encoder", parts["encoder"]), ("weigh_decay/decoder", parts["decoder"]),
                       ("kl_coeff", losses.coefficient), ("beta", config.beta)):
        assert tags[tag] == pytest.approx(float(value), rel=1e-6), tag
    # Legacy: total = encoder + decoder + prior + pre_proc, the directed posteriors' context (not in "encoder").
    context = parts.get("encoder_context", 0.0)
    assert (context > 0) == (baseline != "rbm_post")
    assert tags["weigh_decay/total"] == pytest.approx(
        tags["weigh_decay/encoder"] + tags["weigh_decay/decoder"] + parts["prior"] + context, rel=1e-6)
    if smoothing:
        assert tags["posterior/beta"] == pytest.approx(config.beta)
    boundaries, rates = objectives.piecewise_learning_rates(config.base_lr, config.num_train_iter)
    assert tags["learning_rate"] == pytest.approx(rates[np.searchsorted(boundaries, 2)])
    # masked_input: the first 3 training inputs as 28 x 28 images (vae: unmasked); recon: 10 x 10 grid above grid.
    for i in range(3):
        assert [int(v) for v in tags[f"masked_input/image/{i}"][:2]] == [28, 28]
    assert [int(v) for v in tags["recon/image"][:2]] == [280, 560]
    if histograms:   # the histogram of the batch's posterior couplings: [k, 3] buckets holding N * n1 * n2 values
        n = config.num_latents // 2
        assert tags["w"][:, 2].sum() == pytest.approx(config.batch_size * n * n)
    records = _hparams_records(config.run_dir)
    assert records["_hparams_/session_start_info"].session_start_info.hparams["baseline"].string_value == baseline


def test_summary_cadence_defaults_to_the_legacy_one_of_both_code_bases():
    assert Config(codebase=DVAE_SHARP, baseline="dvaes_power").summary_every == 1000   # train_eval.py: report_iter
    assert Config(baseline="pwl_relax").summary_every == 1000
