"""Demo banner images drawn with Pillow, so the repository ships no binary images."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

BANNER_SIZE = (600, 100)
MARGIN = 24
# Pillow's built-in font has no umlauts, so a system font is preferred when present.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
)


@dataclass(frozen=True)
class BannerImage:
    png: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.png).hexdigest()


def draw_banner(headline: str, subline: str, background: str, foreground: str) -> BannerImage:
    """Draw a 600×100 PNG with a headline and a smaller line below it."""
    image = Image.new("RGB", BANNER_SIZE, background)
    draw = ImageDraw.Draw(image)
    width = BANNER_SIZE[0] - 2 * MARGIN
    draw.text((MARGIN, 16), headline, fill=foreground, font=fitting_font(draw, headline, 30, width))
    draw.text((MARGIN, 60), subline, fill=foreground, font=fitting_font(draw, subline, 18, width))
    buffer = io.BytesIO()
    # No timestamps or other varying metadata: the same text always gives the same bytes.
    image.save(buffer, format="PNG", optimize=True)
    return BannerImage(png=buffer.getvalue(), width=BANNER_SIZE[0], height=BANNER_SIZE[1])


def fitting_font(
    draw: ImageDraw.ImageDraw, text: str, size: int, width: int
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Return the largest font up to `size` points in which `text` fits `width` pixels."""
    while size > 10 and draw.textlength(text, font=load_font(size)) > width:
        size -= 1
    return load_font(size)


@cache
def load_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_CANDIDATES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    logger.warning("no DejaVu font found; demo banners show umlauts as boxes")
    return ImageFont.load_default(size=size)
