"""Atomic writes: the target is the old file or the whole new one, never a part; the mode follows the umask."""
import json
import os
import stat

import numpy as np
import pytest

from dvae_tf2.runtime import atomic_io


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "results.json"
    atomic_io.write_json(target, {"a": 1})

    def half_then_fail(tmp):
        with open(tmp, "w") as f:
            f.write('{"a": ')
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_io.atomic_write(target, half_then_fail)
    assert json.loads(target.read_text()) == {"a": 1}
    assert os.listdir(tmp_path) == ["results.json"]


def test_written_files_get_the_mode_of_an_ordinary_file(tmp_path):
    atomic_io.write_npy(tmp_path / "x.npy", np.arange(3))
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), np.arange(3))
    mode = stat.S_IMODE(os.stat(tmp_path / "x.npy").st_mode)
    assert mode == 0o666 & ~atomic_io._UMASK and mode & stat.S_IRGRP == (0o040 & ~atomic_io._UMASK)
