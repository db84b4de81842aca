"""Who owes whom for a cycle: pair by pair, or cleared through the network.

Each open claim is what a buyer still owes an issuer (an invoice's total less what was
paid and credited). Pairwise netting pays each pair's difference once; clearing
makes the network's organisation the only counterparty: each co-op pays it one amount
and each producer receives one payout. Either way the balances add up to zero exactly
and the transfers settle every balance.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from uuid import UUID

import msgspec


class Claim(msgspec.Struct, frozen=True, kw_only=True):
    creditor_id: UUID  # the issuer of the invoice
    debtor_id: UUID  # its buyer
    amount_ore: int  # open: negative when credits exceed what was invoiced


class Transfer(msgspec.Struct, frozen=True, kw_only=True):
    payer_id: UUID
    payee_id: UUID
    amount_ore: int  # positive


class Settlement(msgspec.Struct, frozen=True, kw_only=True):
    balances: dict[UUID, int]  # positive: is owed; negative: owes
    transfers: tuple[Transfer, ...]


def balances(claims: Iterable[Claim]) -> dict[UUID, int]:
    """Each party's net position: owed to it less owed by it."""
    net: dict[UUID, int] = defaultdict(int)
    for claim in claims:
        net[claim.creditor_id] += claim.amount_ore
        net[claim.debtor_id] -= claim.amount_ore
    return dict(sorted(net.items(), key=lambda item: str(item[0])))


def settle(claims: Iterable[Claim], clearing_id: UUID | None = None) -> Settlement:
    """The transfers that settle ``claims``: one per pair with a difference, or (with
    ``clearing_id``) one between each party and the clearing organisation."""
    claims = list(claims)
    net = balances(claims)
    if clearing_id is not None:
        transfers = [
            Transfer(payer_id=party, payee_id=clearing_id, amount_ore=-amount)
            if amount < 0
            else Transfer(payer_id=clearing_id, payee_id=party, amount_ore=amount)
            for party, amount in net.items()
            if party != clearing_id and amount != 0
        ]
        return Settlement(balances=net, transfers=tuple(transfers))
    pairs: dict[tuple[UUID, UUID], int] = defaultdict(int)
    for claim in claims:
        low, high = sorted((claim.creditor_id, claim.debtor_id), key=str)
        # positive: ``high`` owes ``low``
        pairs[(low, high)] += claim.amount_ore if claim.creditor_id == low else -claim.amount_ore
    transfers = []
    for (low, high), amount in sorted(
        pairs.items(), key=lambda item: (str(item[0][0]), str(item[0][1]))
    ):
        if amount > 0:
            transfers.append(Transfer(payer_id=high, payee_id=low, amount_ore=amount))
        elif amount < 0:
            transfers.append(Transfer(payer_id=low, payee_id=high, amount_ore=-amount))
    return Settlement(balances=net, transfers=tuple(transfers))
