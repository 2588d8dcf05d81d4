"""Client address resolution behind (trusted) reverse proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence


def _is_trusted(address: str, trusted: Sequence[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(peer: str, forwarded_for: str | None, trusted_proxies: Sequence[str]) -> str:
    """The address to attribute a request to.

    ``X-Forwarded-For`` is believed only when the direct peer is a trusted proxy, and then only up to
    the first hop (from the right) that is not itself trusted, so a client cannot choose its own
    address by sending the header (the approach of MDN's X-Forwarded-For "security" notes).

    Args:
        peer: the TCP peer address of the connection.
        forwarded_for: the raw ``X-Forwarded-For`` header, if any.
        trusted_proxies: addresses or CIDR networks of the proxies in front of the app.
    """
    if not forwarded_for or not _is_trusted(peer, trusted_proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer
