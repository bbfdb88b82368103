"""Loads a checkpoint of the legacy TF1 code (a tf.train.Saver checkpoint) into our model.

The legacy variable names come from the legacy variable scopes. A network `<net>` (tf.layers under
variable_scope(<net>)/variable_scope(layer_<i>)) holds <net>/layer_<i>/dense/{kernel,bias} per layer and, on its
hidden layers, <net>/layer_<i>/bn/{gamma,beta,moving_mean,moving_variance}. The networks are:

* DVAE## directed posteriors: pre_proc (the shared context, our encoder's `context`) and lay0_enc_<i> (group i);
  the RBM posterior: lay0_enc (its network) and rbm_post/bn_w (the batch norm of its couplings);
* DVAE# posteriors: lay0_enc_<i> (group i);
* the decoder: recon_output.

The RBM prior's biases and couplings are tf.Variables: bias1 [n1, 1], bias2 [n2, 1] and pairwise [n1, n2] in
DVAE##. DVAE# gave the names to the initial values instead of the variables, so they are the graph's first
unnamed variables, Variable, Variable_1 and Variable_2 in that order. The DVAE## RBM posterior's persistent
chains are the first unnamed variable of its graph, Variable [training_size, k, n1] (0/1 floats).
"""
import dataclasses
import os
import re
import typing

import numpy as np
import tensorflow as tf
from absl import logging

from dvae_tf2.runtime import atomic_io
from dvae_tf2.baselines import DVAE_SHARP
from dvae_tf2.training import Trainer
from dvae_tf2.training.trainer import variable_name

# Legacy variables that are no part of the model: (pattern, why they are left out).
IGNORED = (
    (re.compile(r".*/Adam(_\d+)?$"), "Adam slot"),
    (re.compile(r"^beta[12]_power(_\d+)?$"), "Adam state"),
    (re.compile(r"^global_step_var$"), "global step (read as the run's step)"),
)
GLOBAL_STEP = "global_step_var"
REPORT_FILE = "tf1_import.json"   # the ImportReport, in the run directory
UNSUPPORTED = {"dvaes_gi": "its posterior's per-unit scales (lay0_mixture_<i>/s) and Gaussian-integral prior"}


class LegacyCheckpointError(ValueError):
    """A legacy checkpoint that does not fit the configuration: a missing variable or a shape mismatch."""


@dataclasses.dataclass
class ImportReport:
    """mapped: [(legacy name, our variable path)]; ignored: [(legacy name, why)]; unmapped: legacy names that
    belong to nothing of our model (e.g. the state of the legacy prior sampler); step: the legacy global step."""
    checkpoint: str
    step: int
    mapped: list
    ignored: list
    unmapped: list

    def as_dict(self):
        return dataclasses.asdict(self)


class _Target(typing.NamedTuple):
    variable: tf.Variable
    convert: typing.Callable   # legacy array -> our variable's value


def _same(array):
    return array


def _column(array):
    """A legacy [n, 1] bias as our [n] one."""
    return array[:, 0] if array.ndim == 2 and array.shape[1] == 1 else array


def _as_bool(array):
    return array > 0.5


def _network(prefix, network, targets):
    for i, (dense, norm) in enumerate(zip(network.dense_layers, network.norm_layers)):
        layer = f"{prefix}/layer_{i}"
        targets[f"{layer}/dense/kernel"] = _Target(dense.kernel, _same)
        targets[f"{layer}/dense/bias"] = _Target(dense.bias, _same)
        _batch_norm(f"{layer}/bn", norm, targets)
    if network.output_layer is not None:
        layer = f"{prefix}/layer_{network.num_hidden_layers}"
        targets[f"{layer}/dense/kernel"] = _Target(network.output_layer.kernel, _same)
        targets[f"{layer}/dense/bias"] = _Target(network.output_layer.bias, _same)


def _batch_norm(prefix, norm, targets):
    for name in ("gamma", "beta", "moving_mean", "moving_variance"):
        targets[f"{prefix}/{name}"] = _Target(getattr(norm, name), _same)


def legacy_targets(model):
    """{legacy variable name: _Target} of every legacy variable the model takes, for the model's configuration."""
    config = model.config
    if config.baseline in UNSUPPORTED:
        raise LegacyCheckpointError(f"--baseline={config.baseline} cannot be imported: {UNSUPPORTED[config.baseline]} "
                                    "have no counterpart mapped here")
    targets = {}
    encoder = model.encoder
    if hasattr(encoder, "coupling_norm"):   # the DVAE## RBM posterior
        _network("lay0_enc", encoder.net, targets)
        _batch_norm("rbm_post/bn_w", encoder.coupling_norm, targets)
        targets["Variable"] = _Target(encoder.chains, _as_bool)
        prior_names = ("bias1", "bias2", "pairwise")
    else:
        if encoder.context.num_hidden_layers:
            _network("pre_proc", encoder.context, targets)
        for i, group in enumerate(encoder.group_layers):
            _network(f"lay0_enc_{i}", group, targets)
        prior_names = (("Variable", "Variable_1", "Variable_2") if config.codebase == DVAE_SHARP
                       else ("bias1", "bias2", "pairwise"))
    _network("recon_output", model.decoder, targets)
    if model.prior is not None:   # struct has none (the legacy one stays at its zero initialisation)
        for name, variable, convert in zip(prior_names, (model.prior.b1, model.prior.b2, model.prior.w),
                                           (_column, _column, _same)):
            targets[name] = _Target(variable, convert)
    return targets


def checkpoint_prefix(path):
    """The checkpoint prefix of a legacy run directory (its newest <prefix>.index, as the Saver kept one) or of a
    prefix itself. The legacy `checkpoint` state file is not used: it names the prefix by the legacy machine's
    absolute path."""
    if os.path.isfile(path + ".index"):
        return path
    if not os.path.isdir(path):
        raise FileNotFoundError(f"--checkpoint={path} is neither a legacy run directory nor a checkpoint prefix")
    indexes = [name[: -len(".index")] for name in os.listdir(path) if name.endswith(".index")]
    if not indexes:
        raise FileNotFoundError(f"{path} holds no TF1 checkpoint (no <prefix>.index file)")

    def step(prefix):
        number = prefix.rsplit("-", 1)[-1]
        return int(number) if number.isdigit() else -1

    return os.path.join(path, max(indexes, key=lambda prefix: (step(prefix), prefix)))


def _ignored_reason(name):
    for pattern, reason in IGNORED:
        if pattern.match(name):
            return reason
    return None


def load_legacy_checkpoint(prefix, model):
    """Assigns the legacy checkpoint at `prefix` to the model's variables -> ImportReport.

    Raises LegacyCheckpointError naming the variable if one the model needs is missing or has another shape.
    """
    reader = tf.train.load_checkpoint(prefix)
    shapes = dict(tf.train.list_variables(prefix))
    targets = legacy_targets(model)
    missing = sorted(set(targets) - set(shapes))
    if missing:
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise LegacyCheckpointError(f"{prefix} lacks the legacy variable {missing[0]}{more} that "
                                    f"--baseline={model.config.baseline} needs; is it a checkpoint of this "
                                    "configuration?")
    values = {}
    for name, target in targets.items():
        value = np.asarray(target.convert(reader.get_tensor(name)))
        expected = tuple(target.variable.shape)
        if value.shape != expected:
            raise LegacyCheckpointError(f"the legacy variable {name} has shape {list(shapes[name])}, but "
                                        f"{variable_name(target.variable)} needs {list(expected)} for this "
                                        "configuration")
        values[name] = value
    for name, target in targets.items():
        target.variable.assign(values[name].astype(tf.as_dtype(target.variable.dtype).as_numpy_dtype))
    step = int(reader.get_tensor(GLOBAL_STEP)) if GLOBAL_STEP in shapes else 0
    ignored = [(name, _ignored_reason(name)) for name in sorted(shapes)
               if name not in targets and _ignored_reason(name)]
    unmapped = [name for name in sorted(shapes) if name not in targets and not _ignored_reason(name)]
    return ImportReport(checkpoint=prefix, step=step, mapped=[(name, variable_name(targets[name].variable))
                                                              for name in sorted(targets)],
                        ignored=ignored, unmapped=unmapped)


def import_and_evaluate(config, splits, prefix):
    """Writes config.run_dir as a dvae_tf2 run holding the legacy checkpoint's model, and evaluates it as a
    finished run of ours -> (ImportReport, results dict).

    The run directory gets config.json, the `best` and `latest` checkpoints (at the legacy step; --resume and
    restore_best_model load them), REPORT_FILE, and what a finished run writes: a validation and the final test
    (AIS log Z of the prior, IW NLL on the configuration's test images), results.json, TensorBoard events.
    """
    trainer = Trainer(config, splits)
    report = load_legacy_checkpoint(prefix, trainer.model)
    logging.info("imported %s (step %d): %d variables mapped, %d ignored, %d unmapped (%s)", prefix, report.step,
                 len(report.mapped), len(report.ignored), len(report.unmapped), ", ".join(report.unmapped) or "-")
    atomic_io.write_json(os.path.join(config.run_dir, REPORT_FILE), report.as_dict())
    trainer.optimizer.iterations.assign(report.step)
    trainer.validate(report.step)   # saves `best` and `latest`
    return report, trainer.final_evaluation(0.0, 0.0, report.step)
