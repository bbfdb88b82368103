#!/usr/bin/env bash
# Installs everything and runs the whole test suite (slow end-to-end tests included), its files spread over
# TEST_WORKERS processes (default 2; 0 runs them in this process), and lists the 20 slowest tests. Arguments go to
# pytest, e.g. -m "not slow". (By file, so a module-scoped fixture is built once: pytest-xdist 3.8's loadgroup
# does not group under pytest 9.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DVAE_DATA_DIR="${DVAE_DATA_DIR:-$(cd .. && pwd)/shared/data}"
export TF_CPP_MIN_LOG_LEVEL=2
.venv/bin/python -m pytest -q -n "${TEST_WORKERS:-2}" --dist loadfile --durations=20 "$@" tests
