#!/usr/bin/env bash
# Rebuild the bundled sample_data/ (deterministic: same seed, same files).
set -euo pipefail
cd "$(dirname "$0")/.."
qof synth --out sample_data --ruleset qof-2025-26 --patients 3000 --practices 2 --seed 20250402 --format csv --overwrite
