"""The per-request part of auth_basic: check the credentials, or answer 400/401/403."""

from __future__ import annotations

import hashlib
import hmac
import logging
import unicodedata
from collections.abc import Callable, Iterable, Mapping

import pegboard
from pegboard.httputil import charset_codec, quote_string

from .credentials import MalformedCredentials, parse_basic_token
from .htpasswd import HtpasswdError

__all__ = ["BasicAuthenticator", "Verifier", "callable_verifier", "users_verifier"]

_log = logging.getLogger("pegboard.auth_basic")

#: ``verify(username, password) -> bool``; usernames and passwords are NFC-normalised str.
Verifier = Callable[[str, str], bool]

# Authorization schemes answered by other auth tools: when that tool is on for
# the same path, a request using its scheme is left to it (Basic + Digest together).
_OTHER_SCHEMES = {"digest": "auth_digest"}


def users_verifier(users: Mapping[str, str]) -> Verifier:
    """Check against a ``{username: password}`` dict, in constant time.

    Both sides are compared as SHA-256 digests so that the comparison does
    not even leak the stored password's length; an unknown user is compared
    against a dummy value so that it costs the same.
    """
    table = {
        unicodedata.normalize("NFC", name): _sha256(unicodedata.normalize("NFC", password))
        for name, password in users.items()
    }
    dummy = _sha256("\0unknown user\0")

    def verify(username: str, password: str) -> bool:
        stored = table.get(username)
        matches = hmac.compare_digest(_sha256(password), stored if stored is not None else dummy)
        return matches and stored is not None

    return verify


def callable_verifier(checkpassword: Callable[[str, str, str], bool], realm: str) -> Verifier:
    """Adapt CherryPy's ``checkpassword(realm, username, password) -> bool``."""

    def verify(username: str, password: str) -> bool:
        return bool(checkpassword(realm, username, password))

    return verify


def _sha256(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class BasicAuthenticator:
    """Everything one route needs to check Basic credentials, prepared at start-up."""

    __slots__ = (
        "allow_preflight",
        "anonymous_ok",
        "challenge",
        "charset",
        "get_roles",
        "optional",
        "realm",
        "roles",
        "verify",
    )

    def __init__(
        self,
        *,
        realm: str,
        verify: Verifier,
        charset: str = "utf-8",
        optional: bool = False,
        roles: Iterable[str] | None = None,
        get_roles: Callable[[str], Iterable[str]] | None = None,
        allow_preflight: bool = False,
    ) -> None:
        self.realm = realm
        self.verify = verify
        self.charset = charset
        self.optional = optional
        self.roles = frozenset(roles) if roles else None
        self.get_roles = get_roles
        self.allow_preflight = allow_preflight
        # Anonymous is allowed only if nothing here needs a role: roles win over optional.
        self.anonymous_ok = optional and self.roles is None
        # PERF: the challenge never changes, so it is built once.
        utf8 = charset_codec(charset) == "utf-8"
        self.challenge = f"Basic realm={quote_string(realm)}" + (
            ', charset="UTF-8"' if utf8 else ""
        )

    def authenticate(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        """before_handler: set ``req.login``, or raise 400/401/403."""
        # Headers are read through req.headers (not the environ) so that a tool
        # wrapping them (autovary) sees what the response depends on.
        headers = req.headers
        if (
            self.allow_preflight
            and req.method == "OPTIONS"
            and "Access-Control-Request-Method" in headers
        ):
            return  # a CORS pre-flight never carries credentials
        header: str | None = headers.get("Authorization")
        if header is None:
            if self.anonymous_ok:
                return
            raise pegboard.HTTPError(401, "This resource requires authentication.")
        parts = header.split(None, 1)
        scheme = parts[0].lower() if parts else ""
        if scheme != "basic":
            other = _OTHER_SCHEMES.get(scheme)
            if (other is not None and other in req.plan.tools) or self.anonymous_ok:
                return
            raise pegboard.HTTPError(401, "This resource requires Basic authentication.")
        try:
            username, password = parse_basic_token(parts[1] if len(parts) > 1 else "", self.charset)
        except MalformedCredentials as exc:
            raise pegboard.HTTPError(400, f"Malformed Authorization header: {exc}.") from None
        if not self._check(username, password):
            raise pegboard.HTTPError(401, "The username or password is not right.")
        if self.roles is not None:
            assert self.get_roles is not None
            if self.roles.isdisjoint(self.get_roles(username) or ()):
                raise pegboard.HTTPError(403, "Your account does not have a role allowed here.")
        req.login = username

    def _check(self, username: str, password: str) -> bool:
        try:
            return self.verify(username, password)
        except HtpasswdError as exc:
            _log.error("auth_basic cannot check passwords: %s", exc)
            raise pegboard.HTTPError(
                503, "The password file cannot be read; try again later."
            ) from None

    def finalize(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        """before_finalize: ``Vary: Authorization``, and the challenge on every 401.

        What this path answers depends on the Authorization header, so caches
        (the caching tool included) must key on it; RFC 7235 wants a
        challenge on every 401, including one the handler raised.
        """
        headers = resp.headers
        if "Vary" in headers:
            headers.add_vary("Authorization")
        else:  # PERF: the usual case; add_vary parses and rebuilds the header
            headers["Vary"] = "Authorization"
        if resp.status == 401:
            headers.add("WWW-Authenticate", self.challenge)
