"""TensorBoard event files of a run directory: dropping the events a resumed run will write again.

A run resumed from its step-N checkpoint repeats the steps after N; TensorBoard would show both
versions of those steps (the killed session's and the resumed one's). `drop_events_after` rewrites
the existing event files (each atomically) without the events after step N, and without a record
torn by a kill in the middle of a write.
"""
import os

import tensorflow as tf
from absl import logging
from tensorflow.core.util import event_pb2

from dvae_tf2 import atomic_io


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
