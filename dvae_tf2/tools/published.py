"""The published DVAE## test NLLs (published_dvae_sharpsharp.json), their lookup by run configuration, and the
settings each table needs trained."""
import dataclasses
import json
import os

DEFAULT_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "published_dvae_sharpsharp.json")
CODEBASE = "dvae_sharpsharp"   # Config.codebase of the DVAE## code base, whose models the tables describe
TABLES = (1, 2, 3, 4)


@dataclasses.dataclass(frozen=True)
class RunCell:
    """A setting a table needs trained (main.py's --dataset, --experiment, --num_latents, --baseline, --L, --k) and
    what the paper prints for it: `published`, one text per printed number it enters."""
    dataset: str
    experiment: str
    num_latents: int
    baseline: str
    L: int
    k: int
    published: tuple

    @property
    def name(self):
        """The run directory below --log_dir without the seed: <dataset>/<experiment>/<latents>/<baseline>/<L>/<k>."""
        return "/".join(str(v) for v in (self.dataset, self.experiment, self.num_latents, self.baseline, self.L,
                                          self.k))


def run_key(cell):
    """(dataset, experiment, num_latents, baseline, L, k) a published cell is run with (DVAE##'s L None: 1)."""
    return cell["dataset"], cell["experiment"], cell["num_latents"], cell["baseline"], cell["L"] or 1, cell["k"]


def _printed(cell):
    number = "n/a" if cell["mean"] is None else f"{cell['mean']:.2f} ± {cell['sd']:.2f}"
    return f"Table {cell['table']}: {number}"


class PublishedResults:
    """Cells of the paper's Tables 1-3, each keyed by (dataset, experiment, num_latents, baseline, L, k)."""

    def __init__(self, path=DEFAULT_PATH):
        with open(path) as f:
            table = json.load(f)
        self.source = table["source"]
        self.cells = table["cells"]
        self.previously_published = table["previously_published"]
        self.table_4_runs = table["table_4_runs"]

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

    def table_4_sources(self):
        """(Table 4 entry, Tables 1-2 cell) pairs: each number Table 4 prints for the DVAE## authors' implementation,
        with every cell (each L) of its baseline and setting, of which it is the best."""
        pairs = []
        for entry in self.previously_published:
            baseline = self.table_4_runs["methods"].get(entry["method"])
            if baseline is None or entry["value"] is None:
                continue
            setting = dict(self.table_4_runs["columns"][entry["column"]], baseline=baseline)
            pairs += [(entry, cell) for cell in self.cells
                      if cell["table"] <= 2 and all(cell[key] == value for key, value in setting.items())]
        return pairs

    def run_cells(self, table):
        """The RunCells of a table (1-4), in the paper's order; ValueError for another table.

        Tables 1-3: every printed cell, n/a ones too (the run exists, the paper's number does not); DVAE##
        (L None) runs with L = 1. Table 4: for each of its rows of the DVAE## authors' implementation and each
        column it prints, every L of that baseline and setting in Tables 1-2 (the row is the best of them).
        """
        if table not in TABLES:
            raise ValueError(f"table {table} is not carried; valid tables: {', '.join(map(str, TABLES))}")
        if table == 4:
            sources = [(cell, f"Table 4: {entry['value']:.2f} ({entry['method']}, {entry['column']})")
                       for entry, cell in self.table_4_sources()]
        else:
            sources = [(cell, _printed(cell)) for cell in self.cells if cell["table"] == table]
        merged = {}
        for cell, text in sources:
            texts = merged.setdefault(run_key(cell), [])
            if text not in texts:   # Table 4's DVAE## number enters once, though Tables 1 and 2 both hold it
                texts.append(text)
        return [RunCell(*key, published=tuple(texts)) for key, texts in merged.items()]
