#!/usr/bin/env bash
# Rebuild the bundled sample_data/ (deterministic: same seed, same files).
# tests/test_sample_data.py reads RULESET and the options below from this file.
set -euo pipefail
RULESET=qof-2025-26
cd "$(dirname "$0")/.."
qof synth --ruleset "$RULESET" --out sample_data --patients 3000 --practices 2 --seed 20250404 --format csv --overwrite
