"""Runs with neighbouring seeds share no random stream, and no two streams of one run coincide."""
import itertools

import numpy as np
import pytest
import tensorflow as tf

from dvae_tf2.data import datasets
from dvae_tf2.runtime import random_streams
from dvae_tf2.config import Config
from dvae_tf2.model.dvae import DVAE
from dvae_tf2.runtime.random_streams import STREAMS

SEEDS = (1, 2, 3, 4)
_IMAGES = np.random.default_rng(0).random((40, 784)).astype(np.float32)   # grey levels: dynamic binarization
_SPLITS = datasets.DataSplits("omniglot", _IMAGES, _IMAGES[:4], _IMAGES[:4], dynamic_binarization=True)


def _first_draws(seed):
    """{stream: the first values that stream's consumer draws} for a run with --seed=seed, and under "keys" the
    Philox key of each generator stream (a generator's stream is fixed by its key; its counter only moves along
    it, so two generators with one key overlap even when their first draws differ)."""
    config = Config(num_latents=8, num_hidden_units=8, baseline="rbm_post", seed=seed, jit_compile=False).validate()
    model = DVAE(config, _IMAGES.mean(axis=0), training_size=len(_IMAGES))
    streams = random_streams.run_streams(seed)
    first_epoch_batches = len(_IMAGES) // 10
    batches = list(datasets.training_batches(_SPLITS, 10, seed, start_step=first_epoch_batches).take(1))
    generator = lambda stream: random_streams.generator(getattr(streams, stream))  # noqa: E731 (the trainer's)
    generators = {"posterior_noise": model.rng, "prior_sampler": model.prior.sampler.rng,
                  "prior_restarts": generator("prior_restarts"), "prior_ais": generator("prior_ais"),
                  "evaluation": model.eval_rng}
    return {
        "keys": {stream: int(g.state.numpy()[-1]) for stream, g in generators.items()},
        "data_order": batches[0][1].numpy(),                       # epoch 1, the first shuffled one
        "binarization": batches[0][0].numpy().ravel() - _IMAGES[batches[0][1].numpy()].ravel().round(),
        "encoder_init": model.encoder.net.dense_0.kernel.numpy().ravel()[:16],
        "decoder_init": model.decoder.dense_0.kernel.numpy().ravel()[:16],
        "posterior_chains": model.encoder.chains.numpy().ravel()[:64],
        "posterior_noise": model.rng.uniform([16]).numpy(),
        "prior_sampler": model.prior.sampler.rng.uniform([16]).numpy(),
        "prior_restarts": generator("prior_restarts").uniform([16]).numpy(),
        "prior_ais": generator("prior_ais").uniform([16]).numpy(),
        "evaluation": model.eval_rng.uniform([16]).numpy(),
    }


@pytest.fixture(scope="module")
def draws():
    return {seed: _first_draws(seed) for seed in SEEDS}


def test_every_stream_is_drawn(draws):
    assert all(set(d) == set(STREAMS) | {"keys"} for d in draws.values())


def test_generator_streams_have_distinct_keys_across_seeds_and_purposes(draws):
    keys = [(seed, stream, key) for seed in SEEDS for stream, key in draws[seed]["keys"].items()]
    assert len({key for _, _, key in keys}) == len(keys), sorted(keys, key=lambda k: k[2])


def test_no_stream_of_one_seed_replays_another_seed_or_stream(draws):
    # The continuous draws: no value recurs anywhere among the 4 seeds x their streams.
    continuous = [(seed, stream, draws[seed][stream]) for seed in SEEDS for stream in
                  ("encoder_init", "decoder_init", "posterior_noise", "prior_sampler", "prior_restarts", "prior_ais",
                   "evaluation")]
    values = np.concatenate([v for _, _, v in continuous])
    assert len(np.unique(values)) == len(values), [
        (a[:2], b[:2]) for a, b in itertools.combinations(continuous, 2) if np.intersect1d(a[2], b[2]).size]
    # The discrete ones (a permutation, binary chains, binarization noise) differ as a whole between seeds.
    for stream in ("data_order", "binarization", "posterior_chains"):
        for a, b in itertools.combinations(SEEDS, 2):
            assert not np.array_equal(draws[a][stream], draws[b][stream]), (stream, a, b)


def test_streams_are_a_pure_function_of_the_seed():
    assert random_streams.run_streams(7) == random_streams.run_streams(np.int64(7))
    seeds = [random_streams.run_streams(s) for s in range(50)]
    values = [v for streams in seeds for v in streams]
    assert len(set(values)) == len(values)
    assert all(0 <= v < 2 ** 31 - 2 ** 16 for v in values)


@pytest.mark.parametrize("seed", [-1, 1.5, True, "3"])
def test_a_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match=r"seed=.* is invalid; valid values: integers >= 0"):
        random_streams.run_streams(seed)
