"""Which addresses a webhook may reach, judged by the IPv4 address an IPv6 form carries."""

from __future__ import annotations

import ipaddress

import pytest

from shared.addresses import carried, is_public

REFUSED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "240.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "2001:db8::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::7f00:1",  # local-use NAT64
    "::127.0.0.1",  # IPv4-compatible
    "::10.0.0.1",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
]
ALLOWED = ["93.184.215.14", "2606:4700:4700::1111", "64:ff9b::5db8:d70e", "::ffff:93.184.215.14"]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused_in_every_form(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed_in_every_form(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["::ffff:127.0.0.1", "64:ff9b::7f00:1", "::127.0.0.1", "2002:7f00:1::"]
)
def test_ipv6_forms_carry_the_ipv4_address(address: str) -> None:
    assert carried(ipaddress.ip_address(address)) == ipaddress.IPv4Address("127.0.0.1")
