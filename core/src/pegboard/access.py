"""Who may see a page that shows a site's internals: the rule stats, profiles and debug share.

By default only a client on the machine itself: a loopback peer that no
reverse proxy speaks for (a proxy on this machine makes every client look
local, and says so in its forwarding headers). ``allow`` names more
networks; an auth tool on the page's path decides instead, since it has
already let the client in before the page's hook runs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import HTTPError

if TYPE_CHECKING:
    from .request import Request

__all__ = ["AccessRule", "is_local_client"]

#: Headers a reverse proxy adds: a loopback peer that sends them speaks for someone else.
_FORWARDING = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(ip: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_local_client(req: Request) -> bool:
    """Whether the client is on this machine: a loopback peer, not speaking for someone else.

    A proxy tool that put the real client in ``req.remote`` is believed (the
    address then differs from the connection's peer).
    """
    ip = req.remote.ip
    address = _address(ip)
    if address is None or not address.is_loopback:
        return False
    forwarded = any(name in req.environ for name in _FORWARDING)
    return not (forwarded and ip == req.environ.get("REMOTE_ADDR", ""))


class AccessRule:
    """Decides, per request, whether the client may see a page of internals.

    ``allow`` lists networks (``"10.0.0.0/8"``) admitted besides local
    clients; ``auth`` says an auth tool is on for the path (then whoever it
    let in is admitted). ``denied`` is the 403's message, saying how to open
    the page.
    """

    __slots__ = ("auth", "denied", "networks")

    def __init__(self, allow: Iterable[str] = (), *, auth: bool = False, denied: str = "") -> None:
        self.networks: tuple[_Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in allow
        )
        self.auth = auth
        self.denied = denied or "This page is shown only to clients on this machine."

    def admits(self, req: Request) -> bool:
        if self.auth:
            return True
        address = _address(req.remote.ip)
        if address is not None and any(address in network for network in self.networks):
            return True
        return is_local_client(req)

    def check(self, req: Request) -> None:
        """A 403 naming how to open the page, for a client the rule does not admit."""
        if not self.admits(req):
            raise HTTPError(403, self.denied)
