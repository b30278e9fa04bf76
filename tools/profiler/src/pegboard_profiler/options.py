"""The options of ``tools.profiler`` and ``tools.profiler_page``."""

from __future__ import annotations

import ipaddress
from typing import Literal

import pegboard
from pegboard import OptionError, option
from pegboard.httputil import is_token

__all__ = ["DEFAULT_AUTH_TOOLS", "MIN_SECRET_LENGTH", "PageOptions", "ProfilerOptions"]

#: The tools that, when on for the page's path, decide who sees it instead of the loopback rule.
DEFAULT_AUTH_TOOLS: tuple[str, ...] = ("auth_basic", "auth_digest", "session_auth")
#: A trigger secret shorter than this is refused: it would be guessable.
MIN_SECRET_LENGTH = 16


class ProfilerOptions(pegboard.ToolOptions):
    """The options of ``tools.profiler``: each field is one config key."""

    every: int = option(
        default=100,
        doc="profile one request in this many (1: every request; 0: only requests that carry "
        "the trigger)",
        unit="requests",
    )
    secret: str | None = option(
        default=None,
        doc=f"the trigger: a request whose `header` or `cookie` carries this value (compared in "
        f"constant time) is profiled; at least {MIN_SECRET_LENGTH} characters; unset: no trigger",
    )
    header: str = option(default="X-Profile", doc="the request header that carries the trigger")
    cookie: str | None = option(
        default="pegboard_profile", doc="the cookie that carries the trigger (none: no cookie)"
    )
    engine: Literal["both", "pyinstrument", "cprofile"] = option(
        default="both",
        doc="`pyinstrument`: an HTML call tree per profiled request; `cprofile`: each profiled "
        "request adds to the `.pstats` aggregate; `both`: triggered requests get the call tree, "
        "sampled ones take turns",
    )
    folder: str | None = option(
        default=None,
        doc="where the profiles are kept (relative to the config file's folder); unset: "
        "`pegboard-profiles-<user id>` in the system's temporary folder",
    )
    keep: int = option(
        default=20, doc="how many request profiles are kept, the newest", unit="profiles"
    )
    interval: float = option(default=0.001, doc="pyinstrument's sampling interval", unit="seconds")

    def __post_init__(self) -> None:
        if self.every < 0:
            raise OptionError("every", f"must be 0 or more, not {self.every}")
        if self.secret is not None and len(self.secret) < MIN_SECRET_LENGTH:
            raise OptionError(
                "secret",
                f"must be at least {MIN_SECRET_LENGTH} characters (a random token, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe())')",
            )
        if self.every == 0 and self.secret is None:
            raise OptionError(
                "every", "with every = 0 and no secret nothing is ever profiled; set one of them"
            )
        if not is_token(self.header):
            raise OptionError("header", f"{self.header!r} is not a header name")
        if self.cookie is not None and not is_token(self.cookie):
            raise OptionError("cookie", f"{self.cookie!r} is not a cookie name")
        if self.keep < 1:
            raise OptionError("keep", f"must be at least 1, not {self.keep}")
        if not 0 < self.interval <= 1:
            raise OptionError("interval", f"must be more than 0 and at most 1, not {self.interval}")


class PageOptions(pegboard.ToolOptions):
    """The options of ``tools.profiler_page``: who may see it, and how much it shows."""

    allow: tuple[str, ...] = option(
        default=(),
        doc="addresses or networks (CIDR) that may see the page besides loopback clients; "
        "`0.0.0.0/0` and `::/0` let everyone in",
    )
    auth_tools: tuple[str, ...] = option(
        default=DEFAULT_AUTH_TOOLS,
        doc="where one of these tools is on for the page's path, whoever it admits sees the "
        "page and the loopback rule steps aside",
    )
    top: int = option(
        default=40,
        doc="how many functions the aggregate's table shows, by cumulative time",
        unit="functions",
    )

    def __post_init__(self) -> None:
        for network in self.allow:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise OptionError(
                    "allow", f"{network!r} is not an address or network (e.g. '10.0.0.0/8')"
                ) from None
        if self.top < 1:
            raise OptionError("top", f"must be at least 1, not {self.top}")
