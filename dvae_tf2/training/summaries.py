"""TensorBoard summaries of a run: training scalars and images, evaluation scalars, images, histograms.

Every tag is written by one kind of summary only (TensorBoard shows a tag under a single plugin).
"""
import os

import tensorflow as tf

from dvae_tf2 import images


class RunSummaries:
    """Writes the TensorBoard events of one run into its directory."""

    def __init__(self, run_dir, config):
        self.run_dir = run_dir
        self.config = config
        self.writer = tf.summary.create_file_writer(run_dir)

    def flush(self):
        self.writer.flush()

    def training(self, losses, step, learning_rate, steps_per_second):
        """Scalars of a training step (TrainingLosses)."""
        cfg = self.config
        with self.writer.as_default(step=step):
            for name in ("objective", "reconstruction", "kl", "weight_decay"):
                tf.summary.scalar(f"train/{name}", getattr(losses, name))
            coefficient = "entropy_coefficient" if cfg.is_struct else "kl_coefficient"
            tf.summary.scalar(f"train/{coefficient}", losses.coefficient)
            tf.summary.scalar("train/learning_rate", learning_rate)
            tf.summary.scalar("train/steps_per_second", steps_per_second)
            tf.summary.scalar("posterior/beta", cfg.beta)
            if not cfg.is_struct:
                tf.summary.scalar("prior/log_z_train", losses.prior_log_z)
                tf.summary.scalar("prior/sampler_ess", losses.sampler_ess)
            if cfg.k > 1:
                # Effective sample size of the normalised importance weights, as a fraction of k.
                w = tf.nn.softmax(losses.log_weights, axis=-1)
                ess = tf.reduce_mean(1.0 / tf.reduce_sum(tf.square(w), axis=-1)) / cfg.k
                tf.summary.scalar("train/iw_ess_fraction", ess)

    def training_images(self, x, losses, step):
        """Training inputs above their reconstructions."""
        with self.writer.as_default(step=step):
            tf.summary.image("train/reconstruction_images", images.side_by_side(x, losses.reconstruction_probs))

    def evaluation(self, split, result, step):
        """-ELBO, NLL and mean cost -log p(x|z) of an EvalResult on `split` ("val", "test", or DVAE#'s
        "test_periodic")."""
        with self.writer.as_default(step=step):
            tf.summary.scalar(f"{split}/neg_elbo", result.neg_elbo)
            tf.summary.scalar(f"{split}/neg_ll", result.neg_ll)
            tf.summary.scalar(f"{split}/cost", result.cost)

    def prior_log_z(self, prior, step):
        with self.writer.as_default(step=step):
            tf.summary.scalar("prior/log_z_ais", prior.log_z)
            tf.summary.scalar("prior/log_z_ais_stderr", prior.log_z_stderr)

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
