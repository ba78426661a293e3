"""The one error family core raises; pages and the CLI show its message as it is."""

from __future__ import annotations


class SwitchyardError(Exception):
    """Something the user can fix; the message says what and how."""


class InputError(SwitchyardError):
    """Bad input file: names the file, the row or line, the column and what was expected."""

    def __init__(
        self,
        file: str,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
        row_word: str = "row",
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.problem = problem
        where = [file]
        if row is not None:
            where.append(f"{row_word} {row}")
        if column is not None:
            where.append(f"column {column!r}")
        self.row_word = row_word
        super().__init__(f"{', '.join(where)}: {problem}")

    def renamed(self, file: str) -> InputError:
        """The same error naming the file as the user knows it (not a temp copy)."""
        return InputError(
            file, self.problem, row=self.row, column=self.column, row_word=self.row_word
        )


class FrozenError(SwitchyardError):
    """A write would change a frozen dataset version."""


class DatabaseLockedError(SwitchyardError):
    """Another process (usually the running app) holds the database file."""


class NotFoundError(SwitchyardError):
    """A named dataset, run or migration does not exist."""


class ServiceError(SwitchyardError):
    """A call to AWS (Bedrock, S3) or an OpenAI-compatible endpoint failed in a way the user
    fixes outside Switchyard: credentials, permissions, region, model id, network."""
