"""Which addresses an outbound call may reach: public unicast ones only.

An IPv6 address that carries an IPv4 address reaches that IPv4 address (the kernel
maps ``::ffff:a.b.c.d`` to it, a NAT64 gateway translates ``64:ff9b::a.b.c.d``, a
6to4 relay ``2002:aabb:ccdd::``), so it is judged as the IPv4 address it carries.
Pure: the caller resolves, this only classifies.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215: a site's own
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (RFC 4291)


def carried(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 form carries (mapped, NAT64, compatible, 6to4), else itself."""
    if isinstance(address, ipaddress.IPv4Address):
        return address
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64_WELL_KNOWN or address in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return address


def is_public(address: IPAddress) -> bool:
    """True for a globally routable unicast address, judged by what it carries.

    A local-use NAT64 address (64:ff9b:1::/48) is refused outright: where it leads
    is the site's own business, and its embedding varies with the prefix length."""
    if isinstance(address, ipaddress.IPv6Address) and address in NAT64_LOCAL_USE:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.teredo is not None:
        return False  # tunnelled to an IPv4 host we cannot judge from here
    target = carried(address)
    return target.is_global and not (
        target.is_multicast
        or target.is_private
        or target.is_loopback
        or target.is_link_local
        or target.is_reserved
        or target.is_unspecified
    )
