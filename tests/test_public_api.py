"""The package's public names: each resolves to the object its module defines, and importing the package alone
loads no TensorFlow (the quiet start of the entry points needs that), nor do the configuration, the baseline
registry and the flags (tools read them without TensorFlow)."""
import importlib
import subprocess
import sys

import pytest

import dvae_tf2
import dvae_tf2.distributions
from tests.cli_runs import REPO


def _loads_tensorflow(script):
    """Whether `script`, run by a fresh interpreter, ends with TensorFlow imported."""
    script += "\nimport sys; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() in ("True", "False"), result.stderr
    return result.stdout.strip() == "True"


def test_importing_the_package_loads_no_tensorflow():
    assert not _loads_tensorflow("import dvae_tf2, dvae_tf2.runtime.quiet_start, dvae_tf2.distributions")


def test_the_configuration_registry_and_flags_load_no_tensorflow():
    # Every baseline of both code bases is configured and checked, and main.py's flags parsed into a Config.
    assert not _loads_tensorflow("""
from absl import flags as absl_flags
import flags
from dvae_tf2 import baselines
from dvae_tf2.config import Config
for codebase, specs in baselines.BASELINES.items():
    for name in specs:
        Config(codebase=codebase, baseline=name).validate()
flag_values = absl_flags.FlagValues()
flags.define_flags(flag_values)
flag_values(["main.py", "--baseline=dvaes_gi", "--struct=1-layer-lin"])
assert flags.config_from_flags(flag_values).codebase == "dvae_sharp"
""")


@pytest.mark.parametrize("package,name", [(dvae_tf2, name) for name in dvae_tf2.__all__]
                         + [(dvae_tf2.distributions, name) for name in dvae_tf2.distributions.__all__])
def test_each_export_is_its_module_s_object(package, name):
    module = importlib.import_module(package._EXPORTS[name])
    expected = module if module.__name__.endswith("." + name) else getattr(module, name)
    assert getattr(package, name) is expected
    assert name in dir(package)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'NoSuchThing'"):
        dvae_tf2.NoSuchThing
