"""Data-parallel training (tf.distribute): replica-split noise, the step against one device, runs, errors."""
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.model import rbm
from dvae_tf2.runtime import distribute, quiet_start
from dvae_tf2.samplers import gibbs, kernels
from tests.cli_runs import REPO, TINY_RUN_FLAGS, assert_one_error_line, run_main, run_mains, run_python, user_environment

SEED = tf.constant([7, 11], tf.int64)


ROWS = 12


def _blocks(draw, replicas):
    """Each of `replicas` replicas' draw for its block of the ROWS rows, concatenated in replica order."""
    rows = ROWS // replicas
    return np.concatenate([draw(distribute.ReplicaRowNoise(SEED, r, replicas), slice(r * rows, (r + 1) * rows)).numpy()
                           for r in range(replicas)])


def _gibbs_params(rows):
    """Rows `rows` of fixed per-example RBM parameters (3 + 4 units) for ROWS examples."""
    generator = np.random.default_rng(0)
    b1, b2, w = (generator.normal(size=[ROWS, *shape]).astype(np.float32) for shape in ([3], [4], [3, 4]))
    return rbm.RBMParams(b1=tf.constant(b1[rows]), b2=tf.constant(b2[rows]), w=tf.constant(w[rows]))


def _size(rows):
    return len(range(ROWS)[rows])


@pytest.mark.parametrize("draw", [
    lambda rng, rows: rng.uniform([_size(rows), 3, 5]),
    lambda rng, rows: rng.normal([_size(rows), 4]),
    lambda rng, rows: gibbs.hashed_bernoulli_sample(tf.zeros([_size(rows), 2, 6]), rng),
    lambda rng, rows: kernels.hard_gibbs_sweeps(_gibbs_params(rows), tf.zeros([_size(rows), 2, 3]), 5, rng)[1],
], ids=["uniform", "normal", "hashed_bernoulli", "hard_gibbs_sweeps"])
def test_replicas_together_draw_what_one_device_draws(draw):
    one = _blocks(draw, 1)
    assert np.array_equal(_blocks(draw, 2), one)
    assert np.array_equal(_blocks(draw, 3), one)
    # The draws are random: rows differ, and successive draws of one source differ.
    assert len(np.unique(one.reshape(ROWS, -1), axis=0)) > 1
    rng = distribute.ReplicaRowNoise(SEED, 0, 1)
    assert not np.array_equal(draw(rng, slice(None)).numpy(), draw(rng, slice(None)).numpy())


def test_uniform_noise_of_replica_rows_is_uniform():
    u = np.concatenate([distribute.ReplicaRowNoise(SEED, r, 4).uniform([5000]).numpy() for r in range(4)])
    assert abs(u.mean() - 0.5) < 0.01 and abs(u.var() - 1 / 12) < 0.003


def test_requested_cpu_devices_reads_the_flag():
    assert quiet_start.requested_cpu_devices(["main.py", "--num_cpu_devices=3"]) == 3
    assert quiet_start.requested_cpu_devices(["main.py", "--num_cpu_devices", "2", "--k=1"]) == 2
    assert quiet_start.requested_cpu_devices(["main.py", "--num_cpu_devices=x"]) == 1
    assert quiet_start.requested_cpu_devices(["main.py"]) == 1


@pytest.mark.slow
def test_mirrored_step_on_two_devices_equals_one_device(tmp_path, shared_data_dir):
    done = run_python(["-m", "tests.distributed_check", shared_data_dir, str(tmp_path)], timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    control = report.pop("control_other_noise")   # the same step with other posterior noise differs
    assert control["gradient_max_diff"] > 0.05 * control["gradient_scale"], control
    assert len(report) == 4
    for name, row in report.items():
        assert row["gradient_scale"] > 0.1, (name, row)
        assert row["gradient_max_diff"] < 1e-5 * max(1.0, row["gradient_scale"]) * 10, (name, row)
        assert row["variable_max_diff"] < 1e-6, (name, row)
        assert row["loss_max_diff"] < 1e-3, (name, row)


@pytest.mark.slow
def test_mirrored_run_end_to_end_and_its_checkpoint_on_one_device(tmp_path, shared_data_dir):
    flags = (*TINY_RUN_FLAGS, "--baseline=rbm_post", "--k=2", "--posterior_ais_temperatures=10", "--test_subset=21",
             f"--data_dir={shared_data_dir}", f"--log_dir={tmp_path}", "--num_train_iter=30", "--eval_every=15",
             "--distribution_strategy=mirrored", "--num_cpu_devices=2")
    done = run_main(*flags, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "training data-parallel over 2 replicas (mirrored)" in done.stderr
    [run_dir] = [root for root, _, files in os.walk(tmp_path) if "results.json" in files]
    with open(os.path.join(run_dir, "results.json")) as f:
        results = json.load(f)
    assert results["test_images"] == 21 and np.isfinite(results["test_neg_ll"])   # 21: the last batch is padded
    assert results["config"]["distribution_strategy"] == "mirrored"
    assert len(np.load(os.path.join(run_dir, "test_log_likelihoods.npy"))) == 21
    # The mirrored checkpoint restores on one device (default strategy), with the trained prior.
    script = ("import json, sys; from dvae_tf2.data import datasets; from dvae_tf2.training.checkpoints import "
              "load_run_config, restore_best_model; config = load_run_config(sys.argv[1]); "
              "model, _ = restore_best_model(config, datasets.load_dataset(config.dataset, sys.argv[2]));"
              "print(json.dumps({'w_norm': float(abs(model.prior.w.numpy()).sum())}))")
    restored = run_python(["-c", script, run_dir, shared_data_dir])
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert json.loads(restored.stdout.strip().splitlines()[-1])["w_norm"] > 0   # W starts at zero


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.mark.slow
def test_multi_worker_mirrored_with_two_local_workers(tmp_path, shared_data_dir):
    workers = [f"localhost:{port}" for port in _free_ports(2)]
    flags = (*TINY_RUN_FLAGS, "--baseline=rbm_post", "--posterior_ais_temperatures=10", "--test_subset=21",
             f"--data_dir={shared_data_dir}", f"--log_dir={tmp_path}", "--num_train_iter=20", "--eval_every=10",
             "--distribution_strategy=multi_worker_mirrored")
    processes = []
    for index in range(2):
        env = user_environment(TF_CONFIG=json.dumps({"cluster": {"worker": workers},
                                                     "task": {"type": "worker", "index": index}}))
        processes.append(subprocess.Popen([sys.executable, "main.py", *flags], cwd=REPO, env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    outputs = [process.communicate(timeout=600) for process in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-3000:]
    # The chief writes the run; worker 1 its copy below workers/. Both computed the same numbers.
    results = []
    for root in (tmp_path, tmp_path / "workers" / "worker_1"):
        [path] = [os.path.join(d, "results.json") for d, _, files in os.walk(root) if "results.json" in files
                  and (root != tmp_path or "workers" not in d)]
        with open(path) as f:
            results.append(json.load(f))
    chief, worker = results
    for key in ("test_neg_ll", "test_neg_elbo", "val_neg_ll", "prior_log_z"):
        assert np.isfinite(chief[key]) and chief[key] == worker[key], key
    assert chief["steps"] == 20 and chief["test_images"] == 21


UNUSABLE_SETTINGS = [
    (("--distribution_strategy=mirrored", "--num_cpu_devices=2", "--batch_size=7"),
     ("--batch_size=7", "2 replicas")),
    (("--distribution_strategy=mirrored", "--num_gpus=1"), ("--num_gpus=1", "0 GPU")),
    (("--distribution_strategy=multi_worker_mirrored",), ("TF_CONFIG",)),
    (("--distribution_strategy=tpu",), ("distribution_strategy",)),
]


def test_unusable_distribution_settings_are_one_error_line(tmp_path, shared_data_dir):
    env = {key: value for key, value in os.environ.items() if key not in ("TF_CONFIG", "TF_CPP_MIN_LOG_LEVEL")}
    runs = run_mains(*[(*TINY_RUN_FLAGS, f"--data_dir={shared_data_dir}", f"--log_dir={tmp_path / str(i)}", *flags)
                       for i, (flags, _) in enumerate(UNUSABLE_SETTINGS)], env=env)
    for done, (_, fragments) in zip(runs, UNUSABLE_SETTINGS):
        assert_one_error_line(done, *fragments)
