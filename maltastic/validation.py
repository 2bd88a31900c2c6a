"""The error that services raise when admin input is invalid, with one message per field."""

from __future__ import annotations


class InvalidInputError(ValueError):
    """Input that a service rejected; `errors` maps a form field name to a translated message.

    Services raise it before they change anything, so the caller can show the form
    again with each message next to its field.
    """

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


class FieldErrors:
    """Collects per-field messages while a service checks a whole form."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInputError(self.errors)
