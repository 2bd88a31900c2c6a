"""Banner uploads: the image type is taken from the file's content, never from its name."""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maltastic.audit.service import AuditAction, changed_fields, record_change
from maltastic.campaigns.models import Banner, Campaign
from maltastic.i18n.catalog import gettext as _
from maltastic.validation import FieldErrors, InvalidInputError

MAX_BANNER_BYTES = 1024 * 1024
MAX_BANNER_SIDE = 2000  # pixels; wider or taller images are rejected, not scaled
FORMAT_CONTENT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif"}


def inspect_image(data: bytes) -> tuple[str, int, int]:
    """Return the content type, width and height of a PNG, JPEG or GIF image.

    Raises InvalidInputError for other formats, damaged files, files over 1 MiB and
    images wider or taller than MAX_BANNER_SIDE pixels.
    """
    if not data:
        raise InvalidInputError({"image": _("Please choose an image file.")})
    if len(data) > MAX_BANNER_BYTES:
        raise InvalidInputError({"image": _("The image is larger than 1 MB.")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                image_format = image.format or ""
                width, height = image.size
                image.verify()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise InvalidInputError(
            {"image": _("The file is not a readable PNG, JPEG or GIF image.")}
        ) from None
    if image_format not in FORMAT_CONTENT_TYPES:
        raise InvalidInputError({"image": _("Only PNG, JPEG and GIF images are allowed.")})
    if width > MAX_BANNER_SIDE or height > MAX_BANNER_SIDE:
        raise InvalidInputError({"image": _("The image may be at most 2000 × 2000 pixels.")})
    return FORMAT_CONTENT_TYPES[image_format], width, height


def check_banner_text(name: str, alt_text: str) -> tuple[str, str]:
    errors = FieldErrors()
    name = " ".join(name.split())
    alt_text = " ".join(alt_text.split())
    if not name:
        errors.add("name", _("Please enter a name."))
    elif len(name) > 200:
        errors.add("name", _("The name can have at most 200 characters."))
    if not alt_text:
        errors.add(
            "alt_text", _("Please enter an alternative text for recipients who block images.")
        )
    elif len(alt_text) > 500:
        errors.add("alt_text", _("The alternative text can have at most 500 characters."))
    errors.raise_if_any()
    return name, alt_text


def create_banner(
    session: Session, actor_id: int, *, name: str, alt_text: str, data: bytes
) -> Banner:
    errors: dict[str, str] = {}
    try:
        name, alt_text = check_banner_text(name, alt_text)
    except InvalidInputError as error:
        errors.update(error.errors)
    try:
        content_type, width, height = inspect_image(data)
    except InvalidInputError as error:
        errors.update(error.errors)
    if errors:
        raise InvalidInputError(errors)
    banner = Banner(
        name=name,
        alt_text=alt_text,
        image=data,
        content_type=content_type,
        byte_size=len(data),
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    session.add(banner)
    session.flush()
    summary = {
        "name": name,
        "alt_text": alt_text,
        "content_type": content_type,
        "byte_size": len(data),
    }
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.CREATE,
        entity_type="banner",
        entity_id=banner.id,
        changes={field: (None, value) for field, value in summary.items()},
    )
    return banner


def update_banner_text(
    session: Session, actor_id: int, banner: Banner, *, name: str, alt_text: str
) -> None:
    name, alt_text = check_banner_text(name, alt_text)
    changes = changed_fields(banner, {"name": name, "alt_text": alt_text})
    if changes:
        record_change(
            session,
            actor_id=actor_id,
            action=AuditAction.UPDATE,
            entity_type="banner",
            entity_id=banner.id,
            changes=changes,
        )


def campaigns_using(session: Session, banner_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(Campaign).where(Campaign.banner_id == banner_id)
        )
        or 0
    )


def delete_banner(session: Session, actor_id: int, banner: Banner) -> None:
    if campaigns_using(session, banner.id):
        raise InvalidInputError(
            {"name": _("This banner is used by a campaign and cannot be deleted.")}
        )
    record_change(
        session,
        actor_id=actor_id,
        action=AuditAction.DELETE,
        entity_type="banner",
        entity_id=banner.id,
        changes={"name": (banner.name, None)},
    )
    session.delete(banner)
