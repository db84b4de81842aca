from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.api.auth.tokens import (
    DISPLAY_LENGTH,
    TOKEN_LENGTH,
    hash_token,
    is_well_formed,
    new_token,
)


def test_new_token_is_well_formed_and_hashed() -> None:
    token, prefix, secret_hash = new_token()
    assert token.startswith("sl_")
    assert len(token) == TOKEN_LENGTH
    assert prefix == token[:DISPLAY_LENGTH]
    assert is_well_formed(token)
    assert secret_hash == hash_token(token)
    assert token.encode() not in secret_hash


def test_tokens_are_unique() -> None:
    assert len({new_token().token for _ in range(1000)}) == 1000


def test_a_single_changed_character_breaks_the_checksum() -> None:
    token = new_token().token
    for position in range(3, len(token)):
        replacement = "a" if token[position] != "a" else "b"
        mistyped = token[:position] + replacement + token[position + 1 :]
        assert not is_well_formed(mistyped), position


@given(st.text(alphabet="abcXYZ019_-", min_size=0, max_size=60))
def test_random_text_is_not_a_token(text: str) -> None:
    assert not is_well_formed(text)
    assert not is_well_formed("sl_" + text)
