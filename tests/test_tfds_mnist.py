"""Binarized MNIST absent from --data_dir: legacy .amat files, else TFDS's builder (mocked, no network)."""
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from dvae_tf2.data import datasets, tfds_mnist

_SIZES = {"train": 30, "valid": 5, "test": 6}


@pytest.fixture
def small_splits(monkeypatch):
    """{split: [N, 784] uint8} small random binary splits, made the ones the loader accepts (their digests)."""
    rng = np.random.default_rng(0)
    images = {split: (rng.random((n, 784)) < 0.3).astype(np.uint8) for split, n in _SIZES.items()}
    monkeypatch.setattr(datasets, "MNIST_DIGESTS", {split: datasets.images_digest(a) for split, a in images.items()})
    return images


def _cache(tmp_path, split):
    with np.load(tmp_path / "binarized_mnist" / f"binarized_mnist_{split}.npz") as archive:
        return archive["arr_0"]


def _files(tmp_path):
    directory = tmp_path / "binarized_mnist"
    return sorted(os.listdir(directory)) if directory.exists() else []


_NPZ_FILES = [f"binarized_mnist_{split}.npz" for split in ("test", "train", "valid")]


def _serve_in_tfds_record_order(images):
    """A mock of TFDS's reader yielding each split's images in the order TFDS stores them (28x28x1 uint8)."""
    ours = {tfds_split: split for split, tfds_split in tfds_mnist.TFDS_SPLITS.items()}

    def as_dataset(self, split, **kwargs):
        del self, kwargs
        stored = images[ours[str(split)]][tfds_mnist.record_order(str(split), len(images[ours[str(split)]]))]
        return tf.data.Dataset.from_tensor_slices({"image": stored.reshape(-1, 28, 28, 1)})
    return as_dataset


def test_tfds_splits_are_cached_as_legacy_npz_in_file_order(tmp_path, small_splits):
    with tfds.testing.mock_data(as_dataset_fn=_serve_in_tfds_record_order(small_splits)):
        splits = datasets.load_dataset("binarized_mnist", str(tmp_path))
    for split, loaded in zip(datasets.MNIST_SPLITS, (splits.train, splits.valid, splits.test)):
        np.testing.assert_array_equal(loaded, small_splits[split])
        cached = _cache(tmp_path, split)
        assert cached.dtype == np.uint8
        np.testing.assert_array_equal(cached, small_splits[split])
    assert _files(tmp_path) == _NPZ_FILES  # TFDS's working directory is gone
    again = datasets.load_dataset("binarized_mnist", str(tmp_path), download=False)  # from the cache alone
    np.testing.assert_array_equal(again.test, small_splits["test"])


def test_tfds_images_that_miss_the_legacy_digests_are_refused_and_nothing_is_cached(tmp_path):
    with tfds.testing.mock_data(num_examples=7, max_value=1):  # random 0/1 images, not the legacy splits
        with pytest.raises(datasets.DatasetError, match="no cache written") as err:
            datasets.load_dataset("binarized_mnist", str(tmp_path))
    assert datasets.MNIST_DIGESTS["train"] in str(err.value)
    assert _files(tmp_path) == []


def test_only_the_missing_split_is_fetched(tmp_path, small_splits):
    directory = tmp_path / "binarized_mnist"
    directory.mkdir()
    for split in ("train", "valid"):
        np.savez_compressed(directory / f"binarized_mnist_{split}.npz", small_splits[split])
    served = []
    record_order = _serve_in_tfds_record_order(small_splits)

    def as_dataset(self, split, **kwargs):
        served.append(str(split))
        return record_order(self, split, **kwargs)
    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        splits = datasets.load_dataset("binarized_mnist", str(tmp_path))
    assert served == ["test"]
    np.testing.assert_array_equal(splits.test, small_splits["test"])
    assert _files(tmp_path) == _NPZ_FILES


def test_record_order_is_the_order_tfds_writes(tmp_path, small_splits, monkeypatch):
    """The real builder prepares small .amat files (served instead of downloaded); the file order comes back."""
    amat = {}
    for split, images in small_splits.items():
        amat[split] = tmp_path / f"{split}.amat"
        np.savetxt(amat[split], images, fmt="%d")
    by_key = {"train_data": "train", "validation_data": "valid", "test_data": "test"}
    monkeypatch.setattr(tfds.download.DownloadManager, "download",
                        lambda self, urls: {key: str(amat[by_key[key]]) for key in urls})
    fetched = tfds_mnist.fetch(["train", "valid", "test"], str(tmp_path / "work"))
    for split, images in small_splits.items():
        np.testing.assert_array_equal(fetched[split], images)
        assert not np.array_equal(tfds_mnist.record_order(tfds_mnist.TFDS_SPLITS[split], len(images)),
                                  np.arange(len(images)))  # TFDS did reorder them
    assert os.listdir(tmp_path / "work") == []


def test_offline_names_the_files_and_the_source_and_leaves_nothing_behind(tmp_path, monkeypatch):
    def unreachable(self, urls):
        raise ConnectionError("network unreachable")
    monkeypatch.setattr(tfds.download.DownloadManager, "download", unreachable)
    with pytest.raises(datasets.DatasetError) as err:
        datasets.load_dataset("binarized_mnist", str(tmp_path))
    message = str(err.value)
    assert all(f"binarized_mnist_{split}.npz" in message for split in datasets.MNIST_SPLITS), message
    assert "larocheh" in message and "binarized_mnist builder" in message and "network unreachable" in message
    assert _files(tmp_path) == []


def test_legacy_amat_files_are_converted_without_network(tmp_path, small_splits, monkeypatch):
    def unreachable(self, urls):
        raise AssertionError("TFDS must not be asked for splits whose .amat file is there")
    monkeypatch.setattr(tfds.download.DownloadManager, "download", unreachable)
    directory = tmp_path / "binarized_mnist"
    directory.mkdir()
    for split, images in small_splits.items():
        np.savetxt(directory / f"binarized_mnist_{split}.amat", images, fmt="%d")
    splits = datasets.load_dataset("binarized_mnist", str(tmp_path), download=False)
    np.testing.assert_array_equal(splits.valid, small_splits["valid"])
    np.testing.assert_array_equal(_cache(tmp_path, "train"), small_splits["train"])
    assert _files(tmp_path) == sorted(_NPZ_FILES + [f"binarized_mnist_{s}.amat" for s in _SIZES])


def test_an_amat_file_that_is_not_the_legacy_split_is_refused(tmp_path, small_splits):
    directory = tmp_path / "binarized_mnist"
    directory.mkdir()
    for split, images in small_splits.items():
        np.savetxt(directory / f"binarized_mnist_{split}.amat", 1 - images if split == "valid" else images, fmt="%d")
    with pytest.raises(datasets.DatasetError, match="valid split: 5 images with digest"):
        datasets.load_dataset("binarized_mnist", str(tmp_path), download=False)
    assert not any(name.endswith(".npz") for name in _files(tmp_path))
