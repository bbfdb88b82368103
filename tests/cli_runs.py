"""Helpers running the command-line entry points as a user would: a subprocess in the repository root."""
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A run of main.py that trains and evaluates in seconds (12 latents, tiny networks and samplers).
TINY_RUN_FLAGS = ("--baseline=pwl_relax", "--num_latents=12", "--num_hidden_units=8", "--num_prior_samples=16",
                  "--num_prior_sweeps=1", "--prior_ais_chains=16", "--prior_ais_temperatures=20",
                  "--eval_iw_samples=4", "--val_stride=500", "--test_subset=20", "--xla=False", "--seed=3")


def user_environment(**overrides):
    """os.environ without the test runner's TF_CPP_MIN_LOG_LEVEL (a user's default), plus overrides."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(overrides)
    return env


def run_python(args, env=None, timeout=300):
    """Runs `python *args` in the repository root -> CompletedProcess (text stdout/stderr)."""
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout,
                          env=env or user_environment())


def run_main(*flags, env=None, timeout=300):
    return run_python(["main.py", *flags], env=env, timeout=timeout)


def run_mains(*flag_lists, env=None, timeout=300):
    """Runs main.py once per flag list, all at once (each is mostly TensorFlow's single-threaded start-up)
    -> [CompletedProcess] in the order given."""
    started = [subprocess.Popen([sys.executable, "main.py", *flags], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env or user_environment())
               for flags in flag_lists]
    done = []
    for process in started:
        stdout, stderr = process.communicate(timeout=timeout)
        done.append(subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr))
    return done


def assert_one_error_line(done, *fragments):
    """Exit status 2, no traceback, and stderr's last line is the only `error: ...` line, holding fragments."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, (done.returncode, done.stderr[-3000:])
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:], lines
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
