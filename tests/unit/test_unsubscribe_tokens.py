"""One-click unsubscribe links name a person and a kind, and only this deployment can
make one."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit
from uuid import uuid4

from shared.contracts.notifications import NotificationKind
from shared.notifications import read_unsubscribe_token, unsubscribe_token, unsubscribe_url
from shared.security.sealing import Sealer, new_key


def test_a_token_names_its_person_and_kind_and_nothing_else_opens() -> None:
    sealer, stranger = Sealer(new_key()), Sealer(new_key())
    person = uuid4()
    token = unsubscribe_token(sealer, person, NotificationKind.LEFT_OUT)
    assert read_unsubscribe_token(sealer, token) == (person, NotificationKind.LEFT_OUT)
    assert str(person) not in token  # says nothing readable
    assert read_unsubscribe_token(stranger, token) is None  # another deployment's keys
    assert read_unsubscribe_token(sealer, token[:-4] + "AAAA") is None  # tampered
    assert read_unsubscribe_token(sealer, "") is None
    assert read_unsubscribe_token(sealer, "å" * 10) is None
    # a sealed value that is not a person and a kind
    assert read_unsubscribe_token(sealer, sealer.seal("x:cycle_opened").decode()) is None
    assert read_unsubscribe_token(sealer, sealer.seal(f"{person}:sign_in").decode()) is None


def test_the_link_is_under_the_public_url() -> None:
    sealer, person = Sealer(new_key()), uuid4()
    url = unsubscribe_url("https://samlast.example/", sealer, person, NotificationKind.CYCLE_OPENED)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "samlast.example",
        "/app/unsubscribe",
    )
    (token,) = parse_qs(parts.query)["token"]
    assert read_unsubscribe_token(sealer, token) == (person, NotificationKind.CYCLE_OPENED)
