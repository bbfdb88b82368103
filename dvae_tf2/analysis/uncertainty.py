"""Uncertainty of mean test numbers: standard errors over images, paired differences, spread over seeds."""
import numpy as np


def standard_error(values):
    """Standard error of the mean of a 1-D sample [n]: sd (ddof 1) / sqrt(n); nan if n < 2."""
    values = np.asarray(values, np.float64)
    if values.size < 2:
        return float("nan")
    return float(np.std(values, ddof=1) / np.sqrt(values.size))


def paired_difference(a, b):
    """(mean of a - b, its standard error) for two per-image arrays [n] over the same images."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired values need the same images: shapes {a.shape} and {b.shape}")
    difference = a - b
    return float(difference.mean()), standard_error(difference)


def mean_and_sd(values):
    """(mean, sample standard deviation with ddof 1) of a 1-D sample; the sd is nan for one value."""
    values = np.asarray(values, np.float64)
    sd = float(np.std(values, ddof=1)) if values.size > 1 else float("nan")
    return float(values.mean()), sd
