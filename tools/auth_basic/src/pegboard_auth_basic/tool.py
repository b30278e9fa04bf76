"""The ``auth_basic`` tool: its options, their checks, and the hooks it attaches."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable

import pegboard
from pegboard import HookDoc, OptionError, option
from pegboard.httputil import charset_codec

from .authenticator import BasicAuthenticator, Verifier, callable_verifier, users_verifier
from .htpasswd import HtpasswdError, HtpasswdFile

__all__ = ["CHALLENGE_PRIORITY", "PRIORITY", "BasicAuthOptions", "BasicAuthTool", "realm_problem"]

#: before_handler: ahead of every other tool there (sessions, caching, json_in...).
PRIORITY = 1
#: before_finalize: after auth_digest's challenges (1), so Digest is offered first.
CHALLENGE_PRIORITY = 2

# A realm goes inside a quoted-string; keep it to printable ASCII without '"' or '\'.
_REALM_OK = re.compile(r"[\x20-\x7e]*").fullmatch
_SOURCES = ("checkpassword", "users", "htpasswd")


def realm_problem(realm: str) -> str | None:
    """Why ``realm`` cannot be sent as-is in a quoted-string, or None when it can."""
    if not _REALM_OK(realm) or '"' in realm or "\\" in realm:
        return (
            "a realm is printable ASCII without '\"' or '\\' "
            f"(it is sent inside a quoted-string), not {realm!r}"
        )
    return None


class BasicAuthOptions(pegboard.ToolOptions):
    """The options of ``tools.auth_basic``; exactly one credential source is given."""

    realm: str = option(doc="the protection space named in the challenge (printable ASCII)")
    checkpassword: Callable[[str, str, str], bool] | None = option(
        default=None, doc="`checkpassword(realm, username, password) -> bool` (CherryPy's)"
    )
    users: dict[str, str] | None = option(
        default=None, doc="`{username: password}`, compared in constant time"
    )
    htpasswd: str | None = option(
        default=None,
        doc="an Apache htpasswd file (bcrypt, {SHA} or $apr1$), read again when it changes",
    )
    accept_charset: str = option(
        default="utf-8",
        doc="how user-ids and passwords are decoded (Latin-1 as a fallback); "
        'UTF-8 adds charset="UTF-8" to the challenge',
    )
    optional: bool = option(
        default=False, doc="let requests without (Basic) credentials through, with no login"
    )
    roles: list[str] | None = option(
        default=None, doc="the roles allowed here (403 for other users); needs get_roles"
    )
    get_roles: Callable[[str], Iterable[str]] | None = option(
        default=None, doc="`get_roles(username)` returns a user's roles"
    )
    allow_preflight: bool = option(
        default=False, doc="let CORS pre-flight requests (OPTIONS) through without credentials"
    )
    cache_ttl: float = option(
        default=60.0,
        doc="how long a successful htpasswd check is remembered (0 turns the cache off)",
        unit="seconds",
    )

    def __post_init__(self) -> None:
        problem = realm_problem(self.realm)
        if problem is not None:
            raise OptionError("realm", problem)
        given = [source for source in _SOURCES if getattr(self, source) is not None]
        if len(given) != 1:
            found = ", ".join(given) if given else "none"
            raise OptionError(
                given[1] if len(given) > 1 else "users",
                f"give exactly one of checkpassword, users or htpasswd (found: {found})",
            )
        if charset_codec(self.accept_charset) is None:
            raise OptionError(
                "accept_charset",
                f"unknown charset {self.accept_charset!r}; use a text encoding such as "
                "'utf-8' or 'latin-1'",
            )
        if self.roles is not None and not self.roles:
            raise OptionError("roles", "roles lists the roles allowed here; it cannot be empty")
        if (self.roles is None) != (self.get_roles is None):
            raise OptionError(
                "get_roles" if self.roles is not None else "roles",
                "roles and get_roles go together: roles names the roles allowed here, "
                "get_roles(username) returns a user's roles",
            )
        if self.cache_ttl < 0:
            raise OptionError(
                "cache_ttl", "cache_ttl is a number of seconds >= 0 (0 turns the cache off)"
            )


class HtpasswdFiles:
    """The htpasswd files of one app, loaded once each and shared by its routes.

    Lives in ``app.state.auth_basic``: every route that names the same file
    (and cache lifetime) checks against the same loaded file and cache.
    """

    def __init__(self) -> None:
        self._files: dict[tuple[str, float], HtpasswdFile] = {}

    def get(self, path: str, cache_ttl: float) -> HtpasswdFile:
        """The loaded file at ``path``; HtpasswdError if it cannot be read or is invalid."""
        key = (os.path.abspath(path), cache_ttl)
        found = self._files.get(key)
        if found is None:
            found = HtpasswdFile(key[0], cache_ttl)
            found.load()
            self._files[key] = found
        return found


class BasicAuthTool(pegboard.Tool[BasicAuthOptions]):
    """HTTP Basic authentication (RFC 7617): sets ``req.login`` or answers 401.

    Exactly one credential source: ``checkpassword`` (a callable),
    ``users`` (a dict) or ``htpasswd`` (an Apache file).
    """

    hooks = (
        HookDoc(
            "before_handler",
            PRIORITY,
            does="checks the credentials: sets `req.login`, or answers 400/401/403/503",
        ),
        HookDoc(
            "before_finalize",
            CHALLENGE_PRIORITY,
            does="`Vary: Authorization`, and the Basic challenge on every 401",
        ),
    )

    def __init__(self) -> None:
        super().__init__("auth_basic", point="before_handler", priority=PRIORITY)

    def attach(self, plan: pegboard.PlanBuilder, options: BasicAuthOptions) -> None:
        verify: Verifier
        if options.checkpassword is not None:
            verify = callable_verifier(options.checkpassword, options.realm)
        elif options.users is not None:
            verify = users_verifier(options.users)
        else:
            assert options.htpasswd is not None
            state = plan.app.state if plan.app is not None else pegboard.State()
            files: HtpasswdFiles = state.setdefault("auth_basic", HtpasswdFiles)
            try:
                verify = files.get(options.htpasswd, options.cache_ttl).verify
            except HtpasswdError as exc:
                raise pegboard.ConfigError(
                    str(exc), section=plan.label, key=f"tools.{self.name}.htpasswd"
                ) from None
        charset = charset_codec(options.accept_charset)
        assert charset is not None  # checked by BasicAuthOptions
        authenticator = BasicAuthenticator(
            realm=options.realm,
            verify=verify,
            charset=charset,
            optional=options.optional,
            roles=options.roles,
            get_roles=options.get_roles,
            allow_preflight=options.allow_preflight,
        )
        # PERF: bound methods with no options, so the plan calls them directly.
        plan.add("before_handler", authenticator.authenticate, self.priority)
        plan.add("before_finalize", authenticator.finalize, CHALLENGE_PRIORITY)
