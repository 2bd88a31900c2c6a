"""Translations of screen text: English message ids, German catalog, German by default.

The `.po` catalogs are compiled in memory when first used, so no compiled `.mo` files
have to be built or committed.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "de"
SUPPORTED_LOCALES = ("de", "en")  # English is the source language of the message ids

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations_for(locale: str) -> NullTranslations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(message: str) -> str:
    return translations_for(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations_for(current_locale.get()).ngettext(singular, plural, count)


def pick_locale(requested: str | None) -> str | None:
    """Return `requested` when it is a supported locale, else None."""
    if requested and requested.lower() in SUPPORTED_LOCALES:
        return requested.lower()
    return None
