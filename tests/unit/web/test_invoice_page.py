"""The printable invoice speaks Swedish as well as English."""

from __future__ import annotations

import re
from pathlib import Path

from services.api.invoices import printable
from services.api.web import i18n

MESSAGE = re.compile(r"""_\(\s*"((?:[^"\\]|\\.)*)"\s*[,)]""")


def test_every_message_the_printable_invoice_writes_has_its_swedish() -> None:
    template = Path(printable.__file__).parents[1] / "templates" / "invoice.html"
    written = set(MESSAGE.findall(template.read_text()))
    assert "Payment reference (OCR)" in written
    assert sorted(written - set(i18n.catalogue("sv"))) == []
    for title in ("Invoice", "Credit note"):  # the titles come from the code
        assert title in i18n.catalogue("sv")
