"""An invoice or credit note to print, in the buyer's language: a page of HTML, a PDF
(drawn by fpdf2 on the documents' ``Paper``, DejaVu Sans), and a CSV row per invoice.

The HTML carries its style (admitted by the Content-Security-Policy by its hash) so a
saved copy prints the same; its words come from the pages' catalogues. Money is shown
from integer öre without floats.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec
from babel.numbers import format_decimal
from fpdf.enums import XPos, YPos
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from stdnum import iban

from services.api.documents.paper import FONT, Paper
from services.api.documents.words import Words
from services.api.invoices.schemas import InvoiceOut
from services.api.web.i18n import gettext_for
from shared.contracts.invoices import InvoiceKind

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATES = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"])
)
INVOICE_STYLE = Markup((TEMPLATE_DIR / "invoice.css").read_text())  # noqa: S704 - our file
UNITS = {"kg": "kg", "l": "l", "piece": "st", "service": ""}
ZONE = "Europe/Stockholm"  # an invoice shows dates only; the zone names no time


class Figures:
    """How an invoice writes its amounts, quantities, rates and units in ``language``."""

    def __init__(self, language: str) -> None:
        self.language = language

    def money(self, ore: int) -> str:
        return str(format_decimal(Decimal(ore) / 100, format="#,##0.00", locale=self.language))

    def quantity(self, milli: int) -> str:
        return str(format_decimal(Decimal(milli) / 1000, format="#,##0.###", locale=self.language))

    def rate(self, basis_points: int) -> str:
        return (
            str(format_decimal(Decimal(basis_points) / 100, format="0.##", locale=self.language))
            + " %"
        )

    def unit(self, name: str) -> str:
        if self.language == "sv":
            return UNITS.get(name, name)
        return "" if name == "service" else name


def _title(invoice: InvoiceOut, language: str) -> str:
    gettext = gettext_for(language)
    credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE
    return gettext("Credit note") if credit_note else gettext("Invoice")


def render_invoice(invoice: InvoiceOut, corrects_number: int | None = None) -> str:
    language = invoice.language
    figures = Figures(language)
    return TEMPLATES.get_template("invoice.html").render(
        invoice=invoice,
        language=language,
        title=_title(invoice, language),
        credit_note=invoice.kind is InvoiceKind.CREDIT_NOTE,
        corrects_number=corrects_number,
        style=INVOICE_STYLE,
        _=gettext_for(language),
        money=figures.money,
        quantity=figures.quantity,
        rate=figures.rate,
        unit=figures.unit,
        iban=lambda number: iban.format(number) if number else "",
    )


def invoice_pdf(invoice: InvoiceOut, corrects_number: int | None = None) -> bytes:
    """The invoice as a PDF in the buyer's language, with what the HTML page says."""
    language = invoice.language
    words = Words(language, ZONE)
    figures = Figures(language)
    title = f"{_title(invoice, language)} {invoice.number}"
    paper = Paper(words, f"{title} · {invoice.issuer['legal_name']}")
    paper.add_page()
    paper.h1(title)
    if corrects_number:
        paper.para(words("Credits invoice {number}", number=corrects_number))
    top = paper.get_y()
    for n, (heading, party) in enumerate(
        ((words("Seller"), invoice.issuer), (words("Buyer"), invoice.buyer))
    ):
        paper.set_xy(paper.l_margin + n * 90, top)
        _party(paper, words, heading, party, 85)
    paper.set_y(max(paper.get_y(), top) + 2)
    credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE
    facts = [
        (words("Invoice date"), invoice.issued_on.isoformat()),
        (words("Delivery date"), invoice.delivery_date.isoformat()),
    ]
    if not credit_note:
        facts.append((words("Due date"), invoice.due_on.isoformat()))
    _facts(paper, facts)
    paper.ln(2)
    paper.grid(
        [
            words("Description"),
            words("Quantity"),
            words("Unit"),
            words("Unit price"),
            words("VAT rate"),
            words("Amount"),
        ],
        [
            [
                line.description,
                figures.quantity(line.quantity_milli),
                figures.unit(line.unit),
                figures.money(line.unit_price_ore),
                figures.rate(line.vat_rate_bp),
                figures.money(line.net_ore),
            ]
            for line in invoice.lines
        ],
        (70, 22, 14, 26, 22, 26),
        right=(1, 3, 4, 5),
    )
    paper.grid(
        [words("VAT rate"), words("Taxable amount"), words("VAT")],
        [
            [figures.rate(t.rate_bp), figures.money(t.taxable_ore), figures.money(t.vat_ore)]
            for t in invoice.vat
        ],
        (40, 50, 50),
        right=(0, 1, 2),
    )
    paper.figures(
        [
            (words("Total excluding VAT"), figures.money(invoice.net_ore)),
            (words("VAT"), figures.money(invoice.vat_ore)),
            (f"{words('Total')} ({invoice.currency})", figures.money(invoice.total_ore)),
        ],
        bold_last=True,
    )
    if invoice.issuer.get("vat_exempt"):
        paper.ln(2)
        paper.para(str(invoice.issuer.get("vat_exempt_statement", "")))
    if not credit_note:
        paper.h2(words("Payment"))
        issuer = invoice.issuer
        payment = []
        if issuer.get("bankgiro"):
            payment.append((words("Bankgiro"), str(issuer["bankgiro"])))
        if issuer.get("plusgiro"):
            payment.append((words("Plusgiro"), str(issuer["plusgiro"])))
        if issuer.get("iban"):
            bic = f" (BIC {issuer['bic']})" if issuer.get("bic") else ""
            payment.append(("IBAN", iban.format(str(issuer["iban"])) + bic))
        payment += [
            (words("Payment reference (OCR)"), invoice.ocr_reference),
            (words("To pay by"), invoice.due_on.isoformat()),
        ]
        _facts(paper, payment)
    return bytes(paper.output())


def _party(
    paper: Paper, words: Words, heading: str, party: dict[str, object], width: float
) -> None:
    x = paper.get_x()
    paper.set_font(FONT, "B", 11)
    paper.cell(width, 6, heading, new_x=XPos.LEFT, new_y=YPos.NEXT)
    paper.set_font(FONT, size=10)
    lines = [str(party.get("legal_name", "")), *str(party.get("billing_address", "")).split("\n")]
    if party.get("org_number"):
        lines.append(f"{words('Org. no.')} {party['org_number']}")
    if party.get("vat_number"):
        lines.append(f"{words('VAT no.')} {party['vat_number']}")
    for text in lines:
        paper.set_x(x)
        paper.multi_cell(width, 5, text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)


def _facts(paper: Paper, pairs: list[tuple[str, str]]) -> None:
    for label, value in pairs:
        paper.set_font(FONT, "B", 10)
        paper.cell(60, 6, label)
        paper.set_font(FONT, size=10)
        paper.cell(0, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


class Amount:
    """Kronor a spreadsheet reads as a number: no grouping, an ASCII minus (not text, so
    the CSV's formula guard leaves a credit note's minus alone)."""

    def __init__(self, ore: int, point: str) -> None:
        self.ore, self.point = ore, point

    def __str__(self) -> str:
        whole, cents = divmod(abs(self.ore), 100)
        return f"{'-' if self.ore < 0 else ''}{whole}{self.point}{cents:02d}"


class InvoiceRow(msgspec.Struct, kw_only=True):
    """One invoice or credit note as a spreadsheet's row (``invoices.csv``)."""

    number: int
    kind: str
    purpose: str
    issuer: str
    buyer: str
    issued_on: str
    delivery_date: str
    due_on: str
    net: Amount
    vat: Amount
    total: Amount
    paid: Amount
    open: Amount
    status: str
    ocr_reference: str


CSV_HEADER = (
    "Number",
    "Kind",
    "Purpose",
    "Seller",
    "Buyer",
    "Invoice date",
    "Delivery date",
    "Due date",
    "Total excluding VAT",
    "VAT",
    "Total",
    "Paid",
    "Open",
    "State",
    "Payment reference (OCR)",
)


def invoice_rows(invoices: list[InvoiceOut], language: str) -> tuple[list[str], list[InvoiceRow]]:
    """The header and rows of an invoices CSV in ``language``: decimal commas in Swedish."""
    gettext = gettext_for(language)

    def plain(ore: int) -> Amount:
        return Amount(ore, "," if language == "sv" else ".")

    rows = [
        InvoiceRow(
            number=i.number,
            kind=_title(i, language),
            purpose=gettext("purpose:" + i.purpose),
            issuer=str(i.issuer.get("legal_name", "")),
            buyer=str(i.buyer.get("legal_name", "")),
            issued_on=i.issued_on.isoformat(),
            delivery_date=i.delivery_date.isoformat(),
            due_on=i.due_on.isoformat(),
            net=plain(i.net_ore),
            vat=plain(i.vat_ore),
            total=plain(i.total_ore),
            paid=plain(i.paid_ore),
            open=plain(i.open_ore),
            status=gettext("invoice:" + i.status),
            ocr_reference=i.ocr_reference,
        )
        for i in invoices
    ]
    return [gettext(name) for name in CSV_HEADER], rows
