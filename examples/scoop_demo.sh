#!/usr/bin/env bash
# Run the 5-minute demo on several worker processes with scoop.
#
#   examples/scoop_demo.sh [WORKERS] [CONFIG] [extra azdeap/run.py arguments, e.g. --seed 1]
#
# Under scoop, azdeap/run.py runs independent experiments one per worker with scoop's
# futures.map until one finds a sufficient algorithm (docs/parallel.md).
# Must be started from the repository root: scoop runs azdeap/run.py by path.
set -euo pipefail
cd "$(dirname "$0")/.."
WORKERS="${1:-2}"
CONFIG="${2:-configs/demo.yaml}"
shift $(( $# < 2 ? $# : 2 ))
exec python -m scoop -n "$WORKERS" azdeap/run.py --config "$CONFIG" "$@"
