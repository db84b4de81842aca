"""An invoice or credit note as a printable HTML page, in the buyer's language.

The page carries its style (admitted by the Content-Security-Policy by its hash) so a
saved copy prints the same; its words come from the pages' catalogues. Money is shown
from integer öre without floats.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from stdnum import iban

from services.api.invoices.schemas import InvoiceOut
from services.api.web.i18n import gettext_for
from shared.contracts.invoices import InvoiceKind

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "templates"
TEMPLATES = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR), autoescape=select_autoescape(["html"])
)
INVOICE_STYLE = Markup((TEMPLATE_DIR / "invoice.css").read_text())  # noqa: S704 - our file
UNITS = {"kg": "kg", "l": "l", "piece": "st", "service": ""}


def render_invoice(invoice: InvoiceOut, corrects_number: int | None = None) -> str:
    language = invoice.language
    gettext = gettext_for(language)
    credit_note = invoice.kind is InvoiceKind.CREDIT_NOTE

    def money(ore: int) -> str:
        return str(format_decimal(Decimal(ore) / 100, format="#,##0.00", locale=language))

    def quantity(milli: int) -> str:
        return str(format_decimal(Decimal(milli) / 1000, format="#,##0.###", locale=language))

    def rate(basis_points: int) -> str:
        return (
            str(format_decimal(Decimal(basis_points) / 100, format="0.##", locale=language)) + " %"
        )

    def unit(name: str) -> str:
        return UNITS.get(name, name) if language == "sv" else ("" if name == "service" else name)

    return TEMPLATES.get_template("invoice.html").render(
        invoice=invoice,
        language=language,
        title=gettext("Credit note") if credit_note else gettext("Invoice"),
        credit_note=credit_note,
        corrects_number=corrects_number,
        style=INVOICE_STYLE,
        _=gettext,
        money=money,
        quantity=quantity,
        rate=rate,
        unit=unit,
        iban=lambda number: iban.format(number) if number else "",
    )
