"""Where webhooks may go: public addresses only, unless the operator allows the others.

A webhook's URL is chosen by an admin, but its deliveries come from inside the network Escalon
runs in: to a loopback, private or link-local address (a cloud's metadata service at
169.254.169.254, a database port, an internal admin page) they would reach what the outside
cannot. So a URL is checked when the webhook is created, and again at every delivery against
the addresses its host resolves to then; the delivery connects to an address that was checked
(no second lookup that DNS could answer differently) and follows no redirect.
`ESCALON_WEBHOOK_ALLOW_PRIVATE=true` lifts the rule (a receiver on the same host or network).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# Special-purpose ranges `ipaddress` does not single out by name (RFC 6598, RFC 6052, RFC 3056).
SHARED_ADDRESS_SPACE = ipaddress.IPv4Network("100.64.0.0/10")
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
RFC_1918 = tuple(
    ipaddress.IPv4Network(network) for network in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
)
LOCAL_NAMES = ("localhost", "localhost.localdomain")


class TargetRefused(Exception):
    """The URL's host is not a public address (or does not resolve): the reason is the text."""


def refusal(address: Address) -> str | None:
    """Why a webhook may not be sent to `address`, as "a loopback" (None: a public address)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return refusal(embedded)
    if address.is_unspecified:
        return "an unspecified"
    if address.is_loopback:
        return "a loopback"
    if address.is_link_local:
        return "a link-local"
    if address.is_multicast:
        return "a multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in SHARED_ADDRESS_SPACE:
        return "a carrier-grade NAT (shared)"
    if isinstance(address, ipaddress.IPv6Address) and address in UNIQUE_LOCAL:
        return "a unique local (private)"
    if isinstance(address, ipaddress.IPv4Address) and any(
        address in network for network in RFC_1918
    ):
        return "a private (RFC 1918)"
    if address.is_reserved or address.is_private or not address.is_global:
        return "a reserved or special-purpose (not public)"
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def resolve(host: str, port: int) -> list[Address]:
    """The addresses `host` resolves to now, in the resolver's order (without duplicates)."""
    found: list[Address] = []
    for _family, _type, _proto, _name, sockaddr in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    ):
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


def public_addresses(url: str) -> list[Address]:
    """The addresses a webhook URL's host resolves to, all of them public; TargetRefused
    naming the host, the address and the reason otherwise."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise TargetRefused("the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("the URL's port is not a number from 0 to 65535") from None
    try:
        literal: Address | None = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        name = host.rstrip(".").lower()
        if name in LOCAL_NAMES or name.endswith(".localhost"):
            raise TargetRefused(f"{host} names this host (loopback)")
        try:
            addresses = resolve(name, port)
        except (OSError, UnicodeError, ValueError):
            raise TargetRefused(f"{host} does not resolve, so it cannot be checked") from None
        if not addresses:
            raise TargetRefused(f"{host} does not resolve, so it cannot be checked")
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            where = str(address) if literal is not None else f"{host} resolves to {address}, which"
            raise TargetRefused(
                f"{where} is {reason} address; webhooks go to public addresses only "
                "(ESCALON_WEBHOOK_ALLOW_PRIVATE allows others)"
            )
    return addresses
