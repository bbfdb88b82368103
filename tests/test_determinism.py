"""--deterministic: a run interrupted and resumed in a new process repeats an uninterrupted one bit for bit.

Two processes used to disagree now and then (see README, Interruptions), so every run here is its own process, as
an interrupted and resumed run is; the tolerant comparisons of the default mode stay in test_interruptions.py and
test_trainer.py.
"""
import subprocess
import sys

import numpy as np
import pytest

from tests.cli_runs import REPO, user_environment

# Trains the tiny model of TINY_RUN_FLAGS to `until` (resuming with "resume"), then saves every step's losses
# and every variable (model, sampler population, RNG states, Adam slots) to `out`.
RUN = """
import sys
import numpy as np
from tensorflow.python.framework import config as tf_config
from dvae_tf2.data import datasets
from dvae_tf2.config import Config
from dvae_tf2.training import Trainer
from tests.tiny_models import all_model_variables

log_dir, data_dir, until, resume, out = sys.argv[1:6]
config = Config(log_dir=log_dir, data_dir=data_dir, baseline="pwl_relax", num_latents=12, num_hidden_units=8,
                num_prior_samples=16, num_prior_sweeps=1, prior_ais_chains=16, prior_ais_temperatures=20,
                eval_iw_samples=4, val_stride=500, test_subset=20, num_train_iter=16, eval_every=8,
                checkpoint_every_secs=0, jit_compile=False, seed=3, deterministic=True).validate()
trainer = Trainer(config, datasets.load_dataset("binarized_mnist", data_dir, download=False), resume=resume == "resume")
assert tf_config.is_op_determinism_enabled()
losses = {}
def record(step, result):
    losses[step] = [float(result.objective), float(result.kl), float(result.reconstruction)]
trainer.train(until_step=int(until), on_step=record)
np.savez(out, steps=np.array(sorted(losses)), losses=np.array([losses[s] for s in sorted(losses)]),
         *[np.asarray(v) for v in all_model_variables(trainer.model) + trainer.optimizer.variables])
"""


def _start(tmp_path, data_dir, name, until, resume=False):
    """Starts one run in its own process -> a function that waits for it and returns its saved arrays."""
    out = str(tmp_path / f"{name}.npz")
    process = subprocess.Popen([sys.executable, "-c", RUN, str(tmp_path / name.split("_")[0]), data_dir, str(until),
                                "resume" if resume else "new", out], cwd=REPO, env=user_environment(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finished():
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]
        return np.load(out)
    return finished


@pytest.mark.slow
def test_deterministic_resumed_run_is_bitwise_identical(tmp_path, shared_data_dir):
    # Step 8 validates (AIS log Z refresh, evaluation draws); the interrupted run stops at 11 (writing `latest`)
    # and a third process resumes it. The first two run side by side.
    straight = _start(tmp_path, shared_data_dir, "straight", 15)
    first = _start(tmp_path, shared_data_dir, "resumed_first", 11)()
    second = _start(tmp_path, shared_data_dir, "resumed_second", 15, resume=True)()
    straight = straight()
    assert list(straight["steps"]) == list(range(1, 16))
    assert list(first["steps"]) + list(second["steps"]) == list(range(1, 16))
    np.testing.assert_array_equal(np.concatenate([first["losses"], second["losses"]]), straight["losses"])
    variables = [name for name in straight.files if name.startswith("arr_")]
    assert len(variables) > 40 and set(variables) == set(second.files) - {"steps", "losses"}
    for name in variables:
        np.testing.assert_array_equal(second[name], straight[name], err_msg=name)
