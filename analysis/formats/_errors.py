"""The error a loader raises for one unusable row (see ``analysis.formats._read``'s rules)."""

from __future__ import annotations


class RowError(Exception):
    """One row is unusable because of ``field``: caught by the loader and counted as a skip."""

    def __init__(self, field: str | None, reason: str):
        super().__init__(reason)
        self.field, self.reason = field, reason

    def describe(self) -> str:
        return f'field "{self.field}": {self.reason}' if self.field else self.reason
