#!/usr/bin/env bash
# Set up, then run the whole pipeline offline on the bundled example event into ./demo-out.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/confthread demo --out "${1:-demo-out}"
