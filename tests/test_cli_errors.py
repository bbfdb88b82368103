"""Expected failures of main.py and analyze_posterior.py: one `error:` line on stderr, status 2, no traceback."""
import os
import shutil

import pytest

from tests.cli_runs import TINY_RUN_FLAGS, assert_one_error_line, run_main, run_mains, run_python, user_environment


def test_bad_flag_values_name_the_flag_and_nothing_else_is_printed(tmp_path):
    done, k, dataset, positional = run_mains(["--baseline=pwl_relax", "--L=3", f"--log_dir={tmp_path}"], ["--k=0"],
                                             ["--dataset=cifar"], ["pwl_relax"])
    # Only the error line: TensorFlow's C++ start-up messages are silenced by default.
    assert done.stderr == "error: --L=3 is invalid; valid values: 1, 2, 4\n", done.stderr
    assert done.returncode == 2
    assert_one_error_line(k, "--k=0", "positive")
    assert_one_error_line(dataset, "--dataset=cifar", "binarized_mnist|omniglot")
    assert_one_error_line(positional, "unexpected arguments: pwl_relax")


@pytest.mark.slow
def test_missing_data_offline(tmp_path):
    # An unreachable proxy makes the download fail, as without a network.
    env = user_environment(http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9", no_proxy="")
    done = run_main(f"--data_dir={tmp_path / 'data'}", f"--log_dir={tmp_path / 'logs'}", *TINY_RUN_FLAGS, env=env)
    assert_one_error_line(done, "binarized MNIST", "missing", str(tmp_path / "data"), "--data_dir")


def test_truncated_data_file(tmp_path, shared_data_dir):
    directory = tmp_path / "data" / "binarized_mnist"
    directory.mkdir(parents=True)
    for split in ("valid", "test"):
        shutil.copy(os.path.join(shared_data_dir, "binarized_mnist", f"binarized_mnist_{split}.npz"), directory)
    with open(os.path.join(shared_data_dir, "binarized_mnist", "binarized_mnist_train.npz"), "rb") as f:
        (directory / "binarized_mnist_train.npz").write_bytes(f.read(5000))
    done = run_main(f"--data_dir={tmp_path / 'data'}", f"--log_dir={tmp_path / 'logs'}", *TINY_RUN_FLAGS)
    assert_one_error_line(done, "binarized_mnist_train.npz is truncated or corrupted", "delete it")


def test_unwritable_log_dir(tmp_path, shared_data_dir):
    (tmp_path / "a_file").write_text("not a directory")
    done = run_main(f"--data_dir={shared_data_dir}", f"--log_dir={tmp_path / 'a_file' / 'logs'}", *TINY_RUN_FLAGS)
    assert_one_error_line(done, "cannot write the run directory", str(tmp_path / "a_file"), "--log_dir")


def test_resume_without_checkpoint(tmp_path, shared_data_dir):
    done = run_main(f"--data_dir={shared_data_dir}", f"--log_dir={tmp_path}", *TINY_RUN_FLAGS, "--resume")
    assert_one_error_line(done, "--resume: no checkpoint under", str(tmp_path))


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, shared_data_dir):
    """(log_dir, run_dir) of a 4-step main.py run."""
    log_dir = tmp_path_factory.mktemp("logs")
    done = run_main(f"--data_dir={shared_data_dir}", f"--log_dir={log_dir}", *TINY_RUN_FLAGS, "--num_train_iter=4")
    assert done.returncode == 0, done.stderr[-3000:]
    return log_dir, os.path.join(log_dir, "binarized_mnist", "vae", "12", "pwl_relax", "1", "1")


@pytest.mark.slow
def test_existing_run_without_resume(finished_run, shared_data_dir):
    log_dir, run_dir = finished_run
    done = run_main(f"--data_dir={shared_data_dir}", f"--log_dir={log_dir}", *TINY_RUN_FLAGS, "--num_train_iter=4")
    assert_one_error_line(done, f"{run_dir} already holds a run", "--resume")


@pytest.mark.slow
def test_resume_with_a_different_configuration(finished_run, shared_data_dir):
    log_dir, _ = finished_run
    done = run_main(f"--data_dir={shared_data_dir}", f"--log_dir={log_dir}", *TINY_RUN_FLAGS, "--num_train_iter=4",
                    "--num_hidden_units=16", "--resume")
    assert_one_error_line(done, "configuration differs", "num_hidden_units: saved 8 vs requested 16")


@pytest.mark.slow
def test_posterior_analysis_of_a_run_that_cannot_have_one(finished_run, tmp_path):
    _, run_dir = finished_run
    assert_one_error_line(run_python(["analyze_posterior.py", f"--run_dir={run_dir}"]), "whose posterior is directed")
    assert_one_error_line(run_python(["analyze_posterior.py", f"--run_dir={tmp_path}"]),
                          f"{tmp_path} is not a run directory")
