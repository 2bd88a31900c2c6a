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
    draw.text((24, 16), headline, fill=foreground, font=load_font(30))
    draw.text((24, 60), subline, fill=foreground, font=load_font(18))
    buffer = io.BytesIO()
    # No timestamps or other varying metadata: the same text always gives the same bytes.
    image.save(buffer, format="PNG", optimize=True)
    return BannerImage(png=buffer.getvalue(), width=BANNER_SIZE[0], height=BANNER_SIZE[1])


@cache
def load_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_CANDIDATES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    logger.warning("no DejaVu font found; demo banners show umlauts as boxes")
    return ImageFont.load_default(size=size)
