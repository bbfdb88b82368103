"""A run killed (SIGKILL) or stopped (SIGTERM) after a checkpoint, then resumed, ends as if never interrupted."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import tensorflow as tf
from tensorboard.backend.event_processing import plugin_event_accumulator
from tensorboard.util import tensor_util

from dvae_tf2.training import event_files
from dvae_tf2.training.checkpoints import SaveSchedule
from tests.cli_runs import REPO, TINY_RUN_FLAGS, run_main, run_python, user_environment

RUN_FLAGS = TINY_RUN_FLAGS + ("--num_train_iter=300", "--eval_every=150", "--summary_every=10",
                              "--checkpoint_every_steps=20", "--deterministic")
RUN_PATH = os.path.join("binarized_mnist", "vae", "12", "pwl_relax", "1", "1")
INTERRUPT_AFTER = 60    # interrupt once `latest` holds at least this step (training runs to 300)


def _flags(log_dir, data_dir):
    return (f"--log_dir={log_dir}", f"--data_dir={data_dir}") + RUN_FLAGS


def _latest_step(run_dir):
    """Step of the `latest` checkpoint (0 if none yet)."""
    index = os.path.join(run_dir, "checkpoints", "latest", "checkpoint")
    try:
        with open(index) as f:
            return int(f.readline().split("ckpt-")[1].rstrip('"\n'))
    except (FileNotFoundError, IndexError):
        return 0


def _interrupted_run(log_dir, data_dir, signum):
    """Starts main.py, sends `signum` once `latest` reaches INTERRUPT_AFTER -> (CompletedProcess-like, run_dir)."""
    run_dir = os.path.join(log_dir, RUN_PATH)
    process = subprocess.Popen([sys.executable, "main.py", *_flags(log_dir, data_dir)], cwd=REPO,
                               env=user_environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while _latest_step(run_dir) < INTERRUPT_AFTER and process.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be interrupted"
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=240)
    assert not os.path.exists(os.path.join(run_dir, "results.json")), "interrupted too late"
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr), run_dir


def _scalar_steps(run_dir, tag):
    """{step: value} of a scalar tag as TensorBoard reads the run; fails on a repeated step."""
    accumulator = plugin_event_accumulator.EventAccumulator(run_dir, size_guidance={"tensors": 0})
    accumulator.Reload()
    events = accumulator.Tensors(tag)
    steps = [event.step for event in events]
    assert steps == sorted(set(steps)), f"{tag}: repeated or backward steps {steps}"
    return {event.step: float(tensor_util.make_ndarray(event.tensor_proto)) for event in events}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, shared_data_dir):
    """results.json and the train/objective scalars of the run never interrupted."""
    log_dir = tmp_path_factory.mktemp("straight")
    done = run_main(*_flags(log_dir, shared_data_dir))
    assert done.returncode == 0, done.stderr[-3000:]
    run_dir = os.path.join(log_dir, RUN_PATH)
    return json.load(open(os.path.join(run_dir, "results.json"))), _scalar_steps(run_dir, "train/objective")


# Interrupted and uninterrupted runs are separate processes; with --deterministic they agree to float32
# rounding of the printed values (before the training step's read/update race was fixed, loaded runs differed by
# 0.001-0.011 nats).
NLL_TOLERANCE, OBJECTIVE_TOLERANCE = 1e-4, 1e-4


def _resume_and_compare(log_dir, data_dir, run_dir, uninterrupted, tolerance=NLL_TOLERANCE,
                        objective_tolerance=OBJECTIVE_TOLERANCE):
    checkpoint_step = _latest_step(run_dir)
    resumed = run_main(*_flags(log_dir, data_dir), "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    results = json.load(open(os.path.join(run_dir, "results.json")))
    reference, reference_objective = uninterrupted
    # Same batches, same random streams: the same numbers, up to the run-to-run noise above.
    assert abs(results["test_neg_ll"] - reference["test_neg_ll"]) <= tolerance, (results, reference)
    assert abs(results["val_neg_ll"] - reference["val_neg_ll"]) <= tolerance
    # TensorBoard: one value per step (none left from the steps repeated after the checkpoint), equal to the
    # uninterrupted run's; the resumed session also logs its first step.
    objective = _scalar_steps(run_dir, "train/objective")
    assert set(objective) == set(reference_objective) | {checkpoint_step + 1}, sorted(objective)
    for step, value in reference_objective.items():
        assert objective[step] == pytest.approx(value, abs=objective_tolerance), step
    return checkpoint_step


@pytest.mark.slow
def test_sigkill_then_resume_matches_the_uninterrupted_run(tmp_path, shared_data_dir, uninterrupted):
    killed, run_dir = _interrupted_run(tmp_path, shared_data_dir, signal.SIGKILL)
    assert killed.returncode == -signal.SIGKILL
    step = _resume_and_compare(tmp_path, shared_data_dir, run_dir, uninterrupted)
    assert step >= INTERRUPT_AFTER and step % 20 == 0


@pytest.mark.slow
def test_sigterm_saves_the_current_step_then_resume_matches(tmp_path, shared_data_dir, uninterrupted):
    stopped, run_dir = _interrupted_run(tmp_path, shared_data_dir, signal.SIGTERM)
    assert stopped.returncode == 128 + signal.SIGTERM, stopped.stderr[-3000:]
    step = _latest_step(run_dir)
    assert f"stopped at step {step} by SIGTERM; continue with --resume" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    _resume_and_compare(tmp_path, shared_data_dir, run_dir, uninterrupted)


def test_save_schedule_by_steps_and_by_seconds():
    now = [0.0]
    by_steps = SaveSchedule(every_secs=0, every_steps=20, clock=lambda: now[0])
    assert [step for step in range(1, 61) if by_steps.due(step)] == [20, 40, 60]
    by_time = SaveSchedule(every_secs=600, every_steps=0, clock=lambda: now[0])
    now[0] = 599.0
    assert not by_time.due(7)
    now[0] = 600.0
    assert by_time.due(8)
    by_time.saved()
    assert not by_time.due(9)


def test_a_second_signal_exits_at_once():
    script = ("import os, signal; from dvae_tf2.training.stop_signals import StopRequests\n"
              "with StopRequests() as stop:\n"
              "    os.kill(os.getpid(), signal.SIGINT)\n"
              "    print(stop.signum, flush=True)\n"
              "    os.kill(os.getpid(), signal.SIGINT)\n"
              "    print('still running', flush=True)\n")
    done = run_python(["-c", script])
    assert done.stdout.split() == [str(int(signal.SIGINT))] and done.returncode == -signal.SIGINT, done


def test_events_after_the_checkpoint_and_torn_records_are_dropped(tmp_path):
    with tf.summary.create_file_writer(str(tmp_path)).as_default():
        for step in range(1, 8):
            tf.summary.scalar("loss", float(step), step=step)
    (path,) = event_files.event_files(str(tmp_path))
    with open(path, "ab") as f:
        f.write(b"\x20\x00\x00\x00\x00\x00\x00\x00torn")   # a record cut short by a kill
    assert event_files.drop_events_after(str(tmp_path), 4) == 3
    assert len(list(tf.data.TFRecordDataset(path))) == 5   # file version + 4 steps; reading no longer fails
    assert sorted(_scalar_steps(str(tmp_path), "loss")) == [1, 2, 3, 4]
    assert event_files.drop_events_after(str(tmp_path), 4) == 0
