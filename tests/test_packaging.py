"""The package as pip installs it: a wheel built from the checkout, installed (without its dependencies, which are
the test interpreter's own) into a temporary directory, used from outside the checkout."""
import os
import shutil
import subprocess
import sys
import tomllib

import pytest

from tests.cli_runs import REPO

# What a wheel is built from; copied so that the build leaves nothing (build/, *.egg-info) in the checkout.
SOURCES = ("pyproject.toml", "README.md", "dvae_tf2", "flags")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(site directory, environment): the wheel's files under site/ and its commands under site/bin."""
    root = tmp_path_factory.mktemp("packaging")
    source, wheels, site = root / "source", root / "wheels", root / "site"
    source.mkdir()
    for name in SOURCES:
        path = os.path.join(REPO, name)
        if os.path.isdir(path):
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", str(wheels), str(source)],
                   check=True, capture_output=True, text=True)
    [wheel] = os.listdir(wheels)
    subprocess.run([*pip, "install", "--no-deps", "--quiet", "--target", str(site), str(wheels / wheel)],
                   check=True, capture_output=True, text=True)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    return site, env


def _run(args, installed, tmp_path):
    """Runs args with cwd = tmp_path: the checkout is not on sys.path, only the installed copy."""
    site, env = installed
    return subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)


def test_every_declared_command_is_installed(installed):
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        scripts = tomllib.load(f)["project"]["scripts"]
    site, _ = installed
    assert sorted(os.listdir(site / "bin")) == sorted(scripts)
    assert all(name.startswith("dvae-") for name in scripts)


def test_the_package_imports_from_the_install_with_its_data(installed, tmp_path):
    # find_spec locates `flags` without importing it (it loads TensorFlow).
    script = ("import importlib.resources, importlib.util, json, dvae_tf2; "
              "print(dvae_tf2.__file__); print(importlib.util.find_spec('flags').origin); "
              "print(len(json.loads(importlib.resources.files('dvae_tf2.tools')"
              ".joinpath('published_dvae_sharpsharp.json').read_text())))")
    result = _run([sys.executable, "-c", script], installed, tmp_path)
    assert result.returncode == 0, result.stderr
    package_file, flags_file, entries = result.stdout.splitlines()
    site, _ = installed
    assert package_file == str(site / "dvae_tf2" / "__init__.py")
    assert flags_file == str(site / "flags" / "__init__.py")
    assert int(entries) > 0


def test_a_tool_command_prints_its_help(installed, tmp_path):
    site, _ = installed
    result = _run([str(site / "bin" / "dvae-summarize"), "--help"], installed, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--log_dir" in result.stdout


@pytest.mark.slow   # loads TensorFlow: ~15 s on a loaded machine
def test_the_train_command_lists_main_py_flags(installed, tmp_path):
    site, _ = installed
    result = _run([str(site / "bin" / "dvae-train"), "--helpfull"], installed, tmp_path)
    assert result.returncode == 1, result.stderr   # absl's help flags exit with status 1
    assert "Traceback" not in result.stderr, result.stderr
    assert "--baseline" in result.stdout and "--num_train_iter" in result.stdout
