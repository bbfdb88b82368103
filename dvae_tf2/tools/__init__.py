"""Command-line tools: results table (summarize), beside the published numbers (compare), a published table's grid
of runs and seeds (reproduce), the Fig. 2 toy study (toy_gaussian), AIS convergence against temperatures
(ais_temperatures, Fig. 4), RBM log Z (logz)."""
