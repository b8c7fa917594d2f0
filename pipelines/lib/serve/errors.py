"""The errors the API answers with one clear line: what went wrong and, where it helps, what to do."""

from __future__ import annotations


class ServeError(Exception):
    """An answer other than 200, with its HTTP status and the one line to show."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServeError):
    status_code = 404


class BadInput(ServeError):
    status_code = 422


class Unavailable(ServeError):
    """Nothing wrong with the request: the service cannot answer it now (no champion yet, a run writing)."""

    status_code = 503
