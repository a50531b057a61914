"""Badge images: the PNG Leerpad draws for each badge, baked with its credential (Open Badges 3.0
baking: an iTXt chunk with the keyword `openbadgecredential` holding the JWT), and the chunks of an
uploaded PNG read back. Pillow does both; the drawing is a plain medal with the achievement's name."""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

OB3_KEYWORD = "openbadgecredential"
OB2_KEYWORD = "openbadges"
SIZE = 400
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PIXELS = 4096 * 4096  # an uploaded image larger than this is refused before it is decoded


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)  # Pillow's bundled font, no system fonts needed
    except (OSError, TypeError):
        return ImageFont.load_default()


def draw(title: str, issuer_name: str) -> Image.Image:
    """A round medal: the achievement's name in the middle, the issuer below."""
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.ellipse((8, 8, SIZE - 8, SIZE - 8), fill=(31, 78, 121, 255), outline=(242, 181, 68, 255), width=14)
    pen.ellipse((44, 44, SIZE - 44, SIZE - 44), outline=(255, 255, 255, 160), width=3)
    lines = textwrap.wrap(title, width=18)[:4] or ["Badge"]
    font, small = _font(28), _font(18)
    top = SIZE // 2 - 18 * len(lines)
    for number, line in enumerate(lines):
        pen.text((SIZE // 2, top + 36 * number), line, font=font, fill="white", anchor="mm")
    pen.text(
        (SIZE // 2, SIZE - 80),
        textwrap.shorten(issuer_name, 30),
        font=small,
        fill=(242, 181, 68),
        anchor="mm",
    )
    return image


def baked_png(title: str, issuer_name: str, token: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_itxt(OB3_KEYWORD, token, zip=False)
    out = io.BytesIO()
    draw(title, issuer_name).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def png_texts(data: bytes) -> dict[str, str]:
    """The text chunks (tEXt, zTXt, iTXt) of a PNG, by keyword."""
    with Image.open(io.BytesIO(data)) as image:
        if image.format != "PNG" or image.width * image.height > MAX_PIXELS:
            raise ValueError("not a PNG image of a usable size")
        image.load()  # text chunks after the image data are read with it
        texts = getattr(image, "text", {})
        return {str(k): str(v) for k, v in texts.items()}
