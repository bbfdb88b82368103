"""Training loop: the compiled step, the evaluation schedule and the final test, results.json."""
import dataclasses
import os
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from dvae_tf2.data import datasets
from dvae_tf2.model import objectives
from dvae_tf2.runtime import atomic_io, distribute, progress, random_streams
from dvae_tf2.model.dvae import build_model
from dvae_tf2.training import event_files
from dvae_tf2.training.checkpoints import RunCheckpoints, SaveSchedule, make_run_dir
from dvae_tf2.training.evaluation import Evaluator
from dvae_tf2.training.numerics import FiniteGuard
from dvae_tf2.training.stop_signals import StopRequests, TrainingStopped
from dvae_tf2.training.summaries import RunSummaries

# Loss terms (TrainingLosses fields) watched for non-finite values, before the gradients.
WATCHED_LOSSES = ("objective", "reconstruction", "kl", "weight_decay", "prior_log_z")
# Validation images (x SAMPLER_BIAS_SAMPLES posterior draws) whose statistics scale the prior sampler's
# gradient error at each refresh.
SAMPLER_BIAS_IMAGES = 1000
SAMPLER_BIAS_SAMPLES = 10


def variable_name(variable):
    """Keras variables' path (decoder/dense_0/kernel), else the tf.Variable name without ':0'."""
    return getattr(variable, "path", None) or variable.name.split(":")[0]


class Trainer:
    """Trains a DVAE on `splits` following the legacy protocol, writing into config.run_dir."""

    def __init__(self, config, splits, resume=False, strategy=None):
        """strategy: the tf.distribute.Strategy to train with (None: distribute.make_strategy of the config's
        settings; the command line makes it first, as splitting the CPU must precede any other device use)."""
        if config.deterministic:
            # Process-wide, before this trainer creates any op: see Config.deterministic and the README.
            tf.config.experimental.enable_op_determinism()
        self.config = config
        self.splits = splits
        self.run_dir = config.run_dir
        self.strategy = strategy or distribute.make_strategy(config.distribution_strategy, config.num_gpus,
                                                             config.num_cpu_devices)
        self.distributed = config.distribution_strategy != "default"
        self.num_replicas = self.strategy.num_replicas_in_sync
        distribute.check_batch_split(self.strategy, config.batch_size)
        make_run_dir(self.run_dir)
        with self.strategy.scope():   # every variable is mirrored over the replicas
            self._build(config, resume)

    def _build(self, config, resume):
        self.model = build_model(config, self.splits.train_mean, len(self.splits.train))
        if self.distributed:
            distribute.synchronize_batch_norm([self.model.encoder, self.model.decoder])
        boundaries, values = objectives.piecewise_learning_rates(config.base_lr, config.num_train_iter)
        self.learning_rate = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, values)
        self.optimizer = keras.optimizers.Adam(self.learning_rate, epsilon=1e-3)
        variables = self.model.descent_variables
        self.optimizer.build(variables)
        streams = random_streams.run_streams(config.seed)
        self.prior_ais_rng = random_streams.generator(streams.prior_ais)
        self.prior_restart_rng = random_streams.generator(streams.prior_restarts)
        self.best_val_neg_ll = tf.Variable(np.inf, dtype=tf.float32, trainable=False)
        self.best_val_neg_elbo = tf.Variable(np.inf, dtype=tf.float32, trainable=False)
        self.checkpoints = RunCheckpoints(
            tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, prior_ais_rng=self.prior_ais_rng,
                                prior_restart_rng=self.prior_restart_rng,
                                best_val_neg_ll=self.best_val_neg_ll, best_val_neg_elbo=self.best_val_neg_elbo),
            self.run_dir)
        self.evaluator = Evaluator(self.model, config.eval_rows_per_batch, self.strategy if self.distributed else None)
        # The data-parallel step's collectives (all-reduce, all-gather of the posterior chains) stay out of XLA.
        self.train_step = tf.function(self._step, jit_compile=config.jit_compile and not self.distributed)
        if self.distributed:
            logging.info("training data-parallel over %d replicas (%s); the step is not XLA-compiled",
                         self.num_replicas, config.distribution_strategy)
        self.checkpoints.prepare(config, resume)
        if resume:
            logging.info("Resumed from %s at step %d", self.checkpoints.latest.latest_checkpoint, self.step)
            event_files.drop_events_after(self.run_dir, self.step)
        self.summaries = RunSummaries(self.run_dir, config)
        if config.check_numerics:
            tf.debugging.enable_check_numerics()
        self.guard = FiniteGuard(WATCHED_LOSSES + tuple(f"gradient of {variable_name(v)}" for v in variables),
                                 config.batch_size, checked_through=self.step)

    @property
    def step(self):
        return int(self.optimizer.iterations.numpy())

    def step_compiler_ir(self, x, index, stage="hlo"):
        """The XLA IR (text of `stage`, as tf.function's experimental_get_compiler_ir) of the compiled training
        step on a batch x [B, D] with training-set row ids index [B]; nothing is run. Needs jit_compile."""
        if not (self.config.jit_compile and not self.distributed):
            raise ValueError("the training step is XLA-compiled only with --jit_compile and the default strategy")
        return self.train_step.experimental_get_compiler_ir(x, index, None)(stage=stage)   # the sampler's own draw

    def _step(self, x, index, prior_samples=None):
        """One training step on the global batch x [B, D] with training-set row ids index [B] -> TrainingLosses.
        `train_step` is this function compiled (XLA unless data-parallel); it advances the optimizer's step.
        prior_samples: the step's SamplerOutput (None: the model's training sampler draws it, as in training).

        The prior's sampler runs once, outside the replicas; each replica takes its block of rows with
        its block of the step's noise, and the replicas' gradients are averaged, so the step equals the
        single-device step up to float rounding."""
        model = self.model
        coeff = model.coefficient(self.optimizer.iterations)
        if prior_samples is None:
            prior_samples = model.sample_prior_for_training()
        noise_seed = model.rng.make_seeds(1)[:, 0] if self.distributed else tf.zeros([2], tf.int64)
        losses, grads = self.strategy.run(self._replica_step, args=(x, index, coeff, prior_samples, noise_seed))
        if self.distributed:
            losses = self._merge_replica_losses(losses)
            grads = list(self.strategy.experimental_local_results(grads)[0])
        self.guard.record(self.optimizer.iterations + 1, [getattr(losses, name) for name in WATCHED_LOSSES] + grads,
                          index)
        # Without XLA, nothing orders the forward pass's reads of a variable before the update of that
        # variable: about one step in a hundred computed the KL (and the encoder gradient) with the prior's
        # W or b already updated by the same step. The update now waits for every value of the step.
        with tf.control_dependencies([t for t in tf.nest.flatten(losses) + grads if t is not None]):
            self.optimizer.apply_gradients(zip(grads, model.descent_variables))
        return losses

    def _replica_step(self, x, index, coeff, prior_samples, noise_seed):
        """This replica's losses and the replicas' mean gradients (in `model.descent_variables` order)."""
        model = self.model
        rng = None
        if self.distributed:
            context = tf.distribute.get_replica_context()
            replica, rows = context.replica_id_in_sync_group, self.config.batch_size // self.num_replicas
            x = tf.reshape(x, [self.num_replicas, rows, -1])[replica]
            index = tf.reshape(index, [self.num_replicas, rows])[replica]
            rng = distribute.ReplicaRowNoise(noise_seed, replica, self.num_replicas)
        with tf.GradientTape(persistent=True) as tape:
            losses = model.training_losses(x, index, coeff, prior_samples, rng)
            targets = model.descent_targets(losses)
        grads = [g for loss, variables in targets for g in tape.gradient(loss, variables)]
        del tape
        if self.distributed:   # each replica's loss is a mean over its rows: the global gradient is their mean
            reduced = iter(tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.MEAN, [g for g in grads if g is not None]))
            grads = [None if g is None else next(reduced) for g in grads]
        return losses, grads

    def _merge_replica_losses(self, losses):
        """TrainingLosses of the global batch from the replicas': scalars averaged (equal row blocks), per-row
        tensors concatenated in batch order, the prior samples (the same on every replica) taken once."""
        strategy = self.strategy

        def merge(name, value):
            first = strategy.experimental_local_results(value)[0]
            if name == "prior_samples":
                return first
            if first.shape.rank == 0:
                return strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
            return strategy.gather(value, axis=0)

        return losses._replace(**{name: tf.nest.map_structure(lambda v, n=name: merge(n, v), value)
                                  for name, value in losses._asdict().items()})

    # ----------------------------------------------------------------------------------------------
    def refresh_prior_log_z(self):
        """AIS estimate of the prior's log Z and the training sampler's bias against it -> LogZRefresh
        (None for a model without a prior)."""
        start = time.time()
        if self.model.prior is not None:
            logging.info("estimating the prior's log Z by AIS (%d chains x %d temperatures) ...",
                         self.config.prior_ais_chains, self.config.prior_ais_temperatures)
        refresh = self.model.refresh_prior_log_z(self.config.prior_ais_chains, self.config.prior_ais_temperatures,
                                                 self.prior_ais_rng, self.splits.valid[:SAMPLER_BIAS_IMAGES],
                                                 SAMPLER_BIAS_SAMPLES)
        if refresh is not None:
            bias = refresh.sampler_bias
            logging.info("prior log Z = %.4f +- %.4f (%.1f s)", float(self.model.prior.log_z.numpy()),
                         float(self.model.prior.log_z_stderr.numpy()), time.time() - start)
            # The sampler diagnostics are in TensorBoard (prior/) and results.json; here only at debug level.
            logging.debug("training sampler: log Z lag %.3f, W-gradient error %.4f (noise floor %.4f, %.3f of the "
                          "KL gradient)", float(bias.log_z_lag), float(bias.grad_error), float(bias.grad_noise_floor),
                          float(bias.grad_bias))
        return refresh

    def reanneal_due(self, step):
        """Whether the prior's training sampler restarts by annealing after `step` (--prior_reanneal_every): only a
        sampler that restarts so (population annealing); PCD chains persist for the whole run, as the legacy PCD's."""
        every = self.config.prior_reanneal_every
        return (bool(every) and step > 0 and step % every == 0 and self.model.prior is not None
                and self.model.prior.sampler.restarts_by_annealing)

    def reanneal_prior_sampler(self, step):
        """Restarts the prior's training sampler by population annealing (--prior_reanneal_every)."""
        start = time.time()
        lag = float(self.model.prior.sampler.population_at(self.model.prior.params()).log_z)
        result = self.model.prior.reanneal(self.config.prior_reanneal_temperatures, self.prior_restart_rng)
        logging.log_every_n_seconds(
            logging.INFO, "step %d: prior sampler re-annealed (%d temperatures, %.1f s); running log Z %.3f -> %.3f",
            60, step, self.config.prior_reanneal_temperatures, time.time() - start, lag, float(result.log_z[0]))

    def evaluate(self, split_images, num_samples, label):
        logging.info("%s: %d images x %d samples ...", label, len(split_images), num_samples)
        return self.evaluator(split_images, num_samples, label=label)

    def validate(self, step):
        """Validates the model at `step`: summaries, `best` if the validation NLL improved, `latest`."""
        self.guard.check(step, self.run_dir)
        refresh = self.refresh_prior_log_z()
        val_images = self.splits.valid[:: self.config.val_stride]
        result = self.evaluate(val_images, self.config.validation_iw_samples, "validation")
        logging.info("step %d: val -ELBO %.3f, val NLL %.3f (%d images x %d samples, %.0f s)", step,
                     result.neg_elbo, result.neg_ll, result.num_images, result.num_samples, result.seconds)
        self.summaries.evaluation("val", result, step)
        if self.config.codebase_spec.test_nll_every_validation:   # the DVAE# protocol follows the test NLL too
            test = self.evaluate(self.test_images(), self.config.validation_iw_samples, "periodic test")
            logging.info("step %d: test -ELBO %.3f, test NLL %.3f (%d images x %d samples)", step, test.neg_elbo,
                         test.neg_ll, test.num_images, test.num_samples)
            self.summaries.evaluation("test_periodic", test, step)
        if refresh is not None:
            self.summaries.prior_log_z(self.model.prior, refresh.sampler_bias, step)
        self.summaries.model_state(self.model, self.splits.valid, refresh and refresh.ais, step)
        if result.neg_ll < float(self.best_val_neg_ll.numpy()):
            self.best_val_neg_ll.assign(result.neg_ll)
            self.best_val_neg_elbo.assign(result.neg_elbo)
            self.checkpoints.save_best(step)
            logging.info("new best validation NLL %.3f at step %d", result.neg_ll, step)
        self._save_latest(step)

    def test_images(self):
        """The test split, or its strided subset of config.test_subset images."""
        if self.config.test_subset:
            return datasets.strided_subset(self.splits.test, self.config.test_subset)
        return self.splits.test

    def _log_training(self, step, x, losses, rate, first_of_session):
        """Checks that the steps so far are finite, then writes the training summaries and log line."""
        cfg = self.config
        self.guard.check(step, self.run_dir)
        self.summaries.training(self.model, losses, step, self.learning_rate(step), rate)
        if step % cfg.summary_every == 0:
            self.summaries.training_images(self.model, x, losses, step)
        # Training time left at the current rate (a session's first step includes compilation).
        eta = "?" if first_of_session else progress.format_duration((cfg.num_train_iter - step) / rate)
        logging.info("step %d/%d: objective %.3f recon %.3f kl %.3f coeff %.3f lr %.2e (%.1f steps/s, ETA %s)",
                     step, cfg.num_train_iter, losses.objective, losses.reconstruction, losses.kl,
                     losses.coefficient, float(self.learning_rate(step)), rate, eta)

    def _save_latest(self, step):
        """Writes `latest` (and flushes the summaries) once no step up to `step` is non-finite."""
        self.guard.check(step, self.run_dir)
        self.summaries.flush()
        self.checkpoints.save_latest(step)

    # ----------------------------------------------------------------------------------------------
    def train(self, until_step=None, on_step=None):
        """Runs the remaining steps, then the final test evaluation; returns the results dict.

        on_step(step, losses): called after each step with its TrainingLosses (reading them waits for the step).

        With `until_step` < num_train_iter it stops there after saving a checkpoint (resume later
        with resume=True) and returns None. Between validations `latest` is also written on the
        config's checkpoint cadence. On SIGTERM/SIGINT it finishes the step, writes `latest` and
        raises TrainingStopped.
        """
        cfg = self.config
        last_step = cfg.num_train_iter if until_step is None else min(until_step, cfg.num_train_iter)
        start_step, start_time, validation_seconds = self.step, time.time(), 0.0
        batches = datasets.training_batches(self.splits, cfg.batch_size, cfg.seed, start_step=start_step)
        window_start, window_steps = time.time(), 0
        schedule = SaveSchedule(cfg.checkpoint_every_secs, cfg.checkpoint_every_steps)
        with StopRequests() as stop:
            for step, (x, index) in zip(range(start_step + 1, last_step + 1), batches):
                if self.reanneal_due(step - 1):   # before the step: a checkpoint at step - 1 precedes it
                    self.reanneal_prior_sampler(step - 1)
                losses = self.train_step(x, index)
                if on_step is not None:
                    on_step(step, losses)
                window_steps += 1
                if step % cfg.summary_every == 0 or step == start_step + 1:
                    rate = window_steps / (time.time() - window_start)
                    self._log_training(step, x, losses, rate, first_of_session=step == start_step + 1)
                    window_start, window_steps = time.time(), 0
                    if step == start_step + 1:   # the session's first step includes compiling it
                        first_step_end = time.time()
                if step % cfg.eval_every == 0 or step == cfg.num_train_iter:
                    validation_start = time.time()
                    self.validate(step)
                    validation_seconds += time.time() - validation_start
                    window_start = time.time()   # keep validation out of the next steps/s window
                    schedule.saved()
                elif schedule.due(step) or stop.signum is not None:
                    self._save_latest(step)
                    schedule.saved()
                if stop.signum is not None:
                    stopped = TrainingStopped(step, stop.signum)
                    logging.warning("%s", stopped)
                    raise stopped
        wall_seconds = time.time() - start_time
        if last_step < cfg.num_train_iter:
            self._save_latest(last_step)
            logging.info("stopped at step %d; continue with --resume", last_step)
            return None
        compiled_rate = None
        if last_step > start_step + 1:
            # Every validation comes after the first step's log line, so all of it is left out here.
            compiled_seconds = start_time + wall_seconds - first_step_end - validation_seconds
            compiled_rate = (last_step - start_step - 1) / max(compiled_seconds, 1e-9)
        return self.final_evaluation(wall_seconds, validation_seconds, start_step, compiled_rate)

    def final_evaluation(self, wall_seconds, validation_seconds, start_step, compiled_steps_per_s=None):
        """Restores the best checkpoint, refreshes log Z, evaluates the test set, writes results.json.

        results.json's steps_per_s is this session's steps over its training time (wall time less validation),
        which includes compiling the step; compiled_steps_per_s (given by train) leaves out the session's first
        step, i.e. the rate of the compiled step, as the training log lines show it.

        Beside results.json it saves test_log_likelihoods.npy: [test_images] float64 IW estimates of log p(x)
        (struct: log p(x2|x1)), in test-set order, for paired comparisons between runs
        (python -m dvae_tf2.tools.compare).
        """
        cfg = self.config
        final_step = self.step
        best_path = self.checkpoints.restore_best()
        best_step = self.step
        logging.info("restored best checkpoint %s (step %d)", best_path, best_step)
        refresh = self.refresh_prior_log_z()
        test_images = self.test_images()
        test = self.evaluate(test_images, cfg.eval_iw_samples, "test")
        logging.info("test -ELBO %.3f, test NLL %.3f (%d images x %d samples, %.0f s)", test.neg_elbo,
                     test.neg_ll, test.num_images, test.num_samples, test.seconds)
        self.summaries.evaluation("test", test, final_step)
        self.summaries.hyperparameters(final_step)
        self.summaries.flush()
        results = {
            "config": dataclasses.asdict(cfg),
            "steps": final_step,
            "best_step": best_step,
            "trained_steps_this_session": final_step - start_step,
            "wall_time_s": wall_seconds,                 # training and validation, this session
            "validation_seconds": validation_seconds,
            "steps_per_s": (final_step - start_step) / max(wall_seconds - validation_seconds, 1e-9),
            "compiled_steps_per_s": compiled_steps_per_s,
            "val_neg_elbo": float(self.best_val_neg_elbo.numpy()),
            "val_neg_ll": float(self.best_val_neg_ll.numpy()),
            "test_neg_elbo": test.neg_elbo,
            "test_cost": test.cost,
            "test_neg_ll": test.neg_ll,
            "test_neg_ll_stderr": test.neg_ll_stderr,
            "test_images": test.num_images,
            "test_images_digest": datasets.images_digest(test_images),
            "test_eval_seconds": test.seconds,
            "eval_iw_samples": test.num_samples,
            "prior_log_z": None if refresh is None else float(self.model.prior.log_z.numpy()),
            "prior_log_z_stderr": None if refresh is None else float(self.model.prior.log_z_stderr.numpy()),
            # The training sampler at the best checkpoint against the final AIS (see SamplerBias).
            "prior_sampler_bias": None if refresh is None else {
                name: float(value) for name, value in refresh.sampler_bias._asdict().items()},
        }
        atomic_io.write_npy(os.path.join(self.run_dir, "test_log_likelihoods.npy"), test.log_likelihoods)
        atomic_io.write_json(os.path.join(self.run_dir, "results.json"), results)
        return results
