"""Command-line tools: results table (summarize), RBM log Z (logz)."""
