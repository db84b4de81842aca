"""An invoice's status follows its credit notes, payments and write-offs."""

from __future__ import annotations

import pytest

from shared.contracts.invoices import Balance, InvoiceKind, InvoiceStatus


@pytest.mark.parametrize(
    ("credited", "paid", "written_off", "status", "open_ore"),
    [
        (0, 0, 0, InvoiceStatus.UNPAID, 10_000),
        (0, 4_000, 0, InvoiceStatus.PARTLY_PAID, 6_000),
        (-2_000, 8_000, 0, InvoiceStatus.PAID, 0),  # credited, the rest paid
        (0, 4_000, 6_000, InvoiceStatus.WRITTEN_OFF, 0),
        (-10_000, 0, 0, InvoiceStatus.CREDITED, 0),
    ],
)
def test_status_and_what_is_still_open(
    credited: int, paid: int, written_off: int, status: InvoiceStatus, open_ore: int
) -> None:
    balance = Balance(
        kind=InvoiceKind.INVOICE,
        total_ore=10_000,
        credited_ore=credited,
        paid_ore=paid,
        written_off_ore=written_off,
    )
    assert (balance.status, balance.open_ore) == (status, open_ore)


def test_a_credit_note_is_a_credit_note_whatever_its_figures() -> None:
    note = Balance(
        kind=InvoiceKind.CREDIT_NOTE, total_ore=-500, credited_ore=0, paid_ore=0, written_off_ore=0
    )
    assert note.status is InvoiceStatus.CREDIT_NOTE
