"""Matplotlib without a display, and PNG files written atomically."""
import matplotlib

matplotlib.use("Agg")
from matplotlib import pyplot  # noqa: E402  (after choosing the backend)

from dvae_tf2.runtime import atomic_io  # noqa: E402


def new_figure(num_panels, panel_size=(5.0, 4.0), columns=None):
    """(figure, list of num_panels axes): side by side, or row by row `columns` to a row (spare cells hidden)."""
    columns = columns or num_panels
    rows = -(-num_panels // columns)
    figure, axes = pyplot.subplots(rows, columns, figsize=(panel_size[0] * columns, panel_size[1] * rows),
                                   squeeze=False)
    axes = list(axes.flat)
    for spare in axes[num_panels:]:
        spare.set_visible(False)
    return figure, axes[:num_panels]


def save_png(figure, path, dpi=120):
    """Writes the figure as PNG to `path` (atomically) and releases it."""
    figure.tight_layout()
    atomic_io.atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=dpi))
    pyplot.close(figure)
