"""The baseline registry: one entry per baseline, defaults filled from it, unknown names refused."""
import pytest

from dvae_tf2 import baselines
from dvae_tf2.config import Config
from dvae_tf2.distributions import ConcreteRelaxedBernoulli, OverlappingMixture, PWLRelaxedBernoulli
from dvae_tf2.model import DVAE
from dvae_tf2.posteriors import HierarchicalPosterior, RBMPosterior
from dvae_tf2.priors import MarginalRBMPrior, RBMPrior

import numpy as np
import tensorflow as tf


def test_registry_names_the_dvaess_baselines():
    assert set(baselines.BASELINES) == {"dvaes_power", "pwl_relax", "gsm_relax", "rbm_post"}
    with pytest.raises(ValueError, match="--baseline='foo' is invalid; valid values: dvaes_power, pwl_relax"):
        baselines.get_baseline("foo")
    with pytest.raises(ValueError, match="--baseline='foo' is invalid"):
        Config(baseline="foo")


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
])
def test_each_baseline_builds_its_posterior_relaxation_and_prior(baseline, posterior, distribution, prior):
    config = Config(baseline=baseline, num_latents=8, num_hidden_units=6, num_prior_samples=10).validate()
    model = DVAE(config, np.full([784], 0.3, np.float32), training_size=20)
    assert type(model.encoder) is posterior and type(model.prior) is prior
    if distribution is not None:
        assert type(model.encoder.relaxation(tf.zeros([2, 8]))) is distribution
