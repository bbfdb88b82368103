"""Loads TensorFlow without its C++ start-up noise; for the command-line entry points only.

On import and first use TensorFlow prints, from C++ straight to file descriptor 2, lines that read as
failures on a CPU machine: factory registration errors for cuDNN/cuFFT/cuBLAS, a failed cuInit, the
oneDNN banner, the XLA service start. Some of them are written through absl before its logging is
initialised and ignore TF_CPP_MIN_LOG_LEVEL. So, unless the user set TF_CPP_MIN_LOG_LEVEL (then nothing
changes), `quiet_tensorflow` sets it to 2 (warnings and info off, later errors still shown) and does the
noisy one-off work (import, device initialisation, a first XLA compilation) with descriptor 2 pointed at
/dev/null. It must run before anything imports TensorFlow, hence the deferred import below.
"""
import contextlib
import os
import sys

QUIET_LEVEL = "2"


@contextlib.contextmanager
def _stderr_descriptor_discarded():
    """Points file descriptor 2 at /dev/null for the block (Python's sys.stderr included)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_tensorflow():
    """Imports TensorFlow quietly unless TF_CPP_MIN_LOG_LEVEL is set; returns whether it did."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return False
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = QUIET_LEVEL
    with _stderr_descriptor_discarded():
        import tensorflow as tf  # pylint: disable=import-outside-toplevel

        tf.config.list_logical_devices()
        tf.function(lambda x: x + 1.0, jit_compile=True)(tf.constant(0.0))
    return True
