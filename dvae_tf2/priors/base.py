"""The prior contract: what the objective, the trainer and the tools ask of a prior p(z) and its KL form.

The contract sits in its package, beside the priors, so that it imports only the sampler package it builds on.
"""
import abc
import typing

import tensorflow as tf


class PriorTerms(typing.NamedTuple):
    """A prior's terms of one training step for a TrainingDraw of N*k rows (row r belongs to example r // k).

    log_prob: [N*k] training log p(zeta) at the draw's relaxed samples, with the training log Z surrogate: the
      prior's part of the importance weights log p(zeta) - log q(zeta|x).
    kl: [N*k] the KL term of the (non-importance-weighted) bound, or a surrogate with the KL's gradient; it
      includes the draw's -H(q) term and carries the gradients of the prior and of the posterior.
    """
    log_prob: tf.Tensor
    kl: tf.Tensor


class Prior(abc.ABC):
    """An RBM prior p(z) = exp(-E(z)) / Z over z = [z1, z2] with its training KL form and training sampler.

    State the callers read: `log_z`, `log_z_stderr` (scalar variables: the last evaluation estimate of log Z),
    `num_vars1`, `num_vars` (the halves' sizes), `sampler` (its TrainingSampler).
    """

    @property
    @abc.abstractmethod
    def variables_to_train(self):
        """The prior's trainable parameters (the generative side of the objective)."""

    @abc.abstractmethod
    def params(self):
        """The current RBMParams with a batch axis of one, carrying gradients."""

    @abc.abstractmethod
    def energy(self, z):
        """E(z) for binary or relaxed z [..., n] -> [...], carrying the parameters' gradient."""

    @abc.abstractmethod
    def sample_for_training(self):
        """One step of the training sampler at the current parameters -> SamplerOutput (no gradient)."""

    @abc.abstractmethod
    def log_z_surrogate(self, samples):
        """Scalar log Z for training from a SamplerOutput: the value is the sampler's running log Z (the
        evaluation value where it keeps none), the gradient is E_p[-dE/dtheta] over the samples."""

    @abc.abstractmethod
    def training_terms(self, draw, log_z):
        """PriorTerms of a TrainingDraw, with `log_z` the step's `log_z_surrogate`."""

    @abc.abstractmethod
    def refresh_log_z(self, num_chains, num_temperatures, rng, posterior_cross=None):
        """Estimates log Z by AIS at the current parameters, stores it in `log_z`/`log_z_stderr` and re-anchors
        the training sampler's running log Z -> LogZRefresh. posterior_cross: E_q[z1 z2^T] [n1, n2] over data for
        the sampler's relative gradient error, or None."""

    @abc.abstractmethod
    def reanneal(self, num_temperatures, rng):
        """Restarts the training sampler from an annealing run at the current parameters -> AISResult. Only for a
        sampler with `restarts_by_annealing`."""
