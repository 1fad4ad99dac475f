"""Allow `python -m qofcli`."""

from qofcli.cli import main

main()
