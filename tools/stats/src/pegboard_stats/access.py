"""Who may see the statistics pages: loopback clients, configured networks, or an auth tool's users.

The pages show a site's internals (routes, timings, slow request lines,
backend errors), so by default only a client on the machine itself sees
them. ``allow`` names more networks; an auth tool on the page's path
(``tools.auth_basic``...) decides instead, since it has already let the
client in before the page's hook runs.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import pegboard

__all__ = ["AccessRule", "forbidden_message"]

#: Headers a reverse proxy adds: a loopback peer that sends them speaks for someone else.
_FORWARDING = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AccessRule:
    """Decides, per request, whether the client may see a statistics page."""

    __slots__ = ("auth", "networks", "tool")

    def __init__(self, tool: str, allow: Iterable[str], auth: bool) -> None:
        self.tool = tool
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in allow
        )
        #: an auth tool is on for the path: it already decided
        self.auth = auth

    def admits(self, req: pegboard.Request) -> bool:
        if self.auth:
            return True
        ip = req.remote.ip
        try:
            address = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.networks):
            return True
        if not address.is_loopback:
            return False
        # A loopback peer with forwarding headers is a proxy on this machine speaking
        # for a client we cannot see, unless a proxy tool already put that client in
        # req.remote (then the address differs from the peer's).
        peer = req.environ.get("REMOTE_ADDR", "")
        forwarded = any(name in req.environ for name in _FORWARDING)
        return not (forwarded and ip == peer)

    def check(self, req: pegboard.Request) -> None:
        """403 with how to open the page, for a client the rule does not admit."""
        if not self.admits(req):
            raise pegboard.HTTPError(403, forbidden_message(self.tool))


def forbidden_message(tool: str) -> str:
    return (
        "The statistics are shown only to clients on this machine. To show them to "
        f"others, set tools.{tool}.allow to their networks or put an auth tool "
        "(tools.auth_basic) on this path."
    )
