"""Dataset loaders and training pipelines: shared binarized MNIST, synthetic OMNIGLOT and bad files."""
import os
import urllib.error

import numpy as np
import pytest

from dvae_tf2.data import datasets
from tests.synthetic_data import save_chardata, write_chardata


def _first_batches(splits, num, batch_size=7, seed=3, start_step=0):
    batches = datasets.training_batches(splits, batch_size, seed, start_step).take(num)
    return [(x.numpy(), i.numpy()) for x, i in batches]


def _no_network(monkeypatch):
    def refuse(url, timeout=None):
        raise urllib.error.URLError("network unreachable")
    monkeypatch.setattr(datasets.urllib.request, "urlopen", refuse)


# --------------------------------------------------------------------------------------------------
# Binarized MNIST
# --------------------------------------------------------------------------------------------------
def test_shared_binarized_mnist_loads_with_documented_shapes_and_means(shared_data_dir, monkeypatch):
    _no_network(monkeypatch)
    splits = datasets.load_dataset("binarized_mnist", shared_data_dir)
    assert [len(s) for s in (splits.train, splits.valid, splits.test)] == [50000, 10000, 10000]
    for images, mean in ((splits.train, 0.1306), (splits.valid, 0.1311), (splits.test, 0.1325)):
        assert images.dtype == np.float32 and images.shape[1] == 784
        assert set(np.unique(images)) == {0.0, 1.0}
        assert abs(images.mean() - mean) < 5e-4
    assert not splits.dynamic_binarization
    np.testing.assert_allclose(splits.train_mean, splits.train.mean(0), atol=1e-6)
    # The digests a fresh download is verified against are those of the legacy files.
    assert {split: datasets.images_digest(images) for split, images in zip(
        datasets.MNIST_SPLITS, (splits.train, splits.valid, splits.test))} == datasets.MNIST_DIGESTS


def test_missing_mnist_without_download_names_the_expected_file(tmp_path):
    with pytest.raises(datasets.DatasetError, match="binarized_mnist_train.npz"):
        datasets.load_dataset("binarized_mnist", str(tmp_path), download=False)


def test_legacy_float64_cache_is_accepted(tmp_path):
    directory = tmp_path / "binarized_mnist"
    directory.mkdir()
    rng = np.random.default_rng(1)
    for split in ("train", "valid", "test"):
        np.savez_compressed(directory / f"binarized_mnist_{split}.npz", (rng.random((8, 784)) < 0.5).astype(np.float64))
    splits = datasets.load_dataset("binarized_mnist", str(tmp_path), download=False)
    assert splits.train.dtype == np.float32 and splits.train.shape == (8, 784)


@pytest.mark.parametrize("damage", ["truncate", "wrong_shape", "not_binary"])
def test_damaged_mnist_cache_gives_a_clear_error(tmp_path, shared_data_dir, damage):
    directory = tmp_path / "binarized_mnist"
    directory.mkdir()
    for split in ("train", "valid", "test"):
        np.savez_compressed(directory / f"binarized_mnist_{split}.npz", np.zeros((4, 784), np.uint8))
    target = directory / "binarized_mnist_valid.npz"
    if damage == "truncate":
        content = open(os.path.join(shared_data_dir, "binarized_mnist", "binarized_mnist_valid.npz"), "rb").read()
        target.write_bytes(content[: len(content) // 2])
        pattern = "truncated or corrupted"
    elif damage == "wrong_shape":
        np.savez_compressed(target, np.zeros((4, 100), np.uint8))
        pattern = r"\[N, 784\]"
    else:
        np.savez_compressed(target, np.full((4, 784), 0.5))
        pattern = "must be 0 or 1"
    with pytest.raises(datasets.DatasetError, match=pattern) as err:
        datasets.load_dataset("binarized_mnist", str(tmp_path), download=False)
    assert "binarized_mnist_valid.npz" in str(err.value)


# --------------------------------------------------------------------------------------------------
# OMNIGLOT (synthetic chardata.mat with the real keys and layout)
# --------------------------------------------------------------------------------------------------
def test_omniglot_reads_column_major_images_and_holds_out_the_last_1345(tmp_path):
    train_grey, test_grey = write_chardata(tmp_path)
    splits = datasets.load_dataset("omniglot", str(tmp_path), download=False)
    assert splits.dynamic_binarization
    assert len(splits.train) == 1400 - 1345 and len(splits.valid) == 1345 and len(splits.test) == 40
    np.testing.assert_allclose(splits.train, train_grey[:55], atol=1e-6)
    assert np.all(splits.train[:, 5] == 1.0) and np.all(splits.train[:, 5 * 28] == 0.0)
    # Validation/test: binarized once, with a fixed seed, following the grey levels.
    assert set(np.unique(splits.valid)) <= {0.0, 1.0} and set(np.unique(splits.test)) <= {0.0, 1.0}
    assert np.all(splits.valid[:, 5] == 1.0) and np.all(splits.valid[:, 5 * 28] == 0.0)
    assert abs(splits.valid.mean() - train_grey[55:].mean()) < 0.01
    again = datasets.load_dataset("omniglot", str(tmp_path), download=False)
    np.testing.assert_array_equal(again.valid, splits.valid)
    np.testing.assert_array_equal(again.test, splits.test)


def test_omniglot_training_batches_are_binarized_dynamically(tmp_path):
    write_chardata(tmp_path)
    splits = datasets.load_dataset("omniglot", str(tmp_path), download=False)
    batches = _first_batches(splits, 200, batch_size=11)
    xs = np.concatenate([x for x, _ in batches])
    idx = np.concatenate([i for _, i in batches])
    assert set(np.unique(xs)) == {0.0, 1.0}
    # Each image is seen many times with different binarizations whose average is its grey level.
    sums = np.zeros((len(splits.train), 784))
    np.add.at(sums, idx, xs)
    counts = np.bincount(idx, minlength=len(splits.train))[:, None]
    residual = sums / counts - splits.train
    assert np.abs(residual.mean()) < 0.01 and np.sqrt(np.mean(residual ** 2)) < 0.5 / np.sqrt(counts.min()) * 1.2
    first = idx == idx[0]
    assert len({tuple(row) for row in xs[first]}) == first.sum()


def _legacy_fixed_binarization(grey):
    """The legacy draw, made here independently: numpy's legacy generator seeded with 1, one uniform per
    pixel in row-major order, below the grey level cast to float32 -> 1."""
    return (np.random.RandomState(1).rand(*grey.shape) < grey.astype(np.float32)).astype(np.float32)


def test_omniglot_validation_and_test_are_binarized_by_the_legacy_seeded_draw(tmp_path):
    train_grey, test_grey = write_chardata(tmp_path)
    splits = datasets.load_dataset("omniglot", str(tmp_path), download=False)
    np.testing.assert_array_equal(splits.valid, _legacy_fixed_binarization(train_grey[-1345:]))
    np.testing.assert_array_equal(splits.test, _legacy_fixed_binarization(test_grey))


def test_omniglot_fixed_binarization_compares_float32_grey_levels(tmp_path):
    """Grey levels equal to the legacy uniforms: only the float32 cast decides, about half the pixels are 1."""
    uniforms = np.random.RandomState(1).rand(1345, 784)
    train = np.concatenate([np.full((5, 784), 0.5), uniforms]).reshape(-1, 28, 28)
    save_chardata(tmp_path, train, np.full((3, 28, 28), 0.5))
    splits = datasets.load_dataset("omniglot", str(tmp_path), download=False)
    expected = (uniforms < uniforms.astype(np.float32)).astype(np.float32)
    np.testing.assert_array_equal(splits.valid, expected)
    assert 0.4 < expected.mean() < 0.6


@pytest.mark.parametrize("content", [b"not a mat file", b""])
def test_corrupted_omniglot_file_gives_a_clear_error(tmp_path, content):
    (tmp_path / "OMNIGLOT").mkdir()
    (tmp_path / "OMNIGLOT" / "chardata.mat").write_bytes(content)
    with pytest.raises(datasets.DatasetError, match="chardata.mat.*corrupted"):
        datasets.load_dataset("omniglot", str(tmp_path), download=False)


def test_missing_omniglot_offline_names_file_and_url(tmp_path, monkeypatch):
    _no_network(monkeypatch)
    with pytest.raises(datasets.DatasetError, match="yburda/iwae") as err:
        datasets.load_dataset("omniglot", str(tmp_path))
    assert "chardata.mat" in str(err.value)
    assert os.listdir(tmp_path / "OMNIGLOT") == []


def test_unknown_dataset_lists_the_valid_names(tmp_path):
    with pytest.raises(ValueError, match="binarized_mnist, omniglot"):
        datasets.load_dataset("cifar", str(tmp_path))


# --------------------------------------------------------------------------------------------------
# Training pipeline
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_mnist():
    rng = np.random.default_rng(2)
    images = (rng.random((50, 784)) < 0.3).astype(np.float32)
    return datasets.DataSplits("binarized_mnist", images, images[:5], images[:5], dynamic_binarization=False)


def test_each_epoch_is_a_permutation_and_batches_match_their_indices(small_mnist):
    batches = _first_batches(small_mnist, 14, batch_size=7)  # 7 batches per epoch, 1 image dropped
    for x, index in batches:
        np.testing.assert_array_equal(x, small_mnist.train[index])
    for epoch in range(2):
        seen = np.concatenate([i for _, i in batches[7 * epoch: 7 * epoch + 7]])
        assert len(np.unique(seen)) == 49
    assert not np.array_equal(batches[0][1], batches[7][1])


def test_first_epoch_is_in_file_order_and_later_epochs_are_shuffled(small_mnist):
    batches = _first_batches(small_mnist, 21, batch_size=7)  # 7 batches per epoch
    first_epoch = np.stack([i for _, i in batches[:7]])
    np.testing.assert_array_equal(first_epoch, np.arange(49).reshape(7, 7))
    for epoch in (1, 2):
        order = np.concatenate([i for _, i in batches[7 * epoch: 7 * epoch + 7]])
        assert len(np.unique(order)) == 49 and not np.array_equal(order, np.arange(49))
    assert not np.array_equal(batches[7][1], batches[14][1])


def test_resume_reproduces_the_batches_within_and_after_the_file_ordered_epoch(tmp_path):
    write_chardata(tmp_path)
    splits = datasets.load_dataset("omniglot", str(tmp_path), download=False)  # 55 images: 5 batches of 11
    reference = _first_batches(splits, 12, batch_size=11)
    for start_step in (2, 5, 7):
        resumed = _first_batches(splits, 12 - start_step, batch_size=11, start_step=start_step)
        for (xa, ia), (xb, ib) in zip(reference[start_step:], resumed):
            np.testing.assert_array_equal(ia, ib)
            np.testing.assert_array_equal(xa, xb)


def test_batches_are_a_pure_function_of_seed_and_step(small_mnist):
    reference = _first_batches(small_mnist, 20)
    again = _first_batches(small_mnist, 20)
    resumed = _first_batches(small_mnist, 8, start_step=12)
    other_seed = _first_batches(small_mnist, 20, seed=4)
    for (xa, ia), (xb, ib) in zip(reference, again):
        np.testing.assert_array_equal(ia, ib)
    for (_, ia), (_, ib) in zip(reference[12:], resumed):
        np.testing.assert_array_equal(ia, ib)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(reference, other_seed))


def test_bad_batch_size_and_subset_size_are_rejected(small_mnist):
    with pytest.raises(ValueError, match="batch_size=51"):
        datasets.training_batches(small_mnist, 51, seed=0)
    with pytest.raises(ValueError, match="subset size 60"):
        datasets.strided_subset(small_mnist.train, 60)


def test_strided_subset_spans_the_whole_class_ordered_split(shared_data_dir):
    test = datasets.load_dataset("binarized_mnist", shared_data_dir, download=False).test
    subset = datasets.strided_subset(test, 2000)
    assert len(subset) == 2000
    np.testing.assert_array_equal(subset[-1], test[9995])
    # The test split is ordered by class; a prefix would be all zeros, the strided subset is not.
    assert abs(subset.mean() - test.mean()) < 0.003
