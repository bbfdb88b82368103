"""Data-parallel training with tf.distribute (--distribution_strategy).

* `make_strategy`: the strategies by the TensorFlow Model Garden's names.
* `ReplicaRowNoise`: the random numbers of one replica's rows of a global batch, so a step draws the same
  numbers however its batch is split over replicas.
* `scatter_rows`: writes rows of per-example state (the RBM posterior's persistent chains) from one device or
  from the replicas of a step.
"""
import os

import keras
import tensorflow as tf

from dvae_tf2.runtime.strategy_names import STRATEGIES


def split_cpu(num_devices):
    """Splits the first CPU into num_devices logical devices; call before TensorFlow initialises its devices."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * num_devices)
    except RuntimeError as error:   # TensorFlow has already set up its devices in this process
        if len(tf.config.list_logical_devices("CPU")) != num_devices:
            raise ValueError(f"--num_cpu_devices={num_devices}: the CPU can no longer be split in this process "
                             f"({error})") from None


def make_strategy(name, num_gpus=None, num_cpu_devices=1):
    """The tf.distribute.Strategy of --distribution_strategy=name; raises ValueError for an unusable setting.

    default: the current (no-op) strategy. mirrored: all local GPUs (the first num_gpus), else every logical
    CPU device (num_cpu_devices > 1 splits the CPU first). multi_worker_mirrored: the workers of TF_CONFIG.
    """
    if name not in STRATEGIES:
        raise ValueError(f"--distribution_strategy={name!r}; valid: {', '.join(STRATEGIES)}")
    if num_cpu_devices > 1:
        split_cpu(num_cpu_devices)
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "multi_worker_mirrored":
        if not os.environ.get("TF_CONFIG"):
            raise ValueError("--distribution_strategy=multi_worker_mirrored needs the TF_CONFIG environment variable "
                             "(cluster and task of this worker)")
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if num_gpus is not None:
        if num_gpus > len(gpus):
            raise ValueError(f"--num_gpus={num_gpus}, but TensorFlow sees {len(gpus)} GPU(s)")
        gpus = gpus[:num_gpus]
    return mirrored([device.name for device in gpus or tf.config.list_logical_devices("CPU")])


def is_chief(strategy):
    """Whether this process writes the run: always, except for the non-chief workers of multi_worker_mirrored."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.cluster_spec().as_dict():
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def worker_log_dir(strategy, log_dir):
    """log_dir for the chief; for another worker its own directory below it, workers/<type>_<id>, where it
    writes its copy of the run (every worker runs every step, checkpoint and evaluation in lockstep)."""
    if is_chief(strategy):
        return log_dir
    resolver = strategy.cluster_resolver
    return os.path.join(log_dir, "workers", f"{resolver.task_type}_{resolver.task_id}")


def mirrored(devices):
    """MirroredStrategy over `devices`, reducing through one device.

    The default collective all-reduce assigns instance keys in each replica's trace order, and the
    synchronized batch norm's reductions (forward and backward) and the gradients' reduction came out in
    different orders on different replicas (a shape-mismatch abort); reduction to one device has no such keys.
    """
    return tf.distribute.MirroredStrategy(devices, cross_device_ops=tf.distribute.ReductionToOneDevice())


class ReplicaRowNoise:
    """Random numbers for replica r of R of a step whose global batch is split into R equal row blocks.

    A draw of shape [n, ...] takes block r of one stateless draw of shape [R n, ...] keyed by the step's
    `seed`, so the R replicas together see exactly the numbers a single device sees. The first axis of every
    shape must index the local rows example-major (row i belongs to the i-th local example or one of its
    samples). Draws are keyed by their order at trace time: inside a tf.while_loop body, take a seed with
    `make_seeds` before the loop and use `flat_offset` with a stateless op instead.

    Offers the tf.random.Generator methods the posteriors call: uniform, normal, make_seeds.
    """

    def __init__(self, seed, replica, num_replicas):
        self._seed = seed                    # int64 [2], the same on every replica
        self.replica = replica               # scalar int32 tensor
        self.num_replicas = num_replicas
        self._draws = 0

    def _next_seed(self):
        self._draws += 1
        return tf.random.experimental.stateless_fold_in(self._seed, self._draws)

    def _block(self, draw, shape):
        shape = tf.convert_to_tensor(shape, tf.int32)
        global_shape = tf.concat([shape[:1] * self.num_replicas, shape[1:]], axis=0)
        blocks = tf.reshape(draw(global_shape, self._next_seed()), tf.concat([[self.num_replicas], shape], axis=0))
        return tf.gather(blocks, self.replica)

    def uniform(self, shape, minval=0.0, maxval=1.0, dtype=tf.float32):
        return self._block(lambda s, seed: tf.random.stateless_uniform(s, seed, minval, maxval, dtype), shape)

    def normal(self, shape, mean=0.0, stddev=1.0, dtype=tf.float32):
        return self._block(lambda s, seed: tf.random.stateless_normal(s, seed, mean, stddev, dtype), shape)

    def make_seeds(self, count=1):
        """int64 [2, count] seeds, the same on every replica (key row-aware stateless draws with flat_offset)."""
        return tf.random.stateless_uniform([2, count], self._next_seed(), minval=None, maxval=None, dtype=tf.int64)

    def flat_offset(self, shape):
        """Flat index, in the global draw, of this replica's first element of a local draw of `shape`."""
        return tf.cast(self.replica, tf.int32) * tf.reduce_prod(tf.convert_to_tensor(shape, tf.int32))


def flat_offset(rng, shape):
    """`rng.flat_offset(shape)` for a ReplicaRowNoise, 0 for a tf.random.Generator (one device draws everything)."""
    return rng.flat_offset(shape) if isinstance(rng, ReplicaRowNoise) else 0


def synchronize_batch_norm(layers):
    """Makes every BatchNormalization in `layers` (and their sublayers) normalise by the moments of the global
    batch (Keras' synchronized batch norm); otherwise each replica would use its own rows' moments."""
    for top in layers:
        # Keras 3 offers no public recursive walk over a Layer's sublayers.
        for layer in top._flatten_layers(include_self=True, recursive=True):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.synchronized = True


def check_batch_split(strategy, batch_size):
    """Raises ValueError unless the global batch splits into equal row blocks over the strategy's replicas."""
    if batch_size % strategy.num_replicas_in_sync:
        raise ValueError(f"--batch_size={batch_size} must split evenly over the {strategy.num_replicas_in_sync} "
                         "replicas of --distribution_strategy")


def _scatter(variable, index, rows):
    return variable.scatter_nd_update(index[:, None], rows)


def scatter_rows(variable, index, rows):
    """variable[index[i]] = rows[i], for the rows of every replica when called in a replica context.

    index [N] int, rows [N, ...] of variable's dtype. Without a strategy it is one scatter; in a replica
    context (the training step's, the only caller) the replicas' rows are all-gathered and every copy of the
    variable gets all of them.
    """
    if not tf.distribute.has_strategy():
        _scatter(variable, index, rows)
        return
    context = tf.distribute.get_replica_context()
    index = context.all_gather(tf.cast(index, tf.int32), axis=0)
    # Collectives take few types: anything but floats (e.g. the bool chains) travels as int32.
    wire = rows.dtype if rows.dtype.is_floating else tf.int32
    rows = tf.cast(context.all_gather(tf.cast(rows, wire), axis=0), rows.dtype)
    context.merge_call(lambda strategy, i, r: strategy.extended.update(variable, _scatter, args=(i, r)),
                       args=(index, rows))
