"""Error types: user errors print as one line with an exit code; anything else is a bug."""

from __future__ import annotations


class QofError(Exception):
    """A problem the user can fix: printed as one line, no traceback."""

    exit_code = 2

    def lines(self) -> list[str]:
        """What the user sees, one line each."""
        return [f"error: {self}"]


class ExtractError(QofError):
    """The extract is missing, unreadable or invalid."""


class RulesetError(QofError):
    """A ruleset cannot be found or does not load."""


class UsageError(QofError):
    """An option value makes no sense (bad date, unknown indicator, ...)."""


class InvalidExtract(ExtractError):
    """Validation found errors: each is reported on its own line."""

    def __init__(self, problem_lines: list[str], source: str) -> None:
        self.problem_lines = problem_lines
        super().__init__(f"{source}: {len(problem_lines)} problem(s) in the extract")

    def lines(self) -> list[str]:
        return [*self.problem_lines, f"{self}; run `qof validate` for the full report"]
