#!/usr/bin/env bash
# Installs everything and runs the whole test suite (slow end-to-end tests included), the test files spread over
# TEST_WORKERS processes (default 2; 0 runs them in this process). Arguments go to pytest, e.g. -m "not slow".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DVAE_DATA_DIR="${DVAE_DATA_DIR:-$(cd .. && pwd)/shared/data}"
export TF_CPP_MIN_LOG_LEVEL=2
.venv/bin/python -m pytest -q -n "${TEST_WORKERS:-2}" --dist loadfile "$@" tests
