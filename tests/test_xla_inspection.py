"""The compiled training step and the annealing loop are single device programs: no host transfer inside."""
import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.model import rbm
from dvae_tf2.runtime import xla_inspection
from dvae_tf2.config import Config
from dvae_tf2.samplers import ais
from dvae_tf2.training import Trainer


def test_host_interactions_are_found_in_hlo_text():
    # The checker itself must see what it guards against: an outfeed and a custom call (a Python callback).
    hlo = "\n".join(["ENTRY %main {", "  %p = f32[2]{0} parameter(0)",
                     "  %o = token[] outfeed(f32[2]{0} %p, token[] %t), outfeed_shape=f32[2]{0}",
                     "  %c = f32[2]{0} custom-call(f32[2]{0} %p), custom_call_target=\"xla_python_cpu_callback\"",
                     "  ROOT %a = f32[2]{0} add(f32[2]{0} %p, f32[2]{0} %p)", "}"])
    assert xla_inspection.opcodes(hlo) == ["parameter", "outfeed", "custom-call", "add"]
    assert len(xla_inspection.host_interactions(hlo)) == 2
    # tf.numpy_function cannot even be compiled by XLA, so a host callback cannot slip into a compiled step.
    with pytest.raises(Exception):
        tf.function(lambda x: tf.numpy_function(np.sin, [x], tf.float32), jit_compile=True)(tf.ones(2))


@pytest.mark.slow   # lowering a whole step to HLO takes ~10-40 s per baseline
@pytest.mark.parametrize("baseline", ["pwl_relax", "rbm_post"])
def test_training_step_is_one_device_program(tmp_path, shared_data_dir, baseline):
    splits = datasets.load_dataset("binarized_mnist", shared_data_dir, download=False)
    config = Config(log_dir=str(tmp_path), data_dir=shared_data_dir, baseline=baseline, num_latents=40,
                    num_hidden_units=32, num_train_iter=10, num_prior_samples=50, num_prior_sweeps=3).validate()
    trainer = Trainer(config, splits)
    x = tf.constant(splits.train[:config.batch_size], tf.float32)
    hlo = trainer.step_compiler_ir(x, tf.range(config.batch_size))
    ops = xla_inspection.opcodes(hlo)
    assert xla_inspection.host_interactions(hlo) == []
    # The whole step is in the module: the prior sampler's sweeps (a loop), the networks and Adam's update.
    assert "while" in ops and ops.count("dot") >= 8 and "tanh" in ops and "sqrt" in ops


@pytest.mark.parametrize("method", ["ais", "pa"])
def test_annealing_loop_is_one_device_program(method):
    params = rbm.RBMParams(tf.zeros([3, 10]), tf.zeros([3, 12]), tf.zeros([3, 10, 12]))
    hlo = ais.anneal_compiler_ir(params, num_chains=16, num_temperatures=50, method=method)
    assert xla_inspection.host_interactions(hlo) == []
    assert "while" in xla_inspection.opcodes(hlo)
