"""Who the client of a request is: its peer, or what a trusted reverse proxy says it is.

A forwarding header (`X-Forwarded-For`, or RFC 7239 `Forwarded`) is written by whoever sent
the request, so it is believed only when the peer is a configured proxy, and only as far as it
was written by trusted proxies: reading from the right, the first address that is not a trusted
proxy is the client. Whatever the client put further left is never read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Literal

from escalon.core.text import split_outside_quotes

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
ProxyHeader = Literal["x-forwarded-for", "forwarded"]

MAX_HOPS = 32  # hops read from the right: a longer chain is not a real deployment
UNKNOWN = "unknown"


def parse_networks(text: str) -> tuple[Network, ...]:
    """`10.0.0.1, 10.1.0.0/16, ::1` as networks; ValueError naming an entry that is not one."""
    networks = []
    for entry in text.replace(";", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"ESCALON_TRUSTED_PROXIES: {entry!r} is not an IP address or CIDR network"
            ) from None
    return tuple(networks)


def client_address(
    peer: str | None,
    forwarded: Sequence[str],
    *,
    trusted: Sequence[Network],
    header: ProxyHeader = "x-forwarded-for",
) -> str:
    """The client's address: the peer's, unless the peer is a trusted proxy; then the right-most
    hop of the forwarding header (all its values, in order) that is not a trusted proxy.

    A hop that is not an address ("unknown", an obfuscated name) ends the walk: it names the
    client as well as anything can, and what lies left of it is the client's own writing.
    """
    if peer is None:
        return UNKNOWN
    nearest = parse_address(peer)
    if nearest is None:
        return _opaque(peer)
    if not forwarded or not _is_trusted(nearest, trusted):
        return _canonical(nearest)
    hops = _hops(forwarded, header)
    for hop in reversed(hops[-MAX_HOPS:]):
        address = parse_address(hop)
        if address is None:
            return _opaque(hop)
        nearest = address
        if not _is_trusted(address, trusted):
            return _canonical(address)
    # Every hop is a trusted proxy: the farthest one is all that is known.
    return _canonical(nearest)


def limit_subject(address: str) -> str:
    """What a per-client limit counts: an IPv6 client by its /64 (one subscriber's network,
    inside which it may pick any address), anything else as it is."""
    parsed = parse_address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return address


def parse_address(text: str) -> Address | None:
    """An address from a peer or a hop: `1.2.3.4`, `1.2.3.4:80`, `[::1]:80`, `::1`; or None."""
    text = text.strip().strip('"').strip()
    if text.startswith("["):
        end = text.find("]")
        text = text[1:end] if end > 0 else text
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _canonical(address: Address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        address = ipaddress.IPv6Address(address.compressed.split("%", 1)[0])
    return str(address)


def _is_trusted(address: Address, trusted: Sequence[Network]) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == network.version and address in network for network in trusted)


def _opaque(text: str) -> str:
    # Printable, short: it becomes a counter's subject (hashed) and may be logged.
    cleaned = "".join(char for char in text.strip() if char.isprintable())[:64]
    return cleaned or UNKNOWN


def _hops(values: Sequence[str], header: ProxyHeader) -> list[str]:
    """The hops of every value of the header, left to right."""
    hops: list[str] = []
    for value in values:
        for element in _parts(value, ","):
            if header == "x-forwarded-for":
                hops.append(element.strip())
                continue
            found = UNKNOWN  # an element without `for=` says nothing of who sent it
            for pair in _parts(element, ";"):
                name, _, raw = pair.partition("=")
                if name.strip().lower() == "for":
                    found = raw.strip()
            hops.append(found)
    return hops


def _parts(text: str, separator: str) -> list[str]:
    """The non-empty parts of a header value split outside its quoted strings."""
    return [part for part in split_outside_quotes(text, separator) if part]
