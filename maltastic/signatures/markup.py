"""Turn a rendered HTML template into the signature block that mail clients display.

First the CSS of `<style>` blocks moves into `style` attributes, because Outlook and
Gmail ignore most `<style>` rules. Then the result is parsed, and elements that have no
place in mail (scripts, external stylesheets) and blocks that are only an empty label such
as "Telefon:" are dropped. Last, one `<div>` with the signature marker attribute wraps it.

lxml serialises the final block, so `<` and `>` in attribute values stay escaped and
regular-expression scanners such as the relay's see whole tags.
"""

from __future__ import annotations

import re

import css_inline
import lxml.html  # type: ignore[import-untyped,unused-ignore]

from maltastic.relay.mime import SIGNATURE_MARKER_ATTRIBUTE

# A label with nothing after it: one to four words, then a colon ("Telefon:", "E-Mail:").
EMPTY_LABEL = re.compile(r"[^\W\d_][\w.\-/ ]{0,40}:", re.UNICODE)

_REMOVED_TAGS = ("script", "link", "meta", "base", "title", "iframe", "object", "embed")
_LINE_BLOCKS = ("tr", "p", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6")
_CONTENT_TAGS = ("img", "hr", "input")

# Remote stylesheets are never fetched: rendering runs in the mail path and must not
# send requests to addresses a template names.
_INLINER = css_inline.CSSInliner(
    load_remote_stylesheets=False, keep_style_tags=False, keep_link_tags=False
)


def build_signature_block(html: str) -> lxml.html.HtmlElement:
    """Inline the CSS of rendered template output and wrap it in one marked `<div>`."""
    inlined = _INLINER.inline_fragment(html, "")
    root = lxml.html.fragment_fromstring(inlined, create_parent="div")
    for element in list(root.iter(*_REMOVED_TAGS)):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and SIGNATURE_MARKER_ATTRIBUTE in element.attrib:
            del element.attrib[SIGNATURE_MARKER_ATTRIBUTE]
    remove_empty_labels(root)
    root.set(SIGNATURE_MARKER_ATTRIBUTE, "1")
    return root


def remove_empty_labels(root: lxml.html.HtmlElement) -> None:
    """Remove rows and blocks whose whole text is a label with no value, e.g. "Telefon: "."""
    for element in list(root.iter(*_LINE_BLOCKS)):
        if element is root or element.getparent() is None:
            continue
        if any(True for _ in element.iter(*_CONTENT_TAGS)):
            continue
        text = " ".join(element.text_content().split())
        if EMPTY_LABEL.fullmatch(text):
            element.drop_tree()


def serialise_block(root: lxml.html.HtmlElement) -> str:
    html: str = lxml.html.tostring(root, encoding="unicode")
    return html
