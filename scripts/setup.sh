#!/usr/bin/env bash
# Creates .venv (if missing) and installs the pinned requirements into it.
# Usage: bash scripts/setup.sh [--gpu] [--dry-run]
#   --gpu      also install the CUDA libraries: tensorflow[and-cuda] at the version requirements.txt pins
#   --dry-run  print the commands instead of running them
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
run=()
cuda=()
for arg in "$@"; do
  case "$arg" in
    --gpu) cuda=("tensorflow[and-cuda]==$(sed -n 's/^tensorflow==//p' requirements.txt)") ;;
    --dry-run) run=(echo) ;;
    *) echo "setup.sh: unknown argument '$arg'; valid arguments: --gpu, --dry-run" >&2; exit 2 ;;
  esac
done
if [ ! -x .venv/bin/python ]; then
  "${run[@]}" "$PYTHON" -m venv .venv
fi
# A venv set up before requirements.txt switched to the GPU-capable wheel holds tensorflow-cpu, which installs the
# same files as tensorflow: remove both, so that the install below leaves one owner of them.
if [ -x .venv/bin/python ] && .venv/bin/python -m pip show tensorflow-cpu >/dev/null 2>&1; then
  "${run[@]}" .venv/bin/python -m pip uninstall --quiet --yes tensorflow-cpu tensorflow
fi
"${run[@]}" .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt "${cuda[@]}"
