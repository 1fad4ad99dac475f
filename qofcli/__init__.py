"""qofcli: an open calculator for England's GP Quality and Outcomes Framework."""

__version__ = "0.1.0"
