"""TensorBoard summaries of a run: training scalars and images, evaluation scalars, images, histograms.

Every tag is written by one kind of summary only (TensorBoard shows a tag under a single plugin).
The training summaries of a run carry the tags its legacy code base's TF1 training graph wrote, so that its
curves line up with legacy TF1 runs in TensorBoard; quantities only the port computes keep their own names.
TRAINING_TAGS, TRAINING_IMAGE_TAGS and TRAINING_HISTOGRAM_TAGS hold the names of both code bases, and every
run also writes its configuration and final metrics for TensorBoard's HParams dashboard (`hyperparameters`).

TF1 made a tag from a summary's name: characters other than [-/\w.] became "_" (the legacy "weigh decay/total"
was written as "weigh_decay/total"), and an image summary got "/image" appended ("/image/0", "/image/1", ...
when it held several images). The tables hold the tags as TF1 wrote them.
"""
import dataclasses
import functools
import os

import tensorflow as tf
from tensorboard.plugins.hparams import api as hp

from dvae_tf2.training import images
from dvae_tf2.baselines.spec import DVAE_SHARP, DVAE_SHARPSHARP
from dvae_tf2.model.networks import l2_half
from dvae_tf2.priors import GaussianIntegralPrior

# Our training scalars without a legacy equivalent: the same tag in both code bases.
_EXTRA_TAGS = {"steps_per_second": "train/steps_per_second", "prior_log_z": "prior/log_z_train",
               "sampler_ess": "prior/sampler_ess", "iw_ess_fraction": "train/iw_ess_fraction"}
# The legacy training scalars both code bases wrote ("weigh decay" (sic) in the legacy source).
_LEGACY_TAGS = {
    "reconstruction": "obj/recon_loss", "weight_decay": "weigh_decay/total",
    "weight_decay_encoder": "weigh_decay/encoder", "weight_decay_decoder": "weigh_decay/decoder",
    "kl_coefficient": "kl_coeff", "learning_rate": "learning_rate", "beta": "beta",
    "smoothing_beta": "posterior/beta", "smoothing_lambda": "posterior/lambda"}
# Code base -> {quantity (a key of `training_scalars`): tag}. A quantity a table lacks, or a run lacks, is not written.
TRAINING_TAGS = {
    DVAE_SHARPSHARP: {   # legacy DVAE## has no objective scalar: train/objective is the port's
        **_LEGACY_TAGS, "kl": "obj/kl", "entropy_coefficient": "kl_coeff", "objective": "train/objective",
        **_EXTRA_TAGS},
    DVAE_SHARP: {
        **_LEGACY_TAGS, "neg_elbo": "train/neg_elbo", "neg_iw_loss": "train/neg_iw_loss", "objective_kl": "obj/kl",
        "smoothing_sigma": "posterior/sigma", "smoothing_eps": "posterior/eps", "eigen_lambda": "eigen/lambda",
        "max_eigen_val": "eigen/max_eigen_val", "min_eigen_val": "eigen/min_eigen_val", "weight_norm": "weight_norm",
        **_EXTRA_TAGS},
}
# Code base -> {image (a key of `training_image_makers`): tag}. DVAE## also showed the first 3 encoder inputs.
TRAINING_IMAGE_TAGS = {
    DVAE_SHARPSHARP: {"reconstruction_grids": "recon/image", "generated": "generated_sample/image",
                      **{f"masked_input_{i}": f"masked_input/image/{i}" for i in range(3)}},
    DVAE_SHARP: {"reconstruction_grids": "recon/image", "generated": "generated_sample/image"},
}
# Code base -> {posterior parameter (a key of DVAE.parameter_summaries): tag} of the training batch's histograms.
TRAINING_HISTOGRAM_TAGS = {
    DVAE_SHARPSHARP: {"posterior/b1": "b1", "posterior/b2": "b2", "posterior/w": "w"},
    DVAE_SHARP: {},
}
# Final metrics the HParams dashboard shows beside each run's configuration: (tag, display name).
HPARAMS_METRICS = (("test/neg_ll", "test NLL"), ("test/neg_elbo", "test -ELBO"), ("val/neg_ll", "last val NLL"))


def training_scalars(config, model, losses, learning_rate, steps_per_second):
    """{quantity: scalar} of a training step (TrainingLosses) for the tag tables; what the run lacks is absent.

    neg_elbo / neg_iw_loss: the value of the objective minimised, without weight decay: the (annealed) -ELBO, or
    for an IW bound (config.use_iw) the IW surrogate -sum_i w~_i log w_i with the normalised weights w~ held
    fixed. objective_kl: the objective's KL term (0 for an IW bound, which has none). weight_norm: 0.5 ||W||^2.
    """
    parts = losses.weight_decay_parts
    values = {"objective": losses.objective, "reconstruction": losses.reconstruction, "kl": losses.kl,
              "weight_decay": losses.weight_decay, "weight_decay_encoder": parts["encoder"],
              "weight_decay_decoder": parts["decoder"], "learning_rate": learning_rate,
              "steps_per_second": steps_per_second, "beta": config.beta,
              model.coefficient_name: losses.coefficient}
    if config.use_iw:
        values["neg_iw_loss"] = losses.loss_p   # the generative surrogate: -mean sum_i sg(w~_i) log w_i
        values["objective_kl"] = 0.0
    else:
        values["neg_elbo"] = losses.objective
        values["objective_kl"] = losses.kl
    if model.prior is not None:
        values["prior_log_z"], values["sampler_ess"] = losses.prior_log_z, losses.sampler_ess
    if config.k > 1:
        # Effective sample size of the normalised importance weights, as a fraction of k.
        w = tf.nn.softmax(losses.log_weights, axis=-1)
        values["iw_ess_fraction"] = tf.reduce_mean(1.0 / tf.reduce_sum(tf.square(w), axis=-1)) / config.k
    for name, value in config.baseline_spec.smoothing_parameters(config).items():
        values[f"smoothing_{name}"] = value
    if isinstance(model.prior, GaussianIntegralPrior):
        values["eigen_lambda"], values["max_eigen_val"], values["min_eigen_val"] = model.prior.coupling_spectrum()
        values["weight_norm"] = l2_half([model.prior.w])
    return values


def training_image_makers(model, x, losses):
    """{image: function making its [1, H, W, 1] grid} for a training batch x and its TrainingLosses.

    reconstruction_grids: the n x n grid of the first n^2 inputs above that of their reconstructions
    (n = floor(sqrt(N))); generated: decoder means of the step's first (up to 100) training prior samples, 10 to a
    row (absent for struct, which has no prior); masked_input_<i>: the i-th input as the encoder sees it (struct:
    its bottom half zeroed).
    """
    def generated():
        cols = min(10, len(losses.prior_samples))
        return images.tile(model.generate(losses.prior_samples), len(losses.prior_samples) // cols, cols)

    def masked_input(i):
        return images.tile(model.observed_input(x[i:i + 1]), 1, 1)

    makers = {"reconstruction_grids": lambda: images.inputs_above_reconstructions(x, losses.reconstruction_probs)}
    if len(losses.prior_samples):
        makers["generated"] = generated
    makers.update({f"masked_input_{i}": functools.partial(masked_input, i) for i in range(3)})
    return makers


class RunSummaries:
    """Writes the TensorBoard events of one run into its directory."""

    def __init__(self, run_dir, config):
        self.run_dir = run_dir
        self.config = config
        self.writer = tf.summary.create_file_writer(run_dir)

    def flush(self):
        self.writer.flush()

    def training(self, model, losses, step, learning_rate, steps_per_second):
        """Scalars of a training step (TrainingLosses), named by the code base's TRAINING_TAGS."""
        values = training_scalars(self.config, model, losses, learning_rate, steps_per_second)
        with self.writer.as_default(step=step):
            for quantity, tag in TRAINING_TAGS[self.config.codebase].items():
                if quantity in values:
                    tf.summary.scalar(tag, values[quantity])

    def training_images(self, model, x, losses, step):
        """Images and posterior histograms of a training batch, named by the code base's TRAINING_IMAGE_TAGS and
        TRAINING_HISTOGRAM_TAGS (the histograms from the encoder in inference mode: BN moving statistics); an
        image the run lacks is not written."""
        makers = training_image_makers(model, x, losses)
        with self.writer.as_default(step=step):
            for image, tag in TRAINING_IMAGE_TAGS[self.config.codebase].items():
                if image in makers:
                    tf.summary.image(tag, makers[image]())
            histograms = TRAINING_HISTOGRAM_TAGS[self.config.codebase]
            if histograms:
                for name, values in model.parameter_summaries(x).items():
                    if name in histograms:
                        tf.summary.histogram(histograms[name], values)

    def hyperparameters(self, step):
        """The configuration for TensorBoard's HParams dashboard (every Config field set), with HPARAMS_METRICS as
        its metrics; the trial is named by the run directory below log_dir."""
        names = [field.name for field in dataclasses.fields(self.config)]
        values = {name: getattr(self.config, name) for name in names if getattr(self.config, name) is not None}
        with self.writer.as_default(step=step):
            hp.hparams_config(hparams=[hp.HParam(name) for name in names],
                              metrics=[hp.Metric(tag, display_name=title) for tag, title in HPARAMS_METRICS])
            hp.hparams(values, trial_id=os.path.relpath(self.run_dir, self.config.log_dir))

    def evaluation(self, split, result, step):
        """-ELBO, NLL and mean cost -log p(x|z) of an EvalResult on `split` ("val", "test", or DVAE#'s
        "test_periodic")."""
        with self.writer.as_default(step=step):
            tf.summary.scalar(f"{split}/neg_elbo", result.neg_elbo)
            tf.summary.scalar(f"{split}/neg_ll", result.neg_ll)
            tf.summary.scalar(f"{split}/cost", result.cost)

    def prior_log_z(self, prior, sampler_bias, step):
        """The prior's AIS log Z and the training sampler measured against it (SamplerBias)."""
        with self.writer.as_default(step=step):
            tf.summary.scalar("prior/log_z_ais", prior.log_z)
            tf.summary.scalar("prior/log_z_ais_stderr", prior.log_z_stderr)
            for name, value in sampler_bias._asdict().items():
                tf.summary.scalar(f"prior/{name}", value)

    def model_state(self, model, valid_images, ais_result, step):
        """Validation reconstructions, 10x10 generated samples (also samples.png), histograms."""
        with self.writer.as_default(step=step):
            x = tf.constant(valid_images[:10], tf.float32)
            tf.summary.image("val/reconstruction_images", images.side_by_side(x, model.reconstruct(x)))
            if ais_result is not None:
                z = tf.concat([ais_result.z1[0], ais_result.z2[0]], axis=-1)[:100]
                cols = min(10, len(z))
                grid = images.tile(model.generate(z), len(z) // cols, cols)   # 10x10 unless fewer chains
                tf.summary.image("samples/generated", grid)
                images.save_png(grid, os.path.join(self.run_dir, "samples.png"))
                tf.summary.histogram("prior/w", model.prior.w)
                tf.summary.histogram("prior/b", tf.concat([model.prior.b1, model.prior.b2], 0))
            for name, values in model.parameter_summaries(tf.constant(valid_images[:100], tf.float32)).items():
                tf.summary.histogram(name, values)
