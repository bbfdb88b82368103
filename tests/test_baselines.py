"""The baseline registry: one entry per baseline and code base, defaults filled from it, unknown names refused."""
import os

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2 import baselines
from dvae_tf2.baselines import DVAE_SHARP, DVAE_SHARPSHARP
from dvae_tf2.config import Config
from dvae_tf2.distributions import ConcreteRelaxedBernoulli, OverlappingMixture, PWLRelaxedBernoulli
from dvae_tf2.model.dvae import build_model
from dvae_tf2.posteriors import HierarchicalPosterior, RBMPosterior
from dvae_tf2.priors import MarginalRBMPrior, OverlappingCrossEntropyPrior, RBMPrior


def test_registry_names_the_baselines_of_each_code_base():
    assert set(baselines.BASELINES[DVAE_SHARPSHARP]) == {"dvaes_power", "pwl_relax", "gsm_relax", "rbm_post"}
    assert set(baselines.BASELINES[DVAE_SHARP]) == {"dvae_spike_exp", "dvaepp_exp", "dvaepp_power", "dvaes_gauss",
                                                   "dvaes_exp", "dvaes_unexp", "dvaes_power", "dvaes_gi"}
    assert baselines.codebases_of("dvaes_power") == (DVAE_SHARPSHARP, DVAE_SHARP)
    assert baselines.codebases_of("rbm_post") == (DVAE_SHARPSHARP,)
    assert baselines.codebases_of("dvaes_gi") == baselines.codebases_of("dvae_spike_exp") == (DVAE_SHARP,)
    with pytest.raises(ValueError, match="--baseline='foo' is invalid for the dvae_sharpsharp code base; valid "
                                         "values: dvaes_power, pwl_relax"):
        baselines.get_baseline("foo")
    with pytest.raises(ValueError, match="--baseline='foo' is invalid"):
        Config(baseline="foo")
    with pytest.raises(ValueError, match="--baseline='rbm_post' is invalid for the dvae_sharp code base"):
        Config(codebase=DVAE_SHARP, baseline="rbm_post")


@pytest.mark.parametrize("dataset,struct,baseline,beta", [
    # Cells of the DVAE# beta table (dataset x struct x baseline).
    ("binarized_mnist", "1-layer-lin", "dvaepp_exp", 12.0), ("binarized_mnist", "1-layer-nonlin", "dvaes_power", 40.0),
    ("binarized_mnist", "1-layer-nonlin", "dvaepp_exp", 14.0), ("binarized_mnist", "2-layer-nonlin", "dvaes_unexp", 16.0),
    ("binarized_mnist", "4-layer-nonlin", "dvaes_gauss", 25.0), ("omniglot", "1-layer-lin", "dvaepp_exp", 14.0),
    ("omniglot", "1-layer-nonlin", "dvaes_exp", 10.0), ("omniglot", "2-layer-nonlin", "dvaes_power", 20.0),
    ("omniglot", "4-layer-nonlin", "dvaes_exp", 8.0), ("omniglot", "1-layer-nonlin", "dvaepp_power", 40.0),
])
def test_dvae_sharp_beta_table(dataset, struct, baseline, beta):
    config = Config(codebase=DVAE_SHARP, dataset=dataset, struct=struct, baseline=baseline).validate()
    assert config.beta == beta
    assert Config(codebase=DVAE_SHARP, dataset=dataset, struct=struct, baseline=baseline, beta=3.5).beta == 3.5


@pytest.mark.parametrize("struct,groups,latents,hidden", [
    ("1-layer-lin", 1, 200, 0), ("1-layer-nonlin", 1, 200, 2), ("2-layer-nonlin", 2, 400, 2),
    ("4-layer-nonlin", 4, 400, 2)])
def test_dvae_sharp_struct_sets_groups_latents_and_networks(struct, groups, latents, hidden):
    config = Config(codebase=DVAE_SHARP, baseline="dvaes_power", struct=struct, k=3, log_dir="/l").validate()
    assert (config.num_groups, config.num_latents, config.num_hidden_layers) == (groups, latents, hidden)
    assert (config.num_vars1, config.num_vars2) == (latents // 2, latents // 2)
    assert config.run_dir == os.path.join("/l", "binarized_mnist", struct, "dvaes_power", "3")
    assert (config.val_stride, config.validation_iw_samples, config.prior_ais_temperatures) == (1, 100, 1000)
    model = build_model(config, np.full([784], 0.3, np.float32), training_size=20)
    encoder = model.encoder
    assert encoder.context.output_width == 784                        # no shared context: x - m itself
    widths = [(layer.num_hidden_layers, layer.output_layer.units) for layer in encoder.group_layers]
    assert widths == [(hidden, latents // groups)] * groups
    assert model.decoder.num_hidden_layers == hidden
    assert all(norm.momentum == 0.8 for norm in model.decoder.norm_layers + encoder.group_layers[0].norm_layers)
    # Group i reads [x - m, zeta_1..zeta_{i-1}].
    assert [layer.dense_layers[0].kernel.shape[0] if hidden else layer.output_layer.kernel.shape[0]
            for layer in encoder.group_layers] == [784 + i * latents // groups for i in range(groups)]


def test_dvae_sharp_uses_iw_only_for_dvae_sharp_baselines():
    sharp = dict(codebase=DVAE_SHARP, struct="1-layer-nonlin", k=5)
    assert Config(baseline="dvaes_exp", **sharp).use_iw
    assert not Config(baseline="dvaepp_exp", **sharp).use_iw
    assert not Config(baseline="dvaes_exp", **dict(sharp, k=1)).use_iw
    assert Config(baseline="pwl_relax", k=2).use_iw
    with pytest.raises(ValueError, match="--struct=1-layer-lin belongs to the DVAE# code base"):
        Config(baseline="dvaes_power", struct="1-layer-lin").validate()
    with pytest.raises(ValueError, match="--experiment=struct is a DVAE## experiment"):
        Config(codebase=DVAE_SHARP, baseline="dvaes_power", experiment="struct").validate()


@pytest.mark.parametrize("baseline,dataset,beta", [
    ("pwl_relax", "binarized_mnist", 4.0), ("pwl_relax", "omniglot", 3.0),
    ("gsm_relax", "binarized_mnist", 10.0), ("gsm_relax", "omniglot", 10.0),
    ("rbm_post", "binarized_mnist", 4.0), ("rbm_post", "omniglot", 3.0),
    ("dvaes_power", "binarized_mnist", 30.0), ("dvaes_power", "omniglot", 30.0),
])
def test_config_fills_the_legacy_beta_from_the_registry(baseline, dataset, beta):
    assert Config(baseline=baseline, dataset=dataset).beta == beta
    assert Config(baseline=baseline, dataset=dataset, beta=2.5).beta == 2.5


def test_config_fills_schedule_defaults():
    assert Config(experiment="struct").base_lr == 3e-4 and Config().base_lr == 3e-3
    assert Config(num_train_iter=100000).eval_every == 10000 and Config().eval_every == 20000


@pytest.mark.parametrize("baseline,posterior,distribution,prior", [
    ("pwl_relax", HierarchicalPosterior, PWLRelaxedBernoulli, RBMPrior),
    ("gsm_relax", HierarchicalPosterior, ConcreteRelaxedBernoulli, RBMPrior),
    ("dvaes_power", HierarchicalPosterior, OverlappingMixture, MarginalRBMPrior),
    ("rbm_post", RBMPosterior, None, RBMPrior),
    ("dvae_sharp:dvaes_exp", HierarchicalPosterior, OverlappingMixture, MarginalRBMPrior),
    ("dvae_sharp:dvaepp_power", HierarchicalPosterior, OverlappingMixture, OverlappingCrossEntropyPrior),
])
def test_each_baseline_builds_its_posterior_relaxation_and_prior(baseline, posterior, distribution, prior):
    codebase, _, baseline = baseline.rpartition(":")
    config = Config(codebase=codebase or DVAE_SHARPSHARP, baseline=baseline, num_latents=8, num_hidden_units=6,
                    num_prior_samples=10).validate()
    model = build_model(config, np.full([784], 0.3, np.float32), training_size=20)
    assert type(model.encoder) is posterior and type(model.prior) is prior
    if distribution is not None:
        assert type(model.encoder.relaxation(tf.zeros([2, 8]))) is distribution
        draw = model.encoder.training_draw(model.encoder_input(tf.zeros([2, 784])), None, 3, model.rng)
        assert draw.zeta.shape == (6, config.num_latents)
