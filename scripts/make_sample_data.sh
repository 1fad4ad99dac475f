#!/usr/bin/env bash
# Rebuild the bundled sample_data/ (deterministic: same seed, same files).
set -euo pipefail
cd "$(dirname "$0")/.."
qof synth --ruleset qof-2025-26 --out sample_data --patients 3000 --practices 2 --seed 20250404 --format csv --overwrite
