"""The package's public names: each resolves to the object its module defines, and importing the package alone
loads no TensorFlow (the quiet start of the entry points needs that)."""
import importlib
import subprocess
import sys

import pytest

import dvae_tf2
from tests.cli_runs import REPO


def test_importing_the_package_loads_no_tensorflow():
    script = "import sys, dvae_tf2, dvae_tf2.runtime.quiet_start; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("name", dvae_tf2.__all__)
def test_each_export_is_its_module_s_object(name):
    module = importlib.import_module(dvae_tf2._EXPORTS[name])
    expected = module if module.__name__.endswith("." + name) else getattr(module, name)
    assert getattr(dvae_tf2, name) is expected
    assert name in dir(dvae_tf2)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        dvae_tf2.NoSuchThing
