"""Validation curves of runs, read from their TensorBoard event files with TensorBoard's reader, and their plot."""
import numpy as np
from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

from dvae_tf2.tools import figures

VALIDATION_TAG = "val/neg_ll"


def scalar_series(run_dir, tag):
    """(steps [n] int64, values [n] float64) of a scalar summary in run_dir's event files, by step.

    Reads both TF2 summaries (stored as tensors) and TF1 ones (stored as scalars); empty arrays if absent.
    """
    accumulator = event_accumulator.EventAccumulator(
        run_dir, size_guidance={event_accumulator.TENSORS: 0, event_accumulator.SCALARS: 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    if tag in tags[event_accumulator.TENSORS]:
        pairs = [(e.step, float(tensor_util.make_ndarray(e.tensor_proto))) for e in accumulator.Tensors(tag)]
    elif tag in tags[event_accumulator.SCALARS]:
        pairs = [(e.step, e.value) for e in accumulator.Scalars(tag)]
    else:
        pairs = []
    pairs.sort()
    return np.array([s for s, _ in pairs], np.int64), np.array([v for _, v in pairs], np.float64)


def plot_validation_curves(curves, path, title="validation NLL"):
    """curves: {label: (steps [n], values [n])} -> PNG at `path`, one line per label (empty curves skipped)."""
    figure, (axes,) = figures.new_figure(1, panel_size=(7.0, 4.5))
    for label, (steps, values) in sorted(curves.items()):
        if len(steps):
            axes.plot(steps, values, marker="o", markersize=3, label=label)
    axes.set_xlabel("training step")
    axes.set_ylabel(f"{VALIDATION_TAG} (nats)")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    if axes.lines:
        axes.legend(fontsize=7)
    figures.save_png(figure, path)
