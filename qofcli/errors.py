"""Error types: user errors print as one line with an exit code; anything else is a bug."""

from __future__ import annotations


class QofError(Exception):
    """A problem the user can fix: printed as one line, no traceback."""

    exit_code = 2


class ExtractError(QofError):
    """The extract is missing, unreadable or invalid."""


class RulesetError(QofError):
    """A ruleset cannot be found or does not load."""


class UsageError(QofError):
    """An option value makes no sense (bad date, unknown indicator, ...)."""
