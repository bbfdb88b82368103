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


def _flag_value(argv, name):
    """The value of --name=V or `--name V` in argv (the last one), or None. The flag parser judges it later."""
    value = None
    for i, arg in enumerate(argv):
        if arg.startswith(f"--{name}="):
            value = arg.split("=", 1)[1]
        elif arg == f"--{name}" and i + 1 < len(argv):
            value = argv[i + 1]
    return value


def requested_cpu_devices(argv):
    """The N of --num_cpu_devices=N in argv, else 1. The CPU must be split before TensorFlow sets up its
    devices, which the quiet start does before the flags are parsed."""
    value = _flag_value(argv, "num_cpu_devices")
    return int(value) if value is not None and value.isdigit() and int(value) > 1 else 1


def multi_worker_requested(argv):
    """Whether argv asks for --distribution_strategy=multi_worker_mirrored, whose collective ops TensorFlow
    only configures before its devices are set up: the quiet start then leaves them alone."""
    return _flag_value(argv, "distribution_strategy") == "multi_worker_mirrored"


def quiet_tensorflow(cpu_devices=1, set_up_devices=True):
    """Imports TensorFlow quietly unless TF_CPP_MIN_LOG_LEVEL is set; returns whether it did.

    cpu_devices > 1 splits the CPU into that many logical devices first (see distribute.split_cpu).
    set_up_devices=False only imports (the device and XLA start-up messages then show later)."""
    if "TF_CPP_MIN_LOG_LEVEL" in os.environ or "tensorflow" in sys.modules:
        return False
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = QUIET_LEVEL
    with _stderr_descriptor_discarded():
        import tensorflow as tf  # pylint: disable=import-outside-toplevel

        if cpu_devices > 1:
            from dvae_tf2.runtime import distribute  # pylint: disable=import-outside-toplevel
            distribute.split_cpu(cpu_devices)
        if not set_up_devices:
            return True
        tf.config.list_logical_devices()
        tf.function(lambda x: x + 1.0, jit_compile=True)(tf.constant(0.0))
    return True
