"""Rebuild rulesets/qof-2026-27/reasons/official.yaml from NHS Digital's PCA reference.

Usage: python scripts/official_reasons.py PATH/TO/PCA_REFERENCE.csv > official.yaml

The source is NHS Digital's published QOF 2023/24 metadata (github.com/NHSDigital/QOF,
public_metadata/PCA_REFERENCE.csv, MIT licence, Copyright (c) 2024 NHS Digital data-services /
analytics-service / Primary Care): SHORT_NAME, DESCRIPTION and TYPE of every reason field.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

HEADER = """\
# Every reason field of NHS Digital's QOF 2023/24 metadata with its type and official
# description: public_metadata/PCA_REFERENCE.csv of github.com/NHSDigital/QOF, MIT licence,
# Copyright (c) 2024 NHS Digital data-services / analytics-service / Primary Care (the licence
# permits copying with this notice). Made by scripts/official_reasons.py; do not edit by hand.
# Reasons introduced after 2023/24 go in reasons/<DOMAIN>.yaml.
"""


def main(source: Path) -> str:
    with source.open(newline="", encoding="cp1252") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: r["SHORT_NAME"])
    lines = [HEADER]
    for row in rows:
        kind = {"PCA": "pca", "EXCLUSION": "exclusion"}[row["TYPE"].strip().upper()]
        description = json.dumps(" ".join(row["DESCRIPTION"].split()), ensure_ascii=False)
        lines.append(f"{row['SHORT_NAME'].strip()}: {{type: {kind}, description: {description}}}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(main(Path(sys.argv[1])))
