"""The product icon as an ICO file, drawn like `static/favicon.svg`.

Browsers read the SVG through the page's icon link. Clients that fetch `/favicon.ico`
directly (feed readers, bookmark tools, older browsers) often decode only ICO or PNG,
so that path gets this bitmap version.
"""

from __future__ import annotations

import io
from functools import cache

from PIL import Image, ImageDraw

BACKGROUND = "#073763"
FOREGROUND = "#ffffff"
# The "M" of favicon.svg on its 32 x 32 grid, corner by corner.
LETTER_OUTLINE = [
    (7, 24),
    (7, 8),
    (10.5, 8),
    (16, 16.5),
    (21.5, 8),
    (25, 8),
    (25, 24),
    (21.5, 24),
    (21.5, 14),
    (16, 22.2),
    (10.5, 14),
    (10.5, 24),
]
DRAWING_SCALE = 8  # drawn at 256 x 256, then scaled down for each icon size
ICON_SIZES = [(16, 16), (32, 32), (48, 48)]


@cache
def favicon_ico() -> bytes:
    """Return the icon as ICO bytes with 16, 32 and 48 pixel images, drawn once."""
    size = 32 * DRAWING_SCALE
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=6 * DRAWING_SCALE, fill=BACKGROUND)
    letter = [(x * DRAWING_SCALE, y * DRAWING_SCALE) for x, y in LETTER_OUTLINE]
    draw.polygon(letter, fill=FOREGROUND)
    output = io.BytesIO()
    image.save(output, format="ICO", sizes=ICON_SIZES)
    return output.getvalue()
