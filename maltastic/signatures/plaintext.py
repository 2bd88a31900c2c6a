"""Plain-text signatures: derived from the HTML block, or cleaned up after a text template."""

from __future__ import annotations

import copy
import re

import lxml.html  # type: ignore[import-untyped,unused-ignore]
from inscriptis import Inscriptis  # type: ignore[import-untyped,unused-ignore]
from inscriptis.model.config import ParserConfig  # type: ignore[import-untyped,unused-ignore]

from maltastic.signatures.markup import EMPTY_LABEL

_URL_SCHEMES = ("mailto:", "tel:")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(root: lxml.html.HtmlElement, *, click_url: str, banner_line: str) -> str:
    """Convert the signature block to text.

    The banner link (the `<a>` whose href is `click_url`) becomes `banner_line`. Other links
    whose text differs from their target get the target in angle brackets after the text.
    """
    tree = copy.deepcopy(root)
    for anchor in list(tree.iter("a")):
        href = (anchor.get("href") or "").strip()
        if href == click_url:
            _replace_with_text(anchor, banner_line)
        elif href and _link_target_hidden(anchor.text_content(), href):
            anchor.tail = f" <{href}>{anchor.tail or ''}"
    config = ParserConfig(display_links=False, display_images=False)
    text: str = Inscriptis(tree, config).get_text()
    return clean_text(text)


def clean_text(text: str) -> str:
    """Strip line ends, drop lines that are only an empty label, collapse blank lines."""
    lines = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if EMPTY_LABEL.fullmatch(line):
            continue
        lines.append(line)
    joined = "\n".join(lines).strip("\n")
    return _BLANK_LINES.sub("\n\n", joined)


def _link_target_hidden(link_text: str, href: str) -> bool:
    shown = link_text.strip()
    target = href
    for scheme in _URL_SCHEMES:
        target = target.removeprefix(scheme)
    return shown.rstrip("/") not in (target.rstrip("/"), href.rstrip("/"))


def _replace_with_text(element: lxml.html.HtmlElement, text: str) -> None:
    replacement = lxml.html.Element("span")
    replacement.text = text
    replacement.tail = element.tail
    parent = element.getparent()
    if parent is not None:
        parent.replace(element, replacement)
