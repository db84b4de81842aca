"""SIE 4 (type 4: verifications), the file Swedish bookkeeping programs import.

Written as the format requires: IBM PC 8-bit text (``#FORMAT PC8``, code page 437,
which has å, ä and ö), CRLF line ends, one ``#VER`` per verification with its
``#TRANS`` rows in braces, amounts in kronor with a decimal point, debit positive and
credit negative; each verification sums to zero. A character that code page 437 lacks
becomes ``?``. ``read_sie`` parses what ``write_sie`` writes (and the same subset from
other programs), so the tests can read a file back.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Sequence

import msgspec

ENCODING = "cp437"


class SieTransaction(msgspec.Struct, frozen=True, kw_only=True):
    account: str
    amount_ore: int  # debit positive, credit negative


class SieVerification(msgspec.Struct, frozen=True, kw_only=True):
    series: str
    number: int
    day: dt.date
    text: str
    transactions: tuple[SieTransaction, ...]


class SieFile(msgspec.Struct, frozen=True, kw_only=True):
    company: str
    org_number: str
    generated_on: dt.date
    year_start: dt.date
    year_end: dt.date
    accounts: dict[str, str]  # number → name
    verifications: tuple[SieVerification, ...]
    program: str = "Samlast"


class UnbalancedError(ValueError):
    """A verification whose transactions do not sum to zero."""


def write_sie(sie: SieFile) -> bytes:
    lines = [
        "#FLAGGA 0",
        f"#PROGRAM {_quote(sie.program)} 1.0",
        "#FORMAT PC8",
        f"#GEN {_date(sie.generated_on)}",
        "#SIETYP 4",
        f"#ORGNR {sie.org_number}" if sie.org_number else "",
        f"#FNAMN {_quote(sie.company)}",
        f"#RAR 0 {_date(sie.year_start)} {_date(sie.year_end)}",
        "#KPTYP BAS2014",
        "#VALUTA SEK",
    ]
    lines += [f"#KONTO {number} {_quote(name)}" for number, name in sorted(sie.accounts.items())]
    for ver in sie.verifications:
        if sum(t.amount_ore for t in ver.transactions) != 0:
            raise UnbalancedError(f"verification {ver.series} {ver.number} does not balance")
        lines.append(f"#VER {ver.series} {ver.number} {_date(ver.day)} {_quote(ver.text)}")
        lines.append("{")
        lines += [f"   #TRANS {t.account} {{}} {_kronor(t.amount_ore)}" for t in ver.transactions]
        lines.append("}")
    text = "\r\n".join(line for line in lines if line) + "\r\n"
    return text.encode(ENCODING, errors="replace")


def read_sie(data: bytes) -> SieFile:
    """The company, year, accounts and verifications of a SIE 4 file."""
    fields: dict[str, list[str]] = {}
    accounts: dict[str, str] = {}
    verifications: list[SieVerification] = []
    head: list[str] | None = None
    transactions: list[SieTransaction] = []
    for raw in data.decode(ENCODING).splitlines():
        line = raw.strip()
        if not line or line in ("{", "}"):
            if line == "}" and head is not None:
                verifications.append(_verification(head, transactions))
                head, transactions = None, []
            continue
        label, *rest = _split(line)
        if label == "#KONTO":
            accounts[rest[0]] = rest[1]
        elif label == "#VER":
            head = rest
        elif label == "#TRANS":
            transactions.append(SieTransaction(account=rest[0], amount_ore=_ore(rest[2])))
        else:
            fields.setdefault(label, rest)
    year = fields.get("#RAR", ["0", "19700101", "19701231"])
    return SieFile(
        company=fields.get("#FNAMN", [""])[0],
        org_number=fields.get("#ORGNR", [""])[0],
        generated_on=_day(fields["#GEN"][0]),
        year_start=_day(year[1]),
        year_end=_day(year[2]),
        accounts=accounts,
        verifications=tuple(verifications),
        program=fields.get("#PROGRAM", [""])[0],
    )


def _verification(head: Sequence[str], transactions: list[SieTransaction]) -> SieVerification:
    return SieVerification(
        series=head[0],
        number=int(head[1]),
        day=_day(head[2]),
        text=head[3] if len(head) > 3 else "",
        transactions=tuple(transactions),
    )


def _split(line: str) -> list[str]:
    # the object list ``{}`` of #TRANS is one field; shlex reads quoted strings with \"
    if line.startswith("#TRANS"):
        line = line.replace(" {} ", ' "{}" ', 1)
    return shlex.split(line, posix=True)


def _quote(text: str) -> str:
    clean = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _date(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def _day(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%Y%m%d").date()


def _kronor(ore: int) -> str:
    sign = "-" if ore < 0 else ""
    return f"{sign}{abs(ore) // 100}.{abs(ore) % 100:02d}"


def _ore(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    whole, _, fraction = text.lstrip("+-").partition(".")
    return sign * (int(whole or "0") * 100 + int((fraction + "00")[:2]))
