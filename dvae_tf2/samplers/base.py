"""The training-sampler contract: what the RBM prior asks of the sampler that follows it through training.

The contract sits in its package, beside the samplers and the records they return, so priors import it one way.
"""
import abc
import typing

import tensorflow as tf


class SamplerOutput(typing.NamedTuple):
    """One training-sampler step: unweighted model samples and running statistics.

    z1 [1, C, n1], z2 [1, C, n2] binary float32; log_z scalar (running estimate, NaN if the sampler
    has none); ess scalar (effective sample size fraction before resampling, 1 if unweighted).
    """
    z1: tf.Tensor
    z2: tf.Tensor
    log_z: tf.Tensor
    ess: tf.Tensor


class Population(typing.NamedTuple):
    """A training sampler's state at given parameters: z1 [1, C, n1], log_weights [1, C] (unnormalised) and its
    running log Z (NaN if it keeps none)."""
    z1: tf.Tensor
    log_weights: tf.Tensor
    log_z: tf.Tensor


class SamplerSettings(typing.NamedTuple):
    """Everything a training sampler may be built from; each sampler takes the fields its class lists in
    `settings_used`.

    num_vars1, num_vars2: the RBM's halves; num_chains: C; num_sweeps: block-Gibbs sweeps per `sample`;
    seed: of its random stream; old_sweep_fraction: of the sweeps run at the previous parameters (population
    annealing only).
    """
    num_vars1: int
    num_vars2: int
    num_chains: int = 1000
    num_sweeps: int = 40
    seed: int = 0
    old_sweep_fraction: float = 0.9


class TrainingSampler(abc.ABC):
    """Model samples of an RBM prior p_theta (B = 1) whose parameters theta move a little at every training step.

    params below are RBMParams with a batch axis of one, passed with their gradients stopped (RBMPrior does);
    nothing a sampler returns carries a gradient. A sampler is a tf.Module: its state is variables, checkpointed
    with the prior.
    """

    num_chains: int   # C, the number of chains `sample` returns
    # The SamplerSettings fields, besides the halves' sizes, that the constructor takes as keywords.
    settings_used = ("num_chains", "num_sweeps", "seed")

    @property
    @abc.abstractmethod
    def restarts_by_annealing(self):
        """True if the trainer may restart the sampler from an annealing run (`reseed`, --prior_reanneal_every);
        False for persistent chains that run for the whole training."""

    @classmethod
    def from_settings(cls, settings):
        """The sampler built from a SamplerSettings: the halves' sizes and the fields in `settings_used`."""
        return cls(settings.num_vars1, settings.num_vars2, **{field: getattr(settings, field)
                                                              for field in cls.settings_used})

    @abc.abstractmethod
    def sample(self, params):
        """Advances the sampler to `params` and returns SamplerOutput: C unweighted samples of p_params, the
        running log Z at params (NaN if the sampler keeps none) and the ESS fraction (1 if unweighted)."""

    @abc.abstractmethod
    def population_at(self, params):
        """Population: the current states with their log weights and running log Z moved to `params` (unweighted
        and NaN for samplers without them). Changes no state."""

    @abc.abstractmethod
    def anchor_log_z(self, params, log_z):
        """Sets the running log Z at `params` to `log_z`, an independent estimate (AIS); a no-op for samplers
        that keep none."""

    def reseed(self, params, z1, log_weights, log_z):
        """Replaces the state by states z1 [1, S, n1] weighted by log_weights [1, S] of p_params with log Z
        `log_z` (a final annealing population). Only for samplers that restart by annealing."""
        raise NotImplementedError(f"{type(self).__name__} keeps persistent chains and is never restarted "
                                  f"(restarts_by_annealing is False)")
