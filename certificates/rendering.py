"""The certificate as a PDF (fpdf2) and as a 1200x630 share image (Pillow), both made on this machine.

With a TrueType font configured (CERTIFICATE_FONT_PATH, DejaVu Sans where installed) the PDF embeds it
and names render in the scripts it covers (DejaVu: Latin, Greek, Cyrillic and more; not CJK, whose
characters show as missing glyphs until a font with them is configured). Without one it falls back to
the PDF core font Helvetica, which only covers Latin-1; other characters become "?" rather than failing.
"""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from certificates.models import Certificate
from certificates.selectors import certificate_links

INK = (17, 24, 39)
ACCENT = (67, 56, 202)
MUTED = (107, 114, 128)


def _font_paths() -> tuple[str, str] | None:
    regular, bold = str(settings.CERTIFICATE_FONT_PATH), str(settings.CERTIFICATE_FONT_BOLD_PATH)
    if regular and Path(regular).is_file():
        return regular, bold if bold and Path(bold).is_file() else regular
    return None


def _date(certificate: Certificate) -> str:
    return f"{certificate.issued_at:%B} {certificate.issued_at.day}, {certificate.issued_at.year}"


def certificate_pdf(certificate: Certificate) -> bytes:
    """A one-page landscape A4 PDF holding the name, course, date, id and verify link."""
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_title(f"Certificate: {certificate.name}")
    pdf.set_author(str(settings.CERTIFICATE_ISSUER))
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    fonts = _font_paths()
    if fonts:
        pdf.add_font("cert", "", fonts[0])
        pdf.add_font("cert", "B", fonts[1])
        family = "cert"

        def text(value: str) -> str:
            return value
    else:
        family = "helvetica"

        def text(value: str) -> str:
            return value.encode("latin-1", "replace").decode("latin-1")

    width = pdf.w - 40
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 20)

    pdf.set_xy(20, 38)
    pdf.set_text_color(*MUTED)
    pdf.set_font(family, "", 14)
    pdf.cell(width, 10, text(f"{settings.CERTIFICATE_ISSUER} · Certificate of completion"), align="C")
    pdf.set_xy(20, 62)
    pdf.set_text_color(*INK)
    pdf.set_font(family, "", 16)
    pdf.cell(width, 10, "This certifies that", align="C")
    pdf.set_xy(20, 78)
    _fit(pdf, family, text(certificate.name), width, largest=34)
    pdf.cell(width, 18, text(certificate.name), align="C")
    pdf.set_xy(20, 104)
    pdf.set_font(family, "", 16)
    pdf.cell(width, 10, f"completed all {certificate.lessons_completed} lessons of", align="C")
    pdf.set_xy(20, 118)
    pdf.set_text_color(*ACCENT)
    _fit(pdf, family, text(certificate.course_title), width, largest=24)
    pdf.cell(width, 14, text(certificate.course_title), align="C")
    pdf.set_xy(20, 146)
    pdf.set_text_color(*INK)
    pdf.set_font(family, "", 14)
    pdf.cell(width, 8, f"Issued {_date(certificate)}", align="C")
    pdf.set_xy(20, 172)
    pdf.set_text_color(*MUTED)
    pdf.set_font(family, "", 11)
    pdf.cell(width, 6, f"Certificate {certificate.pk} · verify at {certificate_links(certificate).page}", align="C")
    return bytes(pdf.output())


def _fit(pdf: FPDF, family: str, value: str, width: float, *, largest: int) -> None:
    """Bold at the largest size up to `largest` at which `value` fits on one line (long names shrink)."""
    size = largest
    pdf.set_font(family, "B", size)
    while size > 10 and pdf.get_string_width(value) > width:
        size -= 2
        pdf.set_font(family, "B", size)


def _image_font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    fonts = _font_paths()
    if fonts:
        return ImageFont.truetype(fonts[1] if bold else fonts[0], size)
    return ImageFont.load_default(size=size)


def _centred(draw: ImageDraw.ImageDraw, y: int, value: str, font: object, fill: tuple[int, int, int]) -> None:
    draw.text((600, y), value, font=font, fill=fill, anchor="mm")  # type: ignore[arg-type]


def certificate_image(certificate: Certificate) -> bytes:
    """The Open Graph image (1200x630 PNG): name, course and date on the product's colours."""
    image = Image.new("RGB", (1200, 630), (238, 242, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((24, 24, 1176, 606), outline=ACCENT, width=6, fill=(255, 255, 255))
    _centred(draw, 110, f"{settings.CERTIFICATE_ISSUER} · Certificate of completion", _image_font(32), MUTED)
    name = certificate.name if len(certificate.name) <= 40 else certificate.name[:39] + "…"
    _centred(draw, 270, name, _image_font(72, bold=True), INK)
    title = certificate.course_title if len(certificate.course_title) <= 50 else certificate.course_title[:49] + "…"
    _centred(draw, 380, title, _image_font(44, bold=True), ACCENT)
    _centred(draw, 470, f"Issued {_date(certificate)}", _image_font(32), INK)
    _centred(draw, 550, f"Certificate {certificate.pk}", _image_font(24), MUTED)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
