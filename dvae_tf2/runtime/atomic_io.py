"""Atomic file writes: a temporary file beside the target, then a rename, so readers never see half a file."""
import json
import os
import tempfile

import numpy as np

# Read once at import: os.umask can only be read by setting it, which is not safe once threads write files.
_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write(path, write_fn):
    """Calls write_fn(tmp_path) on a temporary file in path's directory, then renames it onto `path`."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".", suffix=".part")
    os.close(fd)
    try:
        write_fn(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)   # mkstemp makes the file private; give it an ordinary file's mode
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_json(path, obj):
    """Writes obj as indented JSON to `path` atomically."""
    def dump(tmp):
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
    atomic_write(path, dump)


def write_npy(path, array):
    """Writes a NumPy array in .npy format to `path` atomically (np.save on an open file keeps the name)."""
    def dump(tmp):
        with open(tmp, "wb") as f:
            np.save(f, np.asarray(array))
    atomic_write(path, dump)
