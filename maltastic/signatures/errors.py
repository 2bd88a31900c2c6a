"""Errors that signature rendering reports to admins and callers."""

from __future__ import annotations


class SignatureTemplateError(Exception):
    """A signature template that does not compile or fails while rendering.

    `line` is the template line where the error occurred, when known. `str()` is English, and
    `message_de` is the German text for the admin interface.
    """

    def __init__(self, template_name: str, line: int | None, detail: str) -> None:
        self.template_name = template_name
        self.line = line
        self.detail = detail
        where = f", line {line}" if line is not None else ""
        super().__init__(f"signature template {template_name!r}{where}: {detail}")

    @property
    def message_de(self) -> str:
        where = f", Zeile {self.line}" if self.line is not None else ""
        return f"Fehler in der Signaturvorlage „{self.template_name}“{where}: {self.detail}"
