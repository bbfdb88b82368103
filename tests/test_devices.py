"""Entry points: TensorFlow starts quietly unless the user chose a log level; one line names the devices."""
import json

import tensorflow as tf
from absl import logging

from dvae_tf2.runtime import devices
from tests.cli_runs import run_python, user_environment

_START = ("import json, os, sys; from dvae_tf2.runtime import quiet_start; quieted = quiet_start.quiet_tensorflow(); "
          "import tensorflow as tf; tf.function(lambda x: 2 * x, jit_compile=True)(tf.ones(2)); "
          "print(json.dumps([quieted, os.environ['TF_CPP_MIN_LOG_LEVEL']]))")


def test_tensorflow_starts_quietly_by_default():
    done = run_python(["-c", _START])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [True, "2"] and done.stderr == "", done.stderr


def test_a_log_level_the_user_set_is_left_alone():
    done = run_python(["-c", _START], env=user_environment(TF_CPP_MIN_LOG_LEVEL="0"))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [False, "0"]


def _logged(monkeypatch, gpu_present):
    """What log_devices logs when TensorFlow sees only the CPU -> [(level, message)]."""
    cpu_only = [device for device in tf.config.list_logical_devices() if device.device_type == "CPU"]
    monkeypatch.setattr(tf.config, "list_logical_devices",
                        lambda device_type=None: [] if device_type == "GPU" else cpu_only)
    monkeypatch.setattr(devices, "nvidia_gpu_present", lambda: gpu_present)
    records = []
    monkeypatch.setattr(logging, "info", lambda fmt, *args: records.append(("info", fmt % args)))
    monkeypatch.setattr(logging, "warning", lambda fmt, *args: records.append(("warning", fmt % args)))
    devices.log_devices()
    return records


def test_devices_line_and_warning_for_an_unused_nvidia_gpu(monkeypatch):
    quiet = _logged(monkeypatch, gpu_present=False)
    assert len(quiet) == 1 and quiet[0][0] == "info" and "devices: CPU:0" in quiet[0][1], quiet
    warned = _logged(monkeypatch, gpu_present=True)
    assert [level for level, _ in warned] == ["info", "warning"] and "TensorFlow sees none" in warned[1][1]
