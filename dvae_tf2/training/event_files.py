"""TensorBoard event files of a run directory: reading their scalars, dropping the events a resumed run will
write again.

A run resumed from its step-N checkpoint repeats the steps after N; TensorBoard would show both
versions of those steps (the killed session's and the resumed one's). `drop_events_after` rewrites
the existing event files (each atomically) without the events after step N, and without a record
torn by a kill in the middle of a write.
"""
import os

import tensorflow as tf
from absl import logging
from google.protobuf import message
from tensorflow.core.util import event_pb2

from dvae_tf2.runtime import atomic_io


def event_files(run_dir):
    """Paths of the TensorBoard event files directly in run_dir, in name (= creation time) order."""
    return [os.path.join(run_dir, name) for name in sorted(os.listdir(run_dir)) if ".tfevents." in name
            and not name.endswith(".part")]


def _records(path):
    """Serialized Event records of an event file, up to a truncated last record if any -> (records, torn)."""
    records = []
    try:
        for record in tf.data.TFRecordDataset(path):
            records.append(record.numpy())
    except tf.errors.DataLossError:
        return records, True
    return records, False


def scalar_events(run_dir):
    """The scalar summaries of run_dir's event files -> ({tag: {step: value}}, torn).

    Reads TF1 summaries (simple_value, as tf.compat.v1.summary.FileWriter wrote them) and TF2 ones (scalar
    tensors); an event of a later file replaces one of the same tag and step. torn: some file ended in a record
    cut short (a run killed while writing) or held no readable record at all. ValueError for a record that is
    not an Event.
    """
    scalars, torn = {}, False
    for path in event_files(run_dir):
        records, cut = _records(path)
        torn = torn or cut
        for record in records:
            try:
                event = event_pb2.Event.FromString(record)
            except message.DecodeError as error:
                raise ValueError(f"{path} holds a record that is not a TensorBoard event ({error})") from None
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    scalars.setdefault(value.tag, {})[event.step] = float(value.simple_value)
                elif value.HasField("tensor") and not value.tensor.tensor_shape.dim:
                    number = tf.make_ndarray(value.tensor)
                    if number.dtype.kind in "fiu":
                        scalars.setdefault(value.tag, {})[event.step] = float(number)
    return scalars, torn


def drop_events_after(run_dir, step):
    """Rewrites the event files of run_dir without the events of steps > `step`; returns how many it dropped."""
    dropped = 0
    for path in event_files(run_dir):
        records, torn = _records(path)
        kept = [record for record in records if event_pb2.Event.FromString(record).step <= step]
        if len(kept) == len(records) and not torn:
            continue
        dropped += len(records) - len(kept)

        def write(tmp, kept=kept):
            with tf.io.TFRecordWriter(tmp) as writer:
                for record in kept:
                    writer.write(record)

        atomic_io.atomic_write(path, write)
    if dropped:
        logging.info("dropped %d TensorBoard events after step %d (the resumed run writes them again)", dropped, step)
    return dropped
