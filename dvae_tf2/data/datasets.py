"""Datasets: binarized MNIST and OMNIGLOT, cached on disk and fed to training through tf.data.

Layout under `data_dir` (the legacy one):
  binarized_mnist/binarized_mnist_{train,valid,test}.npz   key `arr_0`, [N, 784] 0/1 (uint8 or float64)
  OMNIGLOT/chardata.mat                                     keys `data` [784, N], `testdata` [784, M]

Missing MNIST splits are converted from legacy .amat files beside them, or else obtained through TFDS's
`binarized_mnist` builder and verified against the digests of the legacy splits; a missing OMNIGLOT file is
downloaded. Caches are written atomically; offline, a DatasetError names the files expected and where they
come from. Training batches are a pure function of (seed, step), so a resumed run sees the
same batches as an uninterrupted one.
"""
import dataclasses
import functools
import hashlib
import os
import urllib.error
import urllib.request
import zipfile

import numpy as np
import scipy.io
import tensorflow as tf
from absl import logging

from dvae_tf2.data.catalog import DATASETS
from dvae_tf2.runtime import atomic_io, random_streams

NUM_PIXELS = 784
MNIST_URL = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/binarized_mnist_{split}.amat"
MNIST_SPLITS = ("train", "valid", "test")
# images_digest of each legacy split in file order, computed from the legacy caches (../shared/data).
MNIST_DIGESTS = {"train": "44e6115949ba1c4b", "valid": "e58a3fb25803d652", "test": "bc618ef8bc2e7e6b"}
OMNIGLOT_URL = "https://raw.github.com/yburda/iwae/master/datasets/OMNIGLOT/chardata.mat"
OMNIGLOT_NUM_VALID = 1345
# Legacy: the validation and the test images are each binarized once by numpy's legacy generator
# freshly seeded with 1, so both splits are compared against the start of the same uniform stream.
_OMNIGLOT_BINARIZATION_SEED = 1
_DOWNLOAD_TIMEOUT_S = 60


class DatasetError(RuntimeError):
    """A dataset file is missing and cannot be downloaded, or is truncated or malformed."""


@dataclasses.dataclass(frozen=True)
class DataSplits:
    """Train/valid/test images as float32 [N, 784] arrays.

    With dynamic_binarization, `train` holds grey levels in [0, 1] and every training batch is a fresh
    Bernoulli sample of them; otherwise all splits hold 0/1 values.
    """
    name: str
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    dynamic_binarization: bool

    @functools.cached_property
    def train_mean(self):
        """[784] float32 mean training pixel (the expected value of a binarized pixel)."""
        return self.train.mean(axis=0).astype(np.float32)


# --------------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------------
def _download(url, path, description):
    """Downloads url to path atomically; DatasetError (naming path and url) on failure."""
    logging.info("downloading %s from %s", description, url)

    def fetch(tmp):
        with urllib.request.urlopen(url, timeout=_DOWNLOAD_TIMEOUT_S) as response, open(tmp, "wb") as out:
            while chunk := response.read(1 << 20):
                out.write(chunk)

    try:
        atomic_io.atomic_write(path, fetch)
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise DatasetError(f"{description} is missing: expected {path}, and downloading it from {url} failed "
                           f"({e}). Download it by hand and place it there, or point --data_dir at a "
                           f"directory that holds it.") from e


def _check_images(images, path, binary):
    if images.ndim != 2 or images.shape[1] != NUM_PIXELS or images.shape[0] == 0:
        raise DatasetError(f"{path}: expected a non-empty [N, {NUM_PIXELS}] image array, got shape {images.shape}")
    if not np.all(np.isfinite(images)) or images.min() < 0 or images.max() > 1:
        raise DatasetError(f"{path}: pixel values must lie in [0, 1]")
    if binary and not np.all((images == 0) | (images == 1)):
        raise DatasetError(f"{path}: binarized MNIST pixels must be 0 or 1")


def _mnist_path(directory, split, extension):
    return os.path.join(directory, f"binarized_mnist_{split}.{extension}")


def _read_amat(amat_path):
    """Legacy text file, one image of 784 space-separated 0/1 values per line -> [N, 784] uint8."""
    try:
        images = np.loadtxt(amat_path, dtype=np.float64)
    except ValueError as e:
        raise DatasetError(f"{amat_path}: not a valid .amat file of 0/1 pixels ({e})") from e
    _check_images(images, amat_path, binary=True)
    return images.astype(np.uint8)


def _missing_mnist(directory, splits):
    """Start of the error message for absent splits: the files expected and where they come from."""
    expected = ", ".join(_mnist_path(directory, split, "npz") for split in splits)
    return f"binarized MNIST is missing: expected {expected} (from {MNIST_URL} via TFDS's binarized_mnist builder)"


def _fetch_through_tfds(directory, splits):
    """The named splits from TFDS's binarized_mnist builder -> {split: [N, 784] uint8}; DatasetError offline."""
    from dvae_tf2.data import tfds_mnist  # TFDS takes a while to import and is only needed here.
    logging.info("binarized MNIST %s: not in %s, obtaining it through TFDS's %s builder", ", ".join(splits),
                 directory, tfds_mnist.BUILDER)
    try:
        return tfds_mnist.fetch(splits, directory)
    except Exception as e:  # TFDS raises many kinds (network, checksum, preparation); all mean the same here.
        raise DatasetError(f"{_missing_mnist(directory, splits)}, and obtaining it failed ({type(e).__name__}: {e}). "
                           f"Place the .npz files (or the legacy .amat files) there, or point --data_dir at a "
                           f"directory that holds them.") from e


def _save_npz(path, images):
    def save(tmp):
        with open(tmp, "wb") as f:
            np.savez_compressed(f, images)
    atomic_io.atomic_write(path, save)


def _write_mnist_caches(directory, splits, download):
    """Writes the npz caches of the named (missing) splits: from legacy .amat files, else through TFDS.

    Every split must match its legacy digest (MNIST_DIGESTS) before any cache is written.
    """
    images = {split: _read_amat(_mnist_path(directory, split, "amat")) for split in splits
              if os.path.exists(_mnist_path(directory, split, "amat"))}
    absent = [split for split in splits if split not in images]
    if absent and not download:
        raise DatasetError(f"{_missing_mnist(directory, absent)}; downloading is disabled")
    if absent:
        images.update(_fetch_through_tfds(directory, absent))
    for split, array in images.items():
        digest = images_digest(array)
        if digest != MNIST_DIGESTS[split]:
            raise DatasetError(f"binarized MNIST {split} split: {len(array)} images with digest {digest}, not the "
                               f"legacy split's {MNIST_DIGESTS[split]} ({MNIST_URL.format(split=split)}); no "
                               f"cache written")
    for split, array in images.items():
        _save_npz(_mnist_path(directory, split, "npz"), array)


def _read_mnist_cache(directory, split):
    npz_path = _mnist_path(directory, split, "npz")
    try:
        with np.load(npz_path) as archive:
            images = archive["arr_0"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:
        raise DatasetError(f"{npz_path} is truncated or corrupted ({type(e).__name__}: {e}); delete it so that it "
                           f"is rebuilt from {MNIST_URL.format(split=split)}") from e
    _check_images(images, npz_path, binary=True)
    return images.astype(np.float32)


def _fortran_images(columns):
    """[784, N] matrix whose columns are 28x28 images stored column-major -> [N, 784] row-major images."""
    return columns.T.reshape(-1, 28, 28).transpose(0, 2, 1).reshape(-1, NUM_PIXELS)


def _binarize_once(images, seed):
    """Legacy fixed binarization: u < p with u ~ U[0, 1) drawn row-major by numpy's RandomState(seed).

    images: [N, 784] grey levels, float32 as the legacy code casts them before the (float64) comparison
    -> [N, 784] 0/1 float32.
    """
    uniform = np.random.RandomState(seed).random_sample(images.shape)
    return (uniform < images).astype(np.float32)


def load_binarized_mnist(data_dir, download=True):
    directory = os.path.join(data_dir, "binarized_mnist")
    missing = [split for split in MNIST_SPLITS if not os.path.exists(_mnist_path(directory, split, "npz"))]
    if missing:
        _write_mnist_caches(directory, missing, download)
    train, valid, test = (_read_mnist_cache(directory, split) for split in MNIST_SPLITS)
    return DataSplits("binarized_mnist", train, valid, test, dynamic_binarization=False)


def load_omniglot(data_dir, download=True):
    path = os.path.join(data_dir, "OMNIGLOT", "chardata.mat")
    if not os.path.exists(path):
        if not download:
            raise DatasetError(f"OMNIGLOT is missing: expected {path} (from {OMNIGLOT_URL}); downloading is disabled")
        _download(OMNIGLOT_URL, path, "OMNIGLOT chardata.mat")
    try:
        mat = scipy.io.loadmat(path)
        train_all, test = (_fortran_images(np.asarray(mat[key], np.float32)) for key in ("data", "testdata"))
    except (OSError, ValueError, KeyError, TypeError, scipy.io.matlab.MatReadError) as e:
        raise DatasetError(f"{path} is truncated or corrupted, or lacks the keys 'data'/'testdata' of shape "
                           f"[784, N] ({type(e).__name__}: {e}); delete it so that it is downloaded again from "
                           f"{OMNIGLOT_URL}") from e
    for images in (train_all, test):
        _check_images(images, path, binary=False)
    if len(train_all) <= OMNIGLOT_NUM_VALID:
        raise DatasetError(f"{path}: 'data' has {len(train_all)} images; need more than the {OMNIGLOT_NUM_VALID} "
                           f"held out for validation")
    train, valid = train_all[:-OMNIGLOT_NUM_VALID], train_all[-OMNIGLOT_NUM_VALID:]
    return DataSplits("omniglot", train, _binarize_once(valid, _OMNIGLOT_BINARIZATION_SEED),
                      _binarize_once(test, _OMNIGLOT_BINARIZATION_SEED), dynamic_binarization=True)


_LOADERS = {"binarized_mnist": load_binarized_mnist, "omniglot": load_omniglot}


def load_dataset(name, data_dir, download=True):
    """Loads (downloading if needed and allowed) the named dataset -> DataSplits."""
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; valid values: {', '.join(DATASETS)}")
    splits = _LOADERS[name](data_dir, download)
    logging.info("%s: %d train / %d valid / %d test images", name, len(splits.train), len(splits.valid),
                 len(splits.test))
    return splits


# --------------------------------------------------------------------------------------------------
# Pipelines
# --------------------------------------------------------------------------------------------------
def training_batches(splits, batch_size, seed, start_step=0):
    """tf.data pipeline of training batches (x [B, 784] float32, index [B] int32), endless.

    Batch b (0-based; batch start_step is the first yielded) takes positions [b*B, (b+1)*B) of epoch
    b // (N // B)'s order: file order in epoch 0 (as the legacy code, which shuffles only from the second
    epoch on), a permutation drawn from (the run seed's data-order stream, epoch) afterwards; incomplete last
    batches are dropped. With dynamic binarization the pixels are Bernoulli samples seeded by (its binarization
    stream, b). `seed` is the run seed (random_streams).
    """
    streams = random_streams.run_streams(seed)
    num_train = len(splits.train)
    if not 0 < batch_size <= num_train:
        raise ValueError(f"batch_size={batch_size} must be in [1, {num_train}] for {splits.name}")
    batches_per_epoch = num_train // batch_size
    train = tf.constant(splits.train)

    def shuffled(epoch):
        seed_pair = tf.stack([tf.constant(streams.data_order, tf.int64), epoch])
        keys = tf.random.stateless_uniform([num_train], seed=seed_pair)
        return tf.cast(tf.argsort(keys), tf.int32)

    def epoch_indices(epoch):
        order = tf.cond(epoch == 0, lambda: tf.range(num_train, dtype=tf.int32), lambda: shuffled(epoch))
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=True)

    def make_batch(batch_number, index):
        x = tf.gather(train, index)
        if splits.dynamic_binarization:
            noise_seed = tf.stack([tf.constant(streams.binarization, tf.int64), batch_number])
            x = tf.cast(tf.random.stateless_uniform(tf.shape(x), seed=noise_seed) < x, tf.float32)
        return x, index

    start_epoch, skip = divmod(start_step, batches_per_epoch)
    indices = tf.data.Dataset.range(start_epoch, np.iinfo(np.int64).max).flat_map(epoch_indices).skip(skip)
    numbered = tf.data.Dataset.zip(tf.data.Dataset.range(start_step, np.iinfo(np.int64).max), indices)
    return numbered.map(make_batch, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def strided_subset(images, size):
    """Every (N // size)-th image, `size` of them: a class-balanced subset of a class-ordered split."""
    if not 0 < size <= len(images):
        raise ValueError(f"subset size {size} must be in [1, {len(images)}]")
    return images[:: len(images) // size][:size]


def images_digest(images):
    """Short SHA-256 hex digest of an image array's shape and binary pixel values: equal for the same images."""
    pixels = np.ascontiguousarray(np.asarray(images) > 0.5)
    return hashlib.sha256(repr(pixels.shape).encode() + np.packbits(pixels).tobytes()).hexdigest()[:16]
