"""Find the HTML body and the plain-text body that get a signature.

Rules, by container type:
- `multipart/alternative`: every variant contributes; a later variant of the same kind
  wins, as the last alternative is the preferred one.
- `multipart/related`: only the root part (the `start` parameter, else the first part).
- `multipart/mixed` and other multiparts: the first part is the main body. A later
  inline text part of the same type in the same container continues that body, as in
  Apple Mail's split HTML around an inline attachment, and then only the last one
  counts.
- `message/*` parts, attachments and text parts that carry a file name are never bodies.
"""

from __future__ import annotations

from dataclasses import dataclass

from maltastic.relay.mime.scanner import MimePart


@dataclass(frozen=True, slots=True)
class Bodies:
    html: MimePart | None = None
    text: MimePart | None = None

    def merged_with(self, later: Bodies) -> Bodies:
        return Bodies(html=later.html or self.html, text=later.text or self.text)

    def parts(self) -> list[MimePart]:
        return [part for part in (self.text, self.html) if part is not None]


def locate_bodies(root: MimePart) -> Bodies:
    return _bodies_of(root)


def is_body_candidate(part: MimePart) -> bool:
    """Return whether a leaf part may be a message body, judged by its own headers."""
    if part.content_type not in ("text/plain", "text/html"):
        return False
    if part.headers.get_content_disposition() == "attachment":
        return False
    return part.headers.get_filename() is None and part.headers.get_param("name") is None


def _bodies_of(part: MimePart) -> Bodies:
    if not part.is_multipart:
        return _leaf_bodies(part)
    if not part.children:
        return Bodies()
    if part.content_type == "multipart/alternative":
        return _alternative_bodies(part)
    if part.content_type == "multipart/related":
        return _bodies_of(_related_root(part))
    return _mixed_bodies(part)


def _leaf_bodies(part: MimePart) -> Bodies:
    if not is_body_candidate(part):
        return Bodies()
    if part.content_type == "text/html":
        return Bodies(html=part)
    return Bodies(text=part)


def _alternative_bodies(part: MimePart) -> Bodies:
    bodies = Bodies()
    for child in part.children:
        bodies = bodies.merged_with(_bodies_of(child))
    return bodies


def _related_root(part: MimePart) -> MimePart:
    start = part.headers.get_param("start")
    if isinstance(start, str) and start.strip():
        root_id = start.strip()
        for child in part.children:
            if str(child.headers.get("Content-ID", "")).strip() == root_id:
                return child
    return part.children[0]


def _mixed_bodies(part: MimePart) -> Bodies:
    first = part.children[0]
    bodies = _bodies_of(first)
    if first.is_multipart:
        return bodies

    for child in part.children[1:]:
        if not is_body_candidate(child):
            continue
        if child.content_type == "text/html" and bodies.html is not None:
            bodies = Bodies(html=child, text=bodies.text)
        elif child.content_type == "text/plain" and bodies.text is not None:
            bodies = Bodies(html=bodies.html, text=child)
    return bodies
