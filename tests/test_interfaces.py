"""The written contracts (posteriors.Posterior, priors.Prior, samplers.TrainingSampler): every registered baseline's
posterior and prior and every training sampler implement them, and what they return has the stated shapes and
meaning."""
import functools
import types

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2 import baselines
from dvae_tf2 import config as config_lib
from dvae_tf2.config import Config
from dvae_tf2.posteriors import EvaluationDraw, Posterior, TrainingDraw
from dvae_tf2.priors import Prior, PriorTerms, RBMPrior
from dvae_tf2.priors.rbm_prior import SampledMarginalPrior
from dvae_tf2.samplers import (TRAINING_SAMPLERS, Population, SamplerOutput, SamplerSettings, TrainingSampler,
                               training_sampler)
from dvae_tf2.training import Trainer

CASES = [(codebase, name) for codebase in baselines.CODEBASES for name in baselines.BASELINES[codebase]]
N, K, TRAINING_SIZE = 3, 2, 5


def _config(codebase, baseline):
    extra = ({"struct": "2-layer-nonlin"} if codebase == baselines.DVAE_SHARP
             else {"num_groups": 1 if baseline == "rbm_post" else 2})
    return Config(codebase=codebase, baseline=baseline, num_latents=8, num_hidden_units=6, num_prior_samples=10,
                  num_prior_sweeps=2, num_gibbs_sweeps=2, posterior_ais_temperatures=20, k=K, **extra).validate()


@functools.lru_cache(maxsize=None)   # built once per baseline for the tests below
def _parts(codebase, baseline):
    config = _config(codebase, baseline)
    posterior = config.baseline_spec.posterior(config, TRAINING_SIZE, seed=1)
    posterior.build((None, config.input_size))
    return config, posterior, config.baseline_spec.prior(config)


def _implements(obj, contract):
    return isinstance(obj, contract) and not type(obj).__abstractmethods__


@pytest.mark.parametrize("codebase,baseline", CASES)
def test_every_baseline_posterior_keeps_the_posterior_contract(codebase, baseline):
    config, posterior, _ = _parts(codebase, baseline)
    assert _implements(posterior, Posterior)
    assert isinstance(type(posterior).undirected, bool)
    x = tf.constant(np.random.default_rng(0).uniform(-0.5, 0.5, [N, config.input_size]), tf.float32)
    rng = tf.random.Generator.from_seed(2)
    n = config.num_latents
    draw = posterior.training_draw(x, tf.range(N), K, rng)
    assert isinstance(draw, TrainingDraw)
    assert draw.zeta.shape == draw.rb_point.shape == (N * K, n)
    assert draw.neg_entropy.shape == draw.log_q.shape == (N * K,)
    assert draw.logits is None if posterior.undirected else draw.logits.shape == (N * K, n)
    evaluation = posterior.evaluation_draw(x, K, rng)
    assert isinstance(evaluation, EvaluationDraw)
    assert evaluation.z.shape == (N, K, n) and evaluation.log_q.shape == (N, K)
    assert set(np.unique(evaluation.z.numpy())) <= {0.0, 1.0}
    if posterior.undirected:
        params = posterior.params(x, training=False)
        assert params.w.shape == (N, config.num_vars1, config.num_vars2)
    assert set(posterior.decay_layer_parts) <= {"encoder_context", "encoder"}
    assert posterior.parameter_summaries(x, rng)


@pytest.mark.parametrize("codebase,baseline", CASES)
def test_every_baseline_prior_keeps_the_prior_contract(codebase, baseline):
    config, posterior, prior = _parts(codebase, baseline)
    assert _implements(prior, Prior) and _implements(prior.sampler, TrainingSampler)
    rng = np.random.default_rng(4)
    for variable in prior.variables_to_train:
        variable.assign(rng.normal(0.0, 0.3, variable.shape).astype(np.float32))
    samples = prior.sample_for_training()
    assert isinstance(samples, SamplerOutput) and samples.z1.shape == (1, 10, config.num_vars1)
    log_z = prior.log_z_surrogate(samples)
    x = tf.constant(rng.uniform(-0.5, 0.5, [N, config.input_size]), tf.float32)
    draw = posterior.training_draw(x, tf.range(N), K, tf.random.Generator.from_seed(2))
    with tf.GradientTape() as tape:
        terms = prior.training_terms(draw, log_z)
        total = tf.reduce_sum(terms.kl)
    assert isinstance(terms, PriorTerms) and terms.log_prob.shape == terms.kl.shape == (N * K,)
    # The KL term carries the prior's gradient.
    assert all(g is not None for g in tape.gradient(total, prior.variables_to_train))
    if isinstance(prior, SampledMarginalPrior):
        # The marginal's log p at the samples is the whole cross-entropy.
        np.testing.assert_allclose(terms.kl.numpy(), (-terms.log_prob + draw.neg_entropy).numpy(), rtol=1e-5,
                                   atol=1e-5)
    else:
        # The plain RBM's log p(zeta) = -E(zeta) - log Z at the samples.
        np.testing.assert_allclose(terms.log_prob.numpy(), (-prior.energy(draw.zeta) - log_z).numpy(), rtol=1e-6)
    if type(prior) is RBMPrior:
        np.testing.assert_allclose(terms.kl.numpy(), (prior.energy(draw.rb_point) + log_z + draw.neg_entropy).numpy(),
                                   rtol=1e-6)


@pytest.mark.parametrize("codebase,baseline", [case for case in CASES if case[1] in ("dvaes_gi", "dvaes_power")])
def test_a_marginal_prior_computes_its_log_prob_once_for_both_terms(codebase, baseline, monkeypatch):
    config, posterior, prior = _parts(codebase, baseline)
    assert isinstance(prior, SampledMarginalPrior)
    calls = []
    original = prior.training_log_prob
    monkeypatch.setattr(prior, "training_log_prob", lambda zeta, log_z: calls.append(1) or original(zeta, log_z))
    x = tf.zeros([N, config.input_size])
    prior.training_terms(posterior.training_draw(x, tf.range(N), K, tf.random.Generator.from_seed(2)),
                         tf.constant(0.0))
    assert len(calls) == 1


@pytest.mark.parametrize("name", sorted(TRAINING_SAMPLERS))
def test_every_training_sampler_keeps_the_sampler_contract_and_builds_from_the_settings(name):
    settings = SamplerSettings(3, 4, num_chains=6, num_sweeps=4, seed=7, old_sweep_fraction=0.5)
    sampler = training_sampler(name, settings)
    assert type(sampler) is TRAINING_SAMPLERS[name]
    assert _implements(sampler, TrainingSampler) and isinstance(type(sampler).restarts_by_annealing, bool)
    assert sampler.num_chains == 6 and sampler.num_sweeps == 4
    params = RBMPrior(3, 4, sampler="pcd", num_samples=2, num_sweeps=1).params()
    out = sampler.sample(params)
    assert isinstance(out, SamplerOutput)
    assert out.z1.shape == (1, 6, 3) and out.z2.shape == (1, 6, 4) and out.log_z.shape == out.ess.shape == ()
    population = sampler.population_at(params)
    assert isinstance(population, Population) and population.z1.shape == (1, 6, 3)
    assert population.log_weights.shape == (1, 6)
    # The same settings give the same chains, another seed others: the seed reaches the sampler.
    np.testing.assert_array_equal(training_sampler(name, settings).sample(params).z1.numpy(), out.z1.numpy())
    assert not np.array_equal(training_sampler(name, settings._replace(seed=8)).sample(params).z1.numpy(),
                              out.z1.numpy())
    if not sampler.restarts_by_annealing:
        with pytest.raises(NotImplementedError, match="never restarted"):
            sampler.reseed(params, out.z1, tf.zeros([1, 6]), tf.constant(0.0))


def test_population_annealing_restarts_and_takes_the_old_sweep_fraction():
    assert TRAINING_SAMPLERS["pa"].restarts_by_annealing
    assert not TRAINING_SAMPLERS["pcd"].restarts_by_annealing and not TRAINING_SAMPLERS["pt"].restarts_by_annealing
    sampler = training_sampler("pa", SamplerSettings(3, 4, num_sweeps=4, old_sweep_fraction=0.5))
    assert sampler.num_old_sweeps == 2


def test_an_unknown_sampler_name_is_refused_with_the_valid_names():
    with pytest.raises(ValueError, match="unknown training sampler 'gibbs'; valid names: pa, pcd, pt"):
        training_sampler("gibbs", SamplerSettings(3, 4))


@pytest.mark.parametrize("restarts", [True, False])
def test_the_trainer_asks_the_sampler_not_its_name_whether_to_restart(restarts):
    # The configured name says the opposite of the sampler: the sampler decides.
    config = Config(prior_sampler="pcd" if restarts else "pa", prior_reanneal_every=2).validate()
    prior = types.SimpleNamespace(sampler=types.SimpleNamespace(restarts_by_annealing=restarts))
    trainer = types.SimpleNamespace(config=config, model=types.SimpleNamespace(prior=prior))
    assert [step for step in range(7) if Trainer.reanneal_due(trainer, step)] == ([2, 4, 6] if restarts else [])


def test_the_configuration_offers_exactly_the_registered_samplers():
    # Config names them without importing TensorFlow; a sampler added to the registry must be offered by --prior_sampler.
    assert tuple(config_lib.PRIOR_SAMPLERS) == tuple(TRAINING_SAMPLERS)
