"""Shipping labels: a 100 x 150 mm page per package for a thermal printer, the tracking number as a
Code 128 barcode and in text, with who carries it, where it was sold and what is inside."""

import io
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db.models import Prefetch
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from oms.core.errors import NON_FIELD, DomainError
from oms.packages.models import Package, PackageItem

logger = logging.getLogger(__name__)

LABEL_WIDTH = 100 * mm
LABEL_HEIGHT = 150 * mm
MARGIN = 5 * mm
LABELS_LIMIT = 500

# A font with Turkish letters (dotless i, s and g with marks), from Debian's fonts-dejavu-core.
# Without it the labels use Helvetica, with text folded to the letters Helvetica has.
_FONT_FILES = {
    "Label": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "Label-Bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}


@dataclass(frozen=True)
class LabelItem:
    sku: str
    name: str


@dataclass(frozen=True)
class Label:
    package_id: int
    package_number: str
    order_number: str
    channel: str
    cargo_company: str
    tracking_number: str
    items: tuple[LabelItem, ...]


class NoTrackingNumber(DomainError):
    """A package has no shipment (so no tracking number) yet: there is nothing to print."""


def package_labels_get(*, package_ids: Sequence[int]) -> list[Label]:
    """The labels of these packages, in the order given; a 400 naming any unknown or unpacked one."""
    packages = {
        package.pk: package
        for package in Package.objects.filter(pk__in=package_ids)
        .select_related("order__channel", "order__cargo_company", "shipment__cargo_company")
        .prefetch_related(
            Prefetch("items", queryset=PackageItem.objects.select_related("order_item").order_by("id"))
        )
    }
    missing = [pk for pk in package_ids if pk not in packages]
    if missing:
        raise DomainError(
            f"There is no package with id {', '.join(map(str, missing))}.",
            field="ids" if len(package_ids) > 1 else NON_FIELD,
        )
    unpacked = [packages[pk].number for pk in package_ids if _shipment(packages[pk]) is None]
    if unpacked:
        raise NoTrackingNumber(
            f"Package {', '.join(unpacked)} has no tracking number yet: pack it first "
            "(CHANNEL_BASED_COMPLETE_PACKAGING creates its shipment), then print its label."
        )
    return [_label(packages[pk]) for pk in package_ids]


def _shipment(package: Package):
    shipment = getattr(package, "shipment", None)
    return shipment if shipment is not None and shipment.tracking_number else None


def _label(package: Package) -> Label:
    order, shipment = package.order, package.shipment
    cargo_company = shipment.cargo_company or order.cargo_company
    return Label(
        package_id=package.pk,
        package_number=package.number,
        order_number=order.number,
        channel=order.channel.name,
        cargo_company=cargo_company.name if cargo_company else "",
        tracking_number=shipment.tracking_number,
        items=tuple(
            LabelItem(sku=item.order_item.sku, name=item.order_item.product_name)
            for item in package.items.all()
        ),
    )


@cache
def _fonts() -> tuple[str, str]:
    """(regular, bold) font names: the label font when installed, else Helvetica."""
    if all(Path(path).is_file() for path in _FONT_FILES.values()):
        try:
            for name, path in _FONT_FILES.items():
                pdfmetrics.registerFont(TTFont(name, path))
            return "Label", "Label-Bold"
        except Exception:
            logger.exception("Label font could not be loaded; labels use Helvetica")
    return "Helvetica", "Helvetica-Bold"


def _printable(text: str, font: str) -> str:
    if font.startswith("Label"):
        return text
    folded = unicodedata.normalize("NFKD", text.replace("\u0131", "i").replace("\u0130", "I"))
    return (
        "".join(ch for ch in folded if not unicodedata.combining(ch))
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def _fit(text: str, font: str, size: float, width: float) -> str:
    """The text, cut with an ellipsis where it would pass `width`."""
    text = _printable(text, font)
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def labels_pdf(labels: Sequence[Label]) -> bytes:
    """One PDF, one 100 x 150 mm page per label."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(LABEL_WIDTH, LABEL_HEIGHT), pageCompression=1)
    canvas.setTitle(labels[0].package_number if len(labels) == 1 else f"{len(labels)} labels")
    canvas.setCreator("OMS")
    for label in labels:
        _draw(canvas, label)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw(canvas: Canvas, label: Label) -> None:
    regular, bold = _fonts()
    width = LABEL_WIDTH - 2 * MARGIN
    y = LABEL_HEIGHT - MARGIN

    # Who carries it, and for which marketplace: the first things read at the dock.
    y -= 7 * mm
    canvas.setFont(bold, 16)
    canvas.drawString(MARGIN, y, _fit(label.cargo_company or "Cargo company unknown", bold, 16, width))
    y -= 6 * mm
    canvas.setFont(regular, 11)
    canvas.drawString(MARGIN, y, _fit(label.channel, regular, 11, width))
    y -= 3 * mm
    canvas.setLineWidth(0.8)
    canvas.line(MARGIN, y, LABEL_WIDTH - MARGIN, y)

    # The barcode: as wide as fits, modules no thinner than a 203 dpi head prints cleanly.
    bar_height = 30 * mm
    modules = Code128(label.tracking_number, barWidth=1, quiet=0).width
    bar_width = min(0.6 * mm, width / (modules + 20))  # with a quiet zone of 10 modules each side
    quiet = 10 * bar_width
    barcode = Code128(
        label.tracking_number, barWidth=bar_width, barHeight=bar_height, quiet=1, lquiet=quiet, rquiet=quiet
    )
    y -= bar_height + 4 * mm
    barcode.drawOn(canvas, (LABEL_WIDTH - barcode.width) / 2, y)
    y -= 7 * mm
    canvas.setFont(bold, 14)
    canvas.drawCentredString(LABEL_WIDTH / 2, y, _fit(label.tracking_number, bold, 14, width))
    y -= 4 * mm
    canvas.line(MARGIN, y, LABEL_WIDTH - MARGIN, y)

    for caption, value in (("Order", label.order_number), ("Package", label.package_number)):
        y -= 6 * mm
        canvas.setFont(regular, 9)
        canvas.drawString(MARGIN, y, caption)
        canvas.setFont(bold, 12)
        canvas.drawString(MARGIN + 18 * mm, y, _fit(value, bold, 12, width - 18 * mm))
    y -= 3 * mm
    canvas.line(MARGIN, y, LABEL_WIDTH - MARGIN, y)

    y -= 5 * mm
    canvas.setFont(regular, 9)
    canvas.drawString(MARGIN, y, f"Items ({len(label.items)})")
    line_height = 4.5 * mm
    room = int((y - MARGIN) // line_height)
    shown = label.items if len(label.items) <= room else label.items[: max(room - 1, 0)]
    canvas.setFont(regular, 9)
    for item in shown:
        y -= line_height
        canvas.drawString(MARGIN, y, _fit(f"{item.sku} · {item.name}", regular, 9, width))
    if len(shown) < len(label.items):
        y -= line_height
        canvas.setFont(bold, 9)
        canvas.drawString(MARGIN, y, f"+{len(label.items) - len(shown)} more")
