"""The published DVAE## test NLLs (published_dvae_sharpsharp.json) and their lookup by run configuration."""
import json
import os

DEFAULT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "published_dvae_sharpsharp.json")
CODEBASE = "dvae_sharpsharp"   # Config.codebase of the DVAE## code base, whose models the tables describe


class PublishedResults:
    """Cells of the paper's Tables 1-3, each keyed by (dataset, experiment, num_latents, baseline, L, k)."""

    def __init__(self, path=DEFAULT_PATH):
        with open(path) as f:
            table = json.load(f)
        self.source = table["source"]
        self.cells = table["cells"]
        self.previously_published = table["previously_published"]

    def lookup(self, dataset, experiment, num_latents, baseline, L, k):
        """The first printed cell (lowest table number) for the configuration, or None.

        A cell with L = None (DVAE##, printed once per column) matches every L; cells the paper copy did
        not show (mean None) never match.
        """
        for cell in sorted(self.cells, key=lambda c: c["table"]):
            if cell["mean"] is None:
                continue
            if (cell["dataset"], cell["experiment"], cell["num_latents"], cell["baseline"], cell["k"]) != \
                    (dataset, experiment, num_latents, baseline, k):
                continue
            if cell["L"] is None or cell["L"] == L:
                return cell
        return None

    def lookup_config(self, config):
        """lookup() for a results.json "config" dict (its num_groups is L); None for DVAE# code-base runs."""
        if config.get("codebase", CODEBASE) != CODEBASE:
            return None
        return self.lookup(config["dataset"], config["experiment"], config["num_latents"], config["baseline"],
                           config["num_groups"], config["k"])
