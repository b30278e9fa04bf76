"""The ``auth_basic`` tool: its options, start-up checks, and the hooks it attaches."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

import pegboard

from .authenticator import BasicAuthenticator, Verifier, callable_verifier, users_verifier
from .htpasswd import HtpasswdError, HtpasswdFile

__all__ = ["CHALLENGE_PRIORITY", "PRIORITY", "BasicAuthTool"]

#: before_handler: ahead of every other tool there (sessions, caching, json_in...).
PRIORITY = 1
#: before_finalize: after auth_digest's challenges (1), so Digest is offered first.
CHALLENGE_PRIORITY = 2

# A realm goes inside a quoted-string; keep it to printable ASCII without '"' or '\'.
_REALM_OK = re.compile(r"[\x20-\x7e]*").fullmatch
_SOURCES = ("checkpassword", "users", "htpasswd")


def check_realm(realm: str, section: str, tool: str) -> None:
    """ConfigError unless ``realm`` can be sent as-is in a quoted-string."""
    if not _REALM_OK(realm) or '"' in realm or "\\" in realm:
        raise pegboard.ConfigError(
            "a realm is printable ASCII without '\"' or '\\' "
            f"(it is sent inside a quoted-string), not {realm!r}",
            section=section,
            key=f"tools.{tool}.realm",
        )


class BasicAuthTool(pegboard.Tool):
    """HTTP Basic authentication (RFC 7617): sets ``req.login`` or answers 401.

    Exactly one credential source: ``checkpassword`` (a callable),
    ``users`` (a dict) or ``htpasswd`` (an Apache file).
    """

    points = ("before_handler", "before_finalize")

    def __init__(self) -> None:
        super().__init__("auth_basic", point="before_handler", priority=PRIORITY)
        # One loaded file per path, shared by every route that names it.
        self._files: dict[tuple[str, float], HtpasswdFile] = {}

    def _htpasswd(self, path: str, cache_ttl: float) -> HtpasswdFile:
        key = (os.path.abspath(path), cache_ttl)
        found = self._files.get(key)
        if found is None:
            found = HtpasswdFile(key[0], cache_ttl)
            found.load()
            self._files[key] = found
        return found

    def check(self, options: dict[str, Any], section: str) -> None:
        name = self.name
        check_realm(options["realm"], section, name)
        given = [source for source in _SOURCES if options.get(source) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise pegboard.ConfigError(
                f"give exactly one of checkpassword, users or htpasswd (found: {found})",
                section=section,
                key=f"tools.{name}.{given[1] if len(given) > 1 else 'users'}",
            )
        charset = options.get("accept_charset", "utf-8")
        try:
            codecs.lookup(charset)
        except LookupError:
            raise pegboard.ConfigError(
                f"unknown charset {charset!r}", section=section, key=f"tools.{name}.accept_charset"
            ) from None
        roles, get_roles = options.get("roles"), options.get("get_roles")
        if roles is not None and not roles:
            raise pegboard.ConfigError(
                "roles lists the roles allowed here; it cannot be empty",
                section=section,
                key=f"tools.{name}.roles",
            )
        if (roles is None) != (get_roles is None):
            missing = "get_roles" if roles is not None else "roles"
            raise pegboard.ConfigError(
                "roles and get_roles go together: roles names the roles allowed here, "
                "get_roles(username) returns a user's roles",
                section=section,
                key=f"tools.{name}.{missing}",
            )
        cache_ttl = options.get("cache_ttl", 60.0)
        if cache_ttl < 0:
            raise pegboard.ConfigError(
                "cache_ttl is a number of seconds >= 0 (0 turns the cache off)",
                section=section,
                key=f"tools.{name}.cache_ttl",
            )
        if options.get("htpasswd") is not None:
            try:
                self._htpasswd(options["htpasswd"], cache_ttl)
            except HtpasswdError as exc:
                raise pegboard.ConfigError(
                    str(exc), section=section, key=f"tools.{name}.htpasswd"
                ) from None

    # The core types Tool.attach as (plan, **options); the documented way to declare
    # options is named parameters, which mypy reports as an incompatible override.
    def attach(  # type: ignore[override]
        self,
        plan: pegboard.PlanBuilder,
        realm: str,
        checkpassword: Callable[[str, str, str], bool] | None = None,
        users: dict[str, str] | None = None,
        htpasswd: str | None = None,
        accept_charset: str = "utf-8",
        optional: bool = False,
        roles: list[str] | None = None,
        get_roles: Callable[[str], Iterable[str]] | None = None,
        allow_preflight: bool = False,
        cache_ttl: float = 60.0,
    ) -> None:
        verify: Verifier
        if checkpassword is not None:
            verify = callable_verifier(checkpassword, realm)
        elif users is not None:
            verify = users_verifier(users)
        else:
            assert htpasswd is not None
            verify = self._htpasswd(htpasswd, cache_ttl).verify
        authenticator = BasicAuthenticator(
            realm=realm,
            verify=verify,
            charset=accept_charset,
            optional=optional,
            roles=roles,
            get_roles=get_roles,
            allow_preflight=allow_preflight,
        )
        # PERF: bound methods with no options, so the plan calls them directly.
        plan.add("before_handler", authenticator.authenticate, self.priority)
        plan.add("before_finalize", authenticator.finalize, CHALLENGE_PRIORITY)
