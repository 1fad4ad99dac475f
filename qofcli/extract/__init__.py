"""Extract loading and validation: the boundary between a practice's data and the engine.

Public API (used by the engine, the CLI and tests):

- ``Extract``: the typed lazy tables of one extract.
- ``load_extract(path)``: open an extract folder lazily with explicit types.
- ``extract_from_frames(patients, events, practices=None)``: build an ``Extract`` in memory (tests).
- ``validate_extract(path, known_codes=None)``: check everything, return a ``ValidationReport``.
- ``load_mapping(path)``: a mapping file (``--map``) that reads an export in its own shape.
"""

from qofcli.extract.load import Extract, extract_from_frames, load_extract
from qofcli.extract.mapping import ExtractMapping, load_mapping
from qofcli.extract.schema import EVENTS, PATIENTS, PRACTICES, TABLES, Column, Table
from qofcli.extract.validate import Problem, ValidationReport, validate_extract

__all__ = [
    "EVENTS",
    "PATIENTS",
    "PRACTICES",
    "TABLES",
    "Column",
    "Extract",
    "ExtractMapping",
    "Problem",
    "Table",
    "ValidationReport",
    "extract_from_frames",
    "load_extract",
    "load_mapping",
    "validate_extract",
]
