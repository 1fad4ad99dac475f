"""Data files shipped with qofcli (noise codes for synthetic extracts)."""
