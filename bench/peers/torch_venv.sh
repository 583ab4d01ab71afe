#!/usr/bin/env bash
# Prints the path of a python with PyTorch 2.13 CPU, creating the venv first when it is missing:
# python3 -m venv, then pip install from the machine's local package index (offline; see
# /work/shared/FACTS.md: without PIP_INDEX_URL pip first retries an unreachable index for minutes).
# Usage: bench/peers/torch_venv.sh [VENV]   (default: $TORCH_VENV or /tmp/torchvenv)
set -euo pipefail
venv="${1:-${TORCH_VENV:-/tmp/torchvenv}}"
if ! "$venv/bin/python" -c 'import torch' >/dev/null 2>&1; then
  echo "torch_venv.sh: creating $venv (PyTorch CPU from the local wheels, offline)" >&2
  python3 -m venv "$venv" >&2
  index="$(pip config list 2>/dev/null | sed -nE "s/^global\.extra-index-url='([^ ']+).*/\1/p" | head -1)"
  if [ -z "$index" ]; then
    index="$(pip config list 2>/dev/null | sed -nE "s/^global\.index-url='([^ ']+).*/\1/p" | head -1)"
  fi
  PIP_INDEX_URL="${index:-${PIP_INDEX_URL:-}}" "$venv/bin/pip" install -q torch numpy >&2
fi
"$venv/bin/python" -c 'import torch; assert torch.__version__.startswith("2."), torch.__version__' >&2
echo "$venv/bin/python"
