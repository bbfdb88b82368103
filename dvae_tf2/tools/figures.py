"""Matplotlib without a display, and PNG files written atomically."""
import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot  # noqa: E402  (after choosing the backend)

from dvae_tf2 import atomic_io  # noqa: E402


def new_figure(num_panels, panel_size=(5.0, 4.0)):
    """(figure, list of num_panels axes side by side)."""
    figure, axes = pyplot.subplots(1, num_panels, figsize=(panel_size[0] * num_panels, panel_size[1]),
                                   squeeze=False)
    return figure, list(axes[0])


def save_png(figure, path, dpi=120):
    """Writes the figure as PNG to `path` (atomically) and releases it."""
    figure.tight_layout()
    atomic_io.atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=dpi))
    pyplot.close(figure)
