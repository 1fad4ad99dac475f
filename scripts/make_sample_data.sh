#!/usr/bin/env bash
# Rebuild the bundled sample_data/ (deterministic: same seed, same files): two practices of the
# current QOF year as extracted on AS_OF, part-way through the year, so `qof score sample_data`
# shows an in-year position and `qof validate sample_data` finds nothing dated in the future.
# tests/test_sample_data.py reads RULESET, AS_OF and the options below from this file.
set -euo pipefail
RULESET=qof-2026-27
AS_OF=2026-11-30
cd "$(dirname "$0")/.."
qof synth --ruleset "$RULESET" --as-of "$AS_OF" --out sample_data --patients 3000 --practices 2 --seed 20250404 --format csv --overwrite
