"""The address a request comes from, for the per-address throttle of /auth.

Behind a balancer (compose.yaml's nginx) every request comes from the balancer, which says in
X-Forwarded-For whom it came from. That header is believed only when the peer is on this
host or a private network, as a balancer is, and then its last entry is taken: the one the
balancer itself added (a client can put anything before it).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar.connection import ASGIConnection


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    peer = connection.client.host if connection.client else ""
    return address_of(peer, connection.headers.get("x-forwarded-for"))


def address_of(peer: str, forwarded: str | None) -> str:
    if forwarded and _behind_us(peer):
        last = forwarded.rsplit(",", 1)[-1].strip()
        if last:
            return last
    return peer or "unknown"


def _behind_us(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return address.is_loopback or address.is_private
