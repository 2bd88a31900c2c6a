"""Reading submitted forms and answering them: redirects, flash notices and HTMX checks."""

from __future__ import annotations

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse

FLASH_KEY = "flash"


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def fields(form: FormData, name: str) -> tuple[str, ...]:
    return tuple(value for value in form.getlist(name) if isinstance(value, str))


def checked(form: FormData, name: str) -> bool:
    return field(form, name) in ("on", "1", "true")


async def read_upload(form: FormData, name: str, max_bytes: int) -> tuple[bytes, str] | None:
    """Return the content and file name of an uploaded file, or None when it is missing.

    Reads at most `max_bytes + 1` bytes, so the caller can reject larger files without
    holding them in memory.
    """
    upload = form.get(name)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    data = await upload.read(max_bytes + 1)
    return data, upload.filename


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def flash(request: Request, message: str) -> None:
    """Remember a notice that the next rendered page shows once."""
    request.session[FLASH_KEY] = message


def pop_flash(request: Request) -> str | None:
    message = request.session.pop(FLASH_KEY, None)
    return message if isinstance(message, str) else None


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)
