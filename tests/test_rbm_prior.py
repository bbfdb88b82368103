"""RBM prior: energy, AIS log Z for evaluation and the training sampler's re-anchored log Z."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.priors import RBMPrior
from dvae_tf2.samplers import exact
from tests.tiny_models import all_states


@pytest.mark.parametrize("sampler", ["pa", "pcd"])
def test_refresh_log_z_matches_enumeration_and_reanchors_the_training_sampler(sampler):
    prior = RBMPrior(6, 6, sampler, num_samples=200, num_sweeps=5, seed=3)
    rng = np.random.default_rng(0)
    for variable, scale in ((prior.b1, 0.5), (prior.b2, 0.5), (prior.w, 1.0)):
        variable.assign(rng.normal(0, scale, variable.shape).astype(np.float32))
    states = all_states(12)
    np.testing.assert_allclose(prior.energy(states[None]).numpy()[0],
                               rbm.energy(prior.params(), states[None, :, :6], states[None, :, 6:]).numpy()[0],
                               rtol=1e-6)
    exact_log_z = float(exact.exact_log_z(prior.params())[0])
    prior.refresh_log_z(512, 2000, tf.random.Generator.from_seed(1))
    assert abs(float(prior.log_z) - exact_log_z) < max(3 * float(prior.log_z_stderr), 0.02)
    samples = prior.sample_for_training()
    if sampler == "pa":
        # The parameters did not change since the refresh: the running estimate is the AIS value.
        assert float(samples.log_z) == pytest.approx(float(prior.log_z), abs=1e-4)
    surrogate = prior.log_z_surrogate(samples)
    assert float(surrogate) == pytest.approx(float(prior.log_z), abs=1e-4)
