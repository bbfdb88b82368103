"""Shared test fixtures."""
import os

import pytest

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def shared_data_dir():
    """Directory holding the offline binarized MNIST copy (../shared/data)."""
    path = os.environ.get("DVAE_DATA_DIR", os.path.join(os.path.dirname(_REPO), "shared", "data"))
    if not os.path.isdir(os.path.join(path, "binarized_mnist")):
        pytest.fail(f"binarized MNIST not found under {path}; set DVAE_DATA_DIR")
    return path

