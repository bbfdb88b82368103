"""The discrete VAE: encoder q(z|x), RBM prior p(z) and Bernoulli decoder p(x|z); and the structured-prediction
model p(x2|x1) of the `struct` experiment, the same networks without a prior."""
import dataclasses
import typing

import keras
import numpy as np
import tensorflow as tf

from dvae_tf2.model import objectives
from dvae_tf2.runtime import random_streams
from dvae_tf2.baselines.spec import IW_PLAIN
from dvae_tf2.config import Config
from dvae_tf2.model.networks import FeedForward, regularization_loss, regularized_variables
from dvae_tf2.priors import split_halves

_MEAN_CLIP = (0.001, 0.999)
GENERATED_SAMPLES = 100   # prior samples a training step keeps (TrainingLosses.prior_samples) for sample images


class TrainingLosses(typing.NamedTuple):
    """Scalars of one training step. loss_p/loss_q drive decoder+prior / encoder parameters."""
    loss_p: tf.Tensor
    loss_q: tf.Tensor
    objective: tf.Tensor        # the (annealed) negative bound being minimised
    reconstruction: tf.Tensor   # mean -log p(x|zeta)
    kl: tf.Tensor               # mean KL (VAE; rbm_post: KL + log Z_q) or -entropy (struct), unannealed
    weight_decay: tf.Tensor
    coefficient: tf.Tensor      # KL warm-up c (VAE) or entropy weight lambda (struct)
    prior_log_z: tf.Tensor
    sampler_ess: tf.Tensor
    reconstruction_probs: tf.Tensor   # [N, input_size] sigmoid of the decoder for the first sample
    log_weights: tf.Tensor      # [N, k] (annealed) log importance weights, carrying gradients
    weight_decay_parts: dict    # {["encoder_context",] "encoder", "decoder", "prior"}: DVAE.weight_decay_parts
    prior_samples: tf.Tensor    # [<= GENERATED_SAMPLES, n] the step's first training prior samples ([0, n] for struct)


class EvaluationTerms(typing.NamedTuple):
    """Per-sample evaluation terms for N images x K binary samples z ~ q(z|x), each [N, K]."""
    log_weights: tf.Tensor   # log p(x, z) - log q(z|x); struct: log p(x2|z), q(z|x1) acting as the prior
    elbo: tf.Tensor          # log p(z) + log p(x|z) - log q(z|x); struct (no prior): log p(x2|z) - log q(z|x1)
    log_px: tf.Tensor        # log p(x|z) (struct: of the bottom half x2)


def structure_mask(input_size):
    """1 on the observed top half (first input_size // 2 pixels), 0 on the predicted bottom half."""
    mask = np.zeros([input_size], np.float32)
    mask[: input_size // 2] = 1.0
    return mask


class LatentTerms(typing.NamedTuple):
    """What the latent side of a model adds to a training step's N*k rows (DVAE.latent_terms)."""
    kl: tf.Tensor            # [N*k] KL(q || p) estimate (VAE) or log q (struct: the entropy term)
    log_weights: tf.Tensor   # [N*k] (annealed) log importance weights without the reconstruction cost
    log_z: tf.Tensor         # the prior's training log Z surrogate (0 without a prior)
    sampler_ess: tf.Tensor   # the prior sampler's effective sample size (1 without a prior)
    prior_samples: tf.Tensor  # [<= GENERATED_SAMPLES, n] the step's first training prior samples ([0, n] without)
    iw_encoder_term: tf.Tensor = 0.0   # added to the encoder's IW loss (struct: the annealed entropy term)


def build_model(config, train_mean, training_size):
    """The model of config.experiment: DVAE (vae) or StructuredPrediction (struct)."""
    return MODELS[config.experiment](config, train_mean, training_size)


class DVAE(keras.Model):
    """DVAE## / DVAE# model of the `vae` experiment: encoder q(z|x), RBM prior p(z), decoder p(x|z).

    A Keras model of Keras layers: the encoder (`config.baseline_spec.posterior`), the decoder (FeedForward) and
    the prior (`config.baseline_spec.prior`; None for StructuredPrediction). It is trained by the project's
    compiled step on `training_losses` (dvae_tf2.training.trainer), not by `fit`; `call(x)` gives mean
    reconstructions. Weight decay is the layers' Keras regularizers, summed per part in `weight_decay_parts`.
    Build one for a run with `build_model`.
    """

    experiment = "vae"
    coefficient_name = "kl_coefficient"   # what TrainingLosses.coefficient weighs, as the summaries name it

    def __init__(self, config, train_mean, training_size, name="dvae", **kwargs):
        if config.experiment != self.experiment:
            raise ValueError(f"{type(self).__name__} is the model of --experiment={self.experiment}, not "
                             f"{config.experiment}; build_model(config, ...) picks the model of the experiment")
        super().__init__(name=name, **kwargs)
        self.config = config
        self.training_size = training_size
        train_mean = np.asarray(train_mean, np.float32)
        self.input_mean = tf.constant(train_mean)
        clipped = np.clip(train_mean, *_MEAN_CLIP)
        self.data_bias = tf.constant(np.log(clipped / (1.0 - clipped)), tf.float32)
        self.observed_mask = tf.constant(self.make_observed_mask(config.input_size))
        streams = random_streams.run_streams(config.seed)
        self.rng = random_streams.generator(streams.posterior_noise)       # the training step's samples
        self.eval_rng = random_streams.generator(streams.evaluation)     # evaluation, summaries: never training
        spec = config.baseline_spec
        self.encoder = spec.posterior(config, training_size, seed=streams.encoder_init)
        self.decoder = FeedForward([config.num_hidden_units] * config.num_hidden_layers, config.input_size,
                                   seed=streams.decoder_init, name="decoder", bn_momentum=config.bn_momentum,
                                   weight_decay=config.weight_decay)
        self.prior = self.make_prior(config)   # it builds its weights itself
        # Built here rather than in the model's `build`, which would nest the variable paths under the model's
        # name: they stay hierarchical_posterior/..., decoder/..., as the TF1 import report and messages name them.
        self.encoder.build((None, config.input_size))
        self.decoder.build((None, config.num_latents))
        self.built = True

    def get_config(self):
        """The run's Config (as config.json holds it), the training mean image and the training-set size."""
        return {**super().get_config(), "config": dataclasses.asdict(self.config),
                "train_mean": np.asarray(self.input_mean).tolist(), "training_size": self.training_size}

    @classmethod
    def from_config(cls, config):
        settings = dict(config)
        return cls(Config(**settings.pop("config")).validate(), np.asarray(settings.pop("train_mean"), np.float32),
                   **settings)

    def make_observed_mask(self, input_size):
        """[D] 1 on the pixels the encoder sees but the likelihood leaves out: none for the VAE."""
        return np.zeros([input_size], np.float32)

    def make_prior(self, config):
        return config.baseline_spec.prior(config)

    def coefficient(self, step):
        """The KL warm-up coefficient c at `step` (TrainingLosses.coefficient)."""
        cfg = self.config
        return objectives.kl_coefficient(step, cfg.num_train_iter, cfg.kl_warmup_fraction)

    def call(self, x, training=False):
        """Mean reconstructions of images x [N, D] (`reconstruct`)."""
        del training   # evaluation mode: no batch-norm statistics are updated
        return self.reconstruct(x)

    # ----------------------------------------------------------------------------------------------
    @property
    def encoder_variables(self):
        return self.encoder.trainable_variables

    @property
    def generative_variables(self):
        """Decoder and prior parameters: the p side."""
        return self.decoder.trainable_variables + self.prior.variables_to_train

    @property
    def decay_layer_parts(self):
        """{["encoder_context",] "encoder", "decoder", "prior"}: the layers whose regularization losses form each
        weight-decay part. encoder_context: a directed posterior's shared context network, which the legacy code
        keeps out of its encoder part."""
        prior = {} if self.prior is None else {"prior": [self.prior]}
        return {**self.encoder.decay_layer_parts, "decoder": [self.decoder], **prior}

    @property
    def decay_variable_parts(self):
        """{part: the variables with a regularizer in its layers}, as the legacy code decays them: network kernels
        and hidden-layer BN gammas, and the prior's W."""
        return {name: [v for layer in layers for v in regularized_variables(layer)]
                for name, layers in self.decay_layer_parts.items()}

    @property
    def decay_variables(self):
        """Weight-decay targets: the `decay_variable_parts` of the encoder, the decoder and the prior, in that order."""
        return sum(self.decay_variable_parts.values(), [])

    def weight_decay(self):
        """weight_decay * sum 0.5 ||.||^2 over `decay_variables`: the sum of `weight_decay_parts`."""
        return tf.add_n(list(self.weight_decay_parts().values()))

    def weight_decay_parts(self):
        """{part: weight_decay * sum 0.5 ||.||^2 over its decay variables}: the regularization losses of each part's
        layers (`decay_layer_parts`; no "prior" without a prior)."""
        return {name: regularization_loss(layers) for name, layers in self.decay_layer_parts.items()}

    def observed_input(self, x):
        """x as the encoder sees it."""
        return x

    def encoder_input(self, x):
        """observed_input(x) - m."""
        return self.observed_input(x) - self.input_mean

    def decoder_logits(self, z, training):
        """Bernoulli logits of p(x|z): network output plus the data bias log(m / (1 - m)). [..., n] -> [..., D]."""
        flat = tf.reshape(z, [-1, tf.shape(z)[-1]])
        logits = self.decoder(flat, training=training) + self.data_bias
        return tf.reshape(logits, tf.concat([tf.shape(z)[:-1], [self.config.input_size]], axis=0))

    def neg_log_likelihood(self, logits, x):
        """-log p(x|z) over the predicted pixels (all, or the bottom half for struct). -> [...]."""
        ce = objectives.sigmoid_cross_entropy(logits, x)
        return tf.reduce_sum(ce * (1.0 - self.observed_mask), axis=-1)

    # ----------------------------------------------------------------------------------------------
    def sample_prior_for_training(self):
        """The step's SamplerOutput of the prior's training sampler (None without a prior)."""
        return self.prior.sample_for_training()

    def training_losses(self, x, index, coeff, prior_samples=None, rng=None):
        """Objective of one training step for a batch x [N, D] with training-set row ids index [N].

        coeff: the KL warm-up coefficient c (VAE) or the entropy weight lambda (struct), from `coefficient`.
        prior_samples: this step's `sample_prior_for_training()` (None: drawn here; a data-parallel step draws it
          once for all replicas). rng: the posterior's noise (None: self.rng; a replica passes its
          distribute.ReplicaRowNoise).
        """
        cfg = self.config
        k = cfg.k
        draw = self.encoder.training_draw(self.encoder_input(x), index, k, self.rng if rng is None else rng)
        logits = self.decoder_logits(draw.zeta, training=True)
        cost = self.neg_log_likelihood(logits, tf.repeat(x, k, axis=0))           # [N*k]
        latent = self.latent_terms(draw, coeff, prior_samples)
        log_w = latent.log_weights - cost
        if not cfg.use_iw:   # k = 1, or the k samples' ELBOs averaged (DVAE, DVAE++)
            objective = tf.reduce_mean(coeff * latent.kl + cost)
            loss_p = loss_q = objective
        else:
            loss_p, loss_q = objectives.iw_surrogates(tf.reshape(log_w, [-1, k]), coeff)
            if self.iw_estimator == IW_PLAIN:
                loss_q = loss_p   # DVAE#: the plain IWAE surrogate for the encoder too
            loss_q = loss_q + latent.iw_encoder_term
            objective = -tf.reduce_mean(objectives.iw_bound(tf.reshape(log_w, [-1, k])))
        n = tf.shape(x)[0]
        decay_parts = self.weight_decay_parts()   # once: the total is their sum
        return TrainingLosses(
            loss_p=loss_p, loss_q=loss_q, objective=objective, reconstruction=tf.reduce_mean(cost),
            kl=tf.reduce_mean(latent.kl), weight_decay=tf.add_n(list(decay_parts.values())), coefficient=coeff,
            prior_log_z=tf.stop_gradient(latent.log_z), sampler_ess=latent.sampler_ess,
            reconstruction_probs=tf.sigmoid(tf.reshape(logits, [n, k, -1])[:, 0]),
            log_weights=tf.reshape(log_w, [n, k]), weight_decay_parts=decay_parts,
            prior_samples=tf.stop_gradient(latent.prior_samples))

    def latent_terms(self, draw, coeff, prior_samples):
        """LatentTerms of a TrainingDraw: the prior's KL and log weights coeff * (log p(zeta) - log q)."""
        if prior_samples is None:
            prior_samples = self.sample_prior_for_training()
        log_z = self.prior.log_z_surrogate(prior_samples)
        log_p, kl = self.prior.training_terms(draw, log_z)
        kept = tf.concat([prior_samples.z1[0], prior_samples.z2[0]], axis=-1)[:GENERATED_SAMPLES]
        return LatentTerms(kl=kl, log_weights=coeff * (log_p - draw.log_q), log_z=log_z,
                           sampler_ess=prior_samples.ess, prior_samples=kept)

    @property
    def iw_estimator(self):
        """How the encoder's IW loss weighs the samples (baselines.spec IW_DREG or IW_PLAIN)."""
        return self.config.baseline_spec.iw_estimator

    @property
    def descent_variables(self):
        """Every trained variable, in the order of `descent_targets`' groups: generative, then encoder."""
        return self.generative_variables + self.encoder_variables

    def descent_targets(self, losses):
        """[(loss, variables)] of a step's TrainingLosses: the scalar (weight decay included) each group of trainable
        variables descends. One loss for all (the ELBO) or, for an IW bound, loss_p for the generative and loss_q
        for the encoder variables; the groups together are `descent_variables`, in its order."""
        loss_p = losses.loss_p + losses.weight_decay
        if not self.config.use_iw:
            return [(loss_p, self.descent_variables)]
        return [(loss_p, self.generative_variables), (losses.loss_q + losses.weight_decay, self.encoder_variables)]

    # ----------------------------------------------------------------------------------------------
    def evaluation_terms(self, x, num_samples):
        """EvaluationTerms of num_samples binary z ~ q per example: x [N, D] -> each [N, K].

        Uses the prior's evaluation log Z (refresh it first).
        """
        draw = self.encoder.evaluation_draw(self.encoder_input(x), num_samples, self.eval_rng)
        logits = self.decoder_logits(draw.z, training=False)
        log_px = -self.neg_log_likelihood(logits, x[:, None, :])
        return self.evaluation_terms_of(draw, log_px)

    def evaluation_terms_of(self, draw, log_px):
        """EvaluationTerms of an EvaluationDraw and its log p(x|z) [N, K]."""
        log_w = -self.prior.energy(draw.z) - self.prior.log_z + log_px - draw.log_q
        return EvaluationTerms(log_weights=log_w, elbo=log_w, log_px=log_px)

    def log_importance_weights(self, x, num_samples):
        """The log importance weights of `evaluation_terms`: [N, D] -> [N, K]."""
        return self.evaluation_terms(x, num_samples).log_weights

    def generate(self, z):
        """Mean images sigmoid(logits(z)) for prior samples z [M, n]."""
        return tf.sigmoid(self.decoder_logits(z, training=False))

    def reconstruct(self, x):
        """Mean reconstructions sigmoid(logits(z)) with one binary z ~ q(z|x) per image [N, D]."""
        z = self.encoder.evaluation_draw(self.encoder_input(x), 1, self.eval_rng).z[:, 0]
        return tf.sigmoid(self.decoder_logits(z, training=False))

    def parameter_summaries(self, x):
        """{tag: tensor} of posterior parameters for images x [N, D], to histogram."""
        return self.encoder.parameter_summaries(self.encoder_input(x), self.eval_rng)

    def posterior_cross_moment(self, x, num_samples=1):
        """E_q[z1 z2^T] [n1, n2] over images x [N, D] and num_samples binary z ~ q(z|x) each: the data side of
        the prior's W gradient (for the sampler-bias diagnostic)."""
        z = self.encoder.evaluation_draw(self.encoder_input(x), num_samples, self.eval_rng).z
        z1, z2 = split_halves(tf.reshape(z, [-1, self.prior.num_vars]), self.prior.num_vars1)
        return tf.linalg.matmul(z1, z2, transpose_a=True) / tf.cast(tf.shape(z1)[0], tf.float32)

    def refresh_prior_log_z(self, num_chains, num_temperatures, rng, images=None, num_samples=1):
        """AIS log Z of the prior (stored for evaluation) -> LogZRefresh, or None without a prior.

        images: [N, D] data whose posterior statistics (num_samples draws each) scale the sampler's gradient
        error, or None."""
        cross = None if images is None else self.posterior_cross_moment(tf.constant(images, tf.float32), num_samples)
        return self.prior.refresh_log_z(num_chains, num_temperatures, rng, cross)


class StructuredPrediction(DVAE):
    """The `struct` experiment: p(x2|x1) for the bottom half x2 of an image given its top half x1, with the
    encoder q(z|x1) acting as the prior (no RBM prior is built or trained).

    Trained on E_q[log p(x2|z)] + lambda H(q), lambda = `coefficient` (the entropy weight), or with k > 1 on the
    IW bound of log p(x2|x1) with plain weights plus lambda E_q[log q]. The evaluation's ELBO term follows the
    legacy one, log p(x2|z) - log q(z|x1), so the reported -ELBO is E_q[log q + cost].
    """

    experiment = "struct"
    coefficient_name = "entropy_coefficient"

    def make_observed_mask(self, input_size):
        return structure_mask(input_size)

    def make_prior(self, config):
        return None

    def coefficient(self, step):
        """The entropy weight lambda at `step`."""
        cfg = self.config
        return objectives.entropy_coefficient(step, cfg.num_train_iter, cfg.entropy_floor)

    @property
    def generative_variables(self):
        return self.decoder.trainable_variables

    def observed_input(self, x):
        """x with the predicted bottom half zeroed."""
        return x * self.observed_mask

    def sample_prior_for_training(self):
        return None

    def latent_terms(self, draw, coeff, prior_samples):
        """The entropy term log q as the KL; the weights carry no prior."""
        return LatentTerms(kl=draw.log_q, log_weights=tf.zeros_like(draw.log_q), log_z=tf.constant(0.0),
                           sampler_ess=tf.constant(1.0), prior_samples=tf.zeros([0, self.config.num_latents]),
                           iw_encoder_term=coeff * tf.reduce_mean(draw.log_q))

    @property
    def iw_estimator(self):
        return IW_PLAIN   # q is the prior: plain IW weights for the encoder too

    def evaluation_terms_of(self, draw, log_px):
        return EvaluationTerms(log_weights=log_px, elbo=log_px - draw.log_q, log_px=log_px)

    def refresh_prior_log_z(self, num_chains, num_temperatures, rng, images=None, num_samples=1):
        return None


MODELS = {DVAE.experiment: DVAE, StructuredPrediction.experiment: StructuredPrediction}
