"""JSON descriptions of the relaxations and smoothings that posterior and prior layers are built with, so that the
layers' `get_config` is serializable and `from_config` rebuilds them.

A relaxation is a distribution class of this package with its fixed settings bound (functools.partial; the
logits come at each call): {"class_name": <class>, "config": {setting: value}}. A smoothing is a distribution
instance: {"class_name": <class>, "config": its constructor parameters}. A nested smoothing (an overlapping
mixture's) is described the same way.
"""
import functools

import tensorflow as tf

from dvae_tf2 import distributions

_SCALARS = (bool, int, float, str)


def _class(name):
    if name not in distributions.__all__:
        raise ValueError(f"unknown distribution class {name!r}; valid: {', '.join(distributions.__all__)}")
    return getattr(distributions, name)


def _value_config(key, value):
    if isinstance(value, distributions.Smoothing):
        return smoothing_config(value)
    if isinstance(value, tf.dtypes.DType):
        return value.name
    if isinstance(value, _SCALARS) or value is None:
        return value
    raise ValueError(f"cannot describe the setting {key}={value!r} in JSON: a smoothing, a dtype or a Python "
                     "scalar is valid")


def smoothing_config(smoothing):
    """{"class_name", "config"} of a Smoothing instance from its constructor parameters."""
    return {"class_name": type(smoothing).__name__,
            "config": {key: _value_config(key, value) for key, value in smoothing.parameters.items()}}


def smoothing_from_config(config):
    """The Smoothing that `smoothing_config` describes."""
    settings = dict(config["config"])
    if "dtype" in settings:
        settings["dtype"] = tf.as_dtype(settings["dtype"])
    return _class(config["class_name"])(**settings)


def as_smoothing(smoothing):
    """A Smoothing, given as itself or as its `smoothing_config` description."""
    return smoothing_from_config(smoothing) if isinstance(smoothing, dict) else smoothing


def relaxation_config(relaxation):
    """{"class_name", "config"} of a relaxation: a distribution class, or a functools.partial of one with keyword
    settings. None stays None (a posterior that builds its distributions itself)."""
    if relaxation is None:
        return None
    func, args, keywords = ((relaxation.func, relaxation.args, relaxation.keywords)
                            if isinstance(relaxation, functools.partial) else (relaxation, (), {}))
    if args or getattr(func, "__name__", None) not in distributions.__all__:
        raise ValueError(f"cannot describe the relaxation {relaxation!r} in JSON: a distribution class of "
                         "dvae_tf2.distributions with keyword settings (functools.partial) is valid")
    return {"class_name": func.__name__, "config": {key: _value_config(key, value) for key, value in keywords.items()}}


def relaxation_from_config(config):
    """The relaxation (functools.partial of the class) that `relaxation_config` describes; None stays None."""
    if config is None:
        return None
    settings = {key: smoothing_from_config(value) if isinstance(value, dict) else value
                for key, value in config["config"].items()}
    return functools.partial(_class(config["class_name"]), **settings)
