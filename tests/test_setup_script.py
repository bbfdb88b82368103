"""scripts/setup.sh: the CPU/GPU install lines it runs (shown by --dry-run, which installs nothing)."""
import os
import re
import subprocess

from tests.cli_runs import REPO


def _setup(*args):
    return subprocess.run(["bash", os.path.join(REPO, "scripts", "setup.sh"), *args], capture_output=True, text=True,
                          timeout=60)


def _pinned_tensorflow():
    with open(os.path.join(REPO, "requirements.txt")) as f:
        return re.findall(r"^tensorflow==(\S+)$", f.read(), flags=re.MULTILINE)


def test_requirements_pin_the_gpu_capable_wheel_not_the_cpu_only_one():
    with open(os.path.join(REPO, "requirements.txt")) as f:
        assert "tensorflow-cpu" not in f.read()
    assert len(_pinned_tensorflow()) == 1


def test_gpu_adds_the_cuda_libraries_at_the_pinned_version():
    done = _setup("--gpu", "--dry-run")
    assert done.returncode == 0, done.stderr
    install = done.stdout.strip().splitlines()[-1]
    assert install.endswith(f"-r requirements.txt tensorflow[and-cuda]=={_pinned_tensorflow()[0]}"), install


def test_default_install_is_the_requirements_alone():
    done = _setup("--dry-run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].endswith("pip install --quiet --disable-pip-version-check "
                                                         "-r requirements.txt"), done.stdout
    assert "and-cuda" not in done.stdout


def test_unknown_argument_fails_naming_the_valid_ones():
    done = _setup("--cuda")
    assert done.returncode == 2 and "--cuda" in done.stderr and "--gpu, --dry-run" in done.stderr
