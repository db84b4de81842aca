"""Sealing webhook secrets: the pure part, without servers."""

from __future__ import annotations

import pytest

from shared.security.sealing import Sealer, SealingError, new_key, parse_keys, sealer_of
from shared.settings import SettingsError, load_settings

SECRET = "whsec_" + "A" * 43 + "="


def test_sealed_text_is_not_the_secret_and_opens_again() -> None:
    sealer = Sealer(new_key())
    sealed = sealer.seal(SECRET)
    assert SECRET.encode() not in sealed
    assert sealer.unseal(sealed) == SECRET


def test_rotation_reseals_under_the_first_key_so_the_old_one_can_go() -> None:
    old, new = new_key(), new_key()
    sealed_old = Sealer(old).seal(SECRET)
    both = Sealer(f"{new},{old}")
    assert both.unseal(sealed_old) == SECRET  # every key unseals
    resealed = both.reseal(sealed_old)
    assert Sealer(new).unseal(resealed) == SECRET  # the old key is no longer needed
    with pytest.raises(SealingError):
        Sealer(old).unseal(resealed)


def test_a_secret_sealed_under_an_unknown_key_says_so_without_the_key() -> None:
    key = new_key()
    with pytest.raises(SealingError) as refused:
        Sealer(new_key()).unseal(Sealer(key).seal(SECRET))
    assert key not in str(refused.value)
    assert "SAMLAST_SECRET_KEYS" in str(refused.value)


@pytest.mark.parametrize("keys", ["not-a-key", "{k},", "{k},short", "{k}x"])
def test_a_malformed_key_stops_start_up_naming_the_variable_not_the_key(keys: str) -> None:
    key = new_key()
    with pytest.raises(SettingsError, match="SAMLAST_SECRET_KEYS") as refused:
        load_settings({"SAMLAST_SECRET_KEYS": keys.format(k=key)})
    assert key not in str(refused.value)
    with pytest.raises(SealingError):
        parse_keys(keys.format(k=key))


def test_the_keys_never_show_in_a_repr() -> None:
    key = new_key()
    settings = load_settings({"SAMLAST_SECRET_KEYS": key})
    assert settings.secret_keys == key
    assert key not in repr(settings)
    assert key not in str(settings)
    assert key not in repr(Sealer(key))
    assert sealer_of("") is None
    assert sealer_of(" ") is None
