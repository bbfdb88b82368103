"""One log line naming the devices TensorFlow computes on, and a warning when it misses an NVIDIA GPU."""
import os
import shutil

import tensorflow as tf
from absl import logging

_NVIDIA_DRIVER = "/proc/driver/nvidia/version"


def nvidia_gpu_present():
    """Whether this machine looks like it has an NVIDIA GPU (driver loaded or nvidia-smi installed)."""
    return os.path.exists(_NVIDIA_DRIVER) or shutil.which("nvidia-smi") is not None


def log_devices():
    """Logs the devices TensorFlow sees; warns if an NVIDIA GPU is present but none is visible to it."""
    gpus = tf.config.list_logical_devices("GPU")
    names = ", ".join(device.name.replace("/device:", "") for device in tf.config.list_logical_devices())
    logging.info("TensorFlow %s devices: %s", tf.__version__, names)
    if not gpus and nvidia_gpu_present():
        logging.warning("an NVIDIA GPU seems present (nvidia-smi or driver found) but TensorFlow sees none; "
                        "running on CPU. Check the CUDA libraries (pip install 'tensorflow[and-cuda]') and "
                        "CUDA_VISIBLE_DEVICES; TF_CPP_MIN_LOG_LEVEL=0 shows TensorFlow's own messages.")
