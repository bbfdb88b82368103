"""Default beta of the DVAE# code base by dataset x struct x baseline (facts from its run.py).

For dvaes_gi the value is not a smoothing width but the prior's lower bound lambda_min.
"""
_COLUMNS = ("dvae_spike_exp", "dvaepp_exp", "dvaepp_power", "dvaes_gi", "dvaes_gauss", "dvaes_exp", "dvaes_unexp",
            "dvaes_power")
_ROWS = {
    ("binarized_mnist", "1-layer-lin"): (5, 12, 40, 40, 40, 12, 40, 40),
    ("binarized_mnist", "1-layer-nonlin"): (5, 14, 30, 30, 30, 12, 30, 40),
    ("binarized_mnist", "2-layer-nonlin"): (4, 10, 30, 30, 25, 10, 16, 30),
    ("binarized_mnist", "4-layer-nonlin"): (4, 10, 30, 30, 25, 10, 16, 30),
    ("omniglot", "1-layer-lin"): (4, 14, 40, 40, 40, 12, 40, 40),
    ("omniglot", "1-layer-nonlin"): (4, 12, 40, 30, 25, 10, 16, 30),
    ("omniglot", "2-layer-nonlin"): (4, 10, 30, 25, 25, 8, 16, 20),
    ("omniglot", "4-layer-nonlin"): (4, 10, 30, 25, 25, 8, 16, 20),
}


def betas(baseline):
    """{(dataset, struct): beta} for one DVAE# baseline."""
    column = _COLUMNS.index(baseline)
    return {key: float(row[column]) for key, row in _ROWS.items()}
