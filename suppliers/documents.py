"""The purchase-order document: one context for the print-ready page and the PDF,
and the e-mail that carries the PDF to the supplier.

The PDF is drawn with fpdf2: pure Python (its dependencies, Pillow and fontTools,
ship wheels on PyPI), so a fresh ``make run`` produces it with no system packages.
Text uses the PDF core fonts in Windows-1252 (Latin letters, €, dashes); anything
outside that is transliterated.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from inventory_site import formatting

from .models import Delivery, DeliveryLine, SupplierItem

CENT = Decimal("0.01")


@dataclass(frozen=True)
class DocumentLine:
    position: int
    sku: str
    supplier_sku: str
    name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal | None
    line_total: Decimal | None


money = formatting.money


def purchase_order_context(delivery: Delivery) -> dict:
    """Everything the document shows, as plain values."""
    lines = list(
        DeliveryLine.objects.filter(delivery=delivery)
        .select_related("item")
        .order_by("pk")
    )
    supplier_skus = dict(
        SupplierItem.objects.filter(
            supplier_id=delivery.supplier_id, item_id__in=[x.item_id for x in lines]
        ).values_list("item_id", "supplier_sku")
    )
    rows = []
    for position, line in enumerate(lines, start=1):
        rows.append(
            DocumentLine(
                position=position,
                sku=line.item.sku,
                supplier_sku=supplier_skus.get(line.item_id, ""),
                name=line.item.name,
                quantity=line.quantity_ordered,
                unit=line.item.unit,
                unit_price=line.unit_price,
                line_total=line.line_total,
            )
        )
    priced = [r.line_total for r in rows if r.line_total is not None]
    order_date = (
        timezone.localtime(delivery.ordered_at).date()
        if delivery.ordered_at
        else timezone.localdate()
    )
    return {
        "company_name": settings.COMPANY_NAME,
        "company_address": [x for x in settings.COMPANY_ADDRESS.splitlines() if x],
        "supplier": delivery.supplier,
        "reference": delivery.reference,
        "order_date": order_date,
        "requested_date": delivery.promised_date,
        "is_draft": delivery.status == "draft",
        "lines": rows,
        "total": sum(priced, Decimal("0")).quantize(CENT),
        "unpriced": len(priced) != len(rows),
        "currency": settings.CURRENCY,
    }


_LETTERS = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ħ": "H", "ħ": "h"}


def _latin(text: str) -> str:
    """Text the PDF core fonts can draw (Windows-1252), transliterating the rest."""
    text = str(text)
    try:
        text.encode("cp1252")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
        except UnicodeEncodeError:
            if char in _LETTERS:
                out.append(_LETTERS[char])
                continue
            folded = unicodedata.normalize("NFKD", char).encode("ascii", "ignore")
            out.append(folded.decode() or "?")
    return "".join(out)


def _date(value: date | None) -> str:
    return f"{value:%d %b %Y}" if value else "—"


def purchase_order_pdf(delivery: Delivery) -> bytes:
    """The purchase order as a PDF (A4)."""
    from fpdf import FPDF

    ctx = purchase_order_context(delivery)
    currency = ctx["currency"]
    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(_latin(f"Purchase order {ctx['reference']}"))
    pdf.set_author(_latin(ctx["company_name"]))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()

    def text(value, size=10, style="", h=5, w=0, align="L", ln=True):
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.cell(
            w,
            h,
            _latin(value),
            align=align,
            new_x="LMARGIN" if ln else "RIGHT",
            new_y="NEXT" if ln else "TOP",
        )

    text(ctx["company_name"], size=13, style="B", h=7)
    for row in ctx["company_address"]:
        text(row)
    pdf.ln(6)
    title = "PURCHASE ORDER" + (" (DRAFT)" if ctx["is_draft"] else "")
    text(title, size=16, style="B", h=9)
    text(f"Reference: {ctx['reference']}", style="B")
    text(f"Order date: {_date(ctx['order_date'])}")
    text(f"Requested delivery date: {_date(ctx['requested_date'])}")
    pdf.ln(4)
    supplier = ctx["supplier"]
    text("Supplier", style="B")
    text(f"{supplier.name} ({supplier.code})")
    if supplier.contact_name:
        text(f"Attn. {supplier.contact_name}")
    if supplier.email:
        text(supplier.email)
    if supplier.phone:
        text(supplier.phone)
    pdf.ln(5)

    columns = [  # header, width, align
        ("#", 8, "R"), ("SKU", 26, "L"), ("Supplier SKU", 26, "L"),
        ("Name", 48, "L"), ("Qty", 16, "R"), ("Unit", 12, "L"),
        (f"Unit price ({currency})", 27, "R"), (f"Total ({currency})", 27, "R"),
    ]  # fmt: skip
    pdf.set_font("Helvetica", style="B", size=8)
    for header, width, align in columns:
        pdf.cell(width, 6, _latin(header), border="B", align=align)
    pdf.ln(6)
    pdf.set_font("Helvetica", size=8)
    for line in ctx["lines"]:
        values = [
            str(line.position),
            line.sku,
            line.supplier_sku,
            line.name[:34],
            formatting.quantity(line.quantity, line.unit),
            line.unit,
            "—" if line.unit_price is None else f"{line.unit_price:,.2f}",
            "—" if line.line_total is None else f"{line.line_total:,.2f}",
        ]
        for (_, width, align), value in zip(columns, values, strict=True):
            pdf.cell(width, 6, _latin(value), align=align)
        pdf.ln(6)
    pdf.set_font("Helvetica", style="B", size=10)
    width = sum(w for _, w, _ in columns)
    pdf.cell(width, 8, _latin(f"Order total: {money(ctx['total'], currency)}"),
             border="T", align="R")  # fmt: skip
    pdf.ln(10)
    if ctx["unpriced"]:
        text("Lines without a price are to be confirmed by the supplier.", size=8)
    text(
        f"Please confirm this order and the delivery date quoting {ctx['reference']}.",
        size=9,
    )
    return bytes(pdf.output())


def purchase_order_email(delivery: Delivery) -> EmailMessage:
    """The e-mail to the supplier with the PDF attached (not yet sent)."""
    ctx = purchase_order_context(delivery)
    supplier = delivery.supplier
    greeting = f"Dear {supplier.contact_name}," if supplier.contact_name else "Hello,"
    lines = "\n".join(
        f"  {x.sku:<16} {x.supplier_sku:<16} "
        f"{formatting.quantity(x.quantity, x.unit):>10} {x.unit}"
        for x in ctx["lines"]
    )
    body = (
        f"{greeting}\n\nplease find attached our purchase order {ctx['reference']} "
        f"of {_date(ctx['order_date'])}, requested delivery date "
        f"{_date(ctx['requested_date'])}.\n\n{lines}\n\nOrder total: "
        f"{money(ctx['total'], ctx['currency'])}\n\nPlease confirm the order and "
        f"the delivery date.\n\n{ctx['company_name']}\n"
        + "\n".join(ctx["company_address"])
    )
    message = EmailMessage(
        subject=f"Purchase order {ctx['reference']} — {ctx['company_name']}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[supplier.email],
        reply_to=settings.PURCHASE_ORDER_REPLY_TO or None,
    )
    filename = "".join(
        c if c.isalnum() or c in "-_." else "-" for c in ctx["reference"]
    )
    message.attach(f"{filename}.pdf", purchase_order_pdf(delivery), "application/pdf")
    return message
