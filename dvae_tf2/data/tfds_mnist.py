"""Binarized MNIST through TensorFlow Datasets' `binarized_mnist` builder, in the legacy files' image order.

The builder downloads the same three .amat files as the legacy code (one image per line) and stores each split's
examples sorted by the MD5 hash of their key (the line number) salted with the split name: TFDS's documented,
version-stable shuffle. `record_order` recomputes that order, so the legacy order (the test split is ordered by
class) is restored exactly; the caller verifies the result against the known digests of the legacy splits.
"""
import os
import tempfile

import numpy as np
import tensorflow_datasets as tfds
from tensorflow_datasets.core import hashing
from tensorflow_datasets.core.download import downloader

# TFDS retries a failed request 10 times with exponential backoff (about 3.5 minutes before an offline
# user hears anything); three retries still ride out a flaky connection.
downloader.MAX_RETRIES = 3

BUILDER = "binarized_mnist"
# Our split names (those of the legacy files) -> TFDS's.
TFDS_SPLITS = {"train": "train", "valid": "validation", "test": "test"}
_READ_BATCH = 10_000


def record_order(tfds_split, num_examples):
    """Keys (.amat line numbers) of a prepared TFDS split in the order its records are stored -> [N] int64."""
    hasher = hashing.Hasher(tfds_split)
    return np.array(sorted(range(num_examples), key=hasher.hash_key), dtype=np.int64)


def _images_in_file_order(builder, split):
    """One prepared split -> [N, 784] uint8 0/1 images, row i being line i of the split's .amat file."""
    tfds_split = TFDS_SPLITS[split]
    batches = builder.as_dataset(split=tfds_split, shuffle_files=False).batch(_READ_BATCH)
    stored = np.concatenate([batch["image"].reshape(len(batch["image"]), -1) for batch in tfds.as_numpy(batches)])
    images = np.empty_like(stored)
    images[record_order(tfds_split, len(stored))] = stored
    return images


def fetch(splits, work_dir):
    """Downloads and prepares `binarized_mnist` in a temporary directory under work_dir (removed afterwards).

    splits: names among "train", "valid", "test" -> {split: [N, 784] uint8 images in legacy file order}.
    Raises whatever TFDS raises when the download or preparation fails.
    """
    os.makedirs(work_dir, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work_dir, prefix="tfds.") as tmp:
        builder = tfds.builder(BUILDER, data_dir=tmp)
        builder.download_and_prepare(download_dir=os.path.join(tmp, "downloads"))
        return {split: _images_in_file_order(builder, split) for split in splits}
