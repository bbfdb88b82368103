"""Synthetic dataset files with the real layouts (OMNIGLOT is not available offline)."""
import os

import numpy as np
import scipy.io


def write_chardata(directory, num_train=1400, num_test=40, seed=0):
    """Writes <directory>/OMNIGLOT/chardata.mat (columns are column-major 28x28 grey images).

    Returns the (train, test) grey images [N, 784] in row-major order, as the loader should read them.
    """
    rng = np.random.default_rng(seed)
    train = rng.random((num_train, 28, 28)) * 0.8 + 0.1
    test = rng.random((num_test, 28, 28))
    train[:, 0, 5] = 1.0   # row 0, column 5: distinguishes row-major from column-major reading
    train[:, 5, 0] = 0.0
    save_chardata(directory, train, test)
    return train.reshape(num_train, 784), test.reshape(num_test, 784)


def save_chardata(directory, train, test):
    """Writes <directory>/OMNIGLOT/chardata.mat holding train [N, 28, 28] and test [M, 28, 28] grey images
    (float64), each stored as a column-major column of `data` / `testdata` as in the IWAE file."""
    to_columns = lambda imgs: np.stack([img.flatten(order="F") for img in imgs], axis=1)
    os.makedirs(directory / "OMNIGLOT")
    scipy.io.savemat(directory / "OMNIGLOT" / "chardata.mat",
                     {"data": to_columns(train), "testdata": to_columns(test),
                      "target": np.zeros((50, len(train))), "testtarget": np.zeros((50, len(test)))})
