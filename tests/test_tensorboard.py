"""TensorBoard reads every tag a short run writes, each under exactly one plugin (slow: it trains)."""
import collections
import os

import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import plugin_event_accumulator
from tensorboard.compat.proto import event_pb2

from dvae_tf2.data import datasets
from dvae_tf2.training import Trainer
from tests.tiny_models import tiny_config


@pytest.fixture(scope="module")
def mnist(shared_data_dir):
    return datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)


def short_run_config(log_dir, data_dir, **overrides):
    """40 steps with summaries and validation every 20: every kind of summary is written twice."""
    return tiny_config(log_dir=str(log_dir), data_dir=data_dir, num_train_iter=40, eval_every=20,
                       summary_every=20, eval_iw_samples=5, val_stride=100, test_subset=50, prior_ais_chains=64,
                       prior_ais_temperatures=100, posterior_ais_temperatures=20, **overrides)


def written_plugins(run_dir):
    """{tag: plugins named in its records' metadata}, read record by record (what the trainer wrote)."""
    plugins = collections.defaultdict(set)
    for name in os.listdir(run_dir):
        if name.startswith("events.out.tfevents"):
            for record in tf.data.TFRecordDataset(os.path.join(run_dir, name)):
                event = event_pb2.Event.FromString(record.numpy())
                for value in event.summary.value:
                    plugins[value.tag].update({value.metadata.plugin_data.plugin_name} - {""})
    return plugins


def tensorboard_plugins(run_dir):
    """{tag: [plugins that show it]} as TensorBoard's event accumulator assigns them."""
    accumulator = plugin_event_accumulator.EventAccumulator(run_dir, size_guidance={"tensors": 0})
    accumulator.Reload()
    plugins = collections.defaultdict(list)
    for plugin in accumulator.ActivePlugins():
        for tag in accumulator.PluginTagToContent(plugin):
            plugins[tag].append(plugin)
    return plugins


@pytest.mark.slow
@pytest.mark.parametrize("baseline,k", [("pwl_relax", 2), ("rbm_post", 1)])
def test_every_written_tag_is_shown_by_exactly_one_plugin(tmp_path, shared_data_dir, mnist, baseline, k):
    config = short_run_config(tmp_path, shared_data_dir, baseline=baseline, k=k)
    Trainer(config, mnist).train()
    written = written_plugins(config.run_dir)
    plugins = tensorboard_plugins(config.run_dir)
    # A tag written by two kinds of summary is shown by the first only: each must have one kind.
    assert {tag: names for tag, names in written.items() if len(names) != 1} == {}
    assert {tag: names for tag, names in plugins.items() if len(names) != 1} == {}
    assert {tag: names.pop() for tag, names in written.items()} == {tag: p for tag, (p,) in plugins.items()}
    by_plugin = collections.defaultdict(set)
    for tag, (plugin,) in plugins.items():
        by_plugin[plugin].add(tag)
    assert {"recon/image", "generated_sample/image", "masked_input/image/0", "masked_input/image/1",
            "masked_input/image/2", "val/reconstruction_images", "samples/generated"} == by_plugin["images"]
    posterior = ({"posterior/b1", "posterior/b2", "posterior/w", "b1", "b2", "w"} if baseline == "rbm_post"
                 else {"posterior/q"})
    assert {"prior/w", "prior/b"} | posterior == by_plugin["histograms"]
    assert {"train/objective", "obj/recon_loss", "obj/kl", "val/neg_ll", "test/neg_ll",
            "prior/log_z_ais"} <= by_plugin["scalars"]
    assert ("train/iw_ess_fraction" in by_plugin["scalars"]) == (k > 1)
    assert by_plugin["hparams"] == {"_hparams_/experiment", "_hparams_/session_start_info"}
    assert set(by_plugin) == {"scalars", "images", "histograms", "hparams"}, dict(by_plugin)
