"""The per-request part of auth_digest: check the credentials, or answer 400/401/503."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterable

import pegboard
from pegboard.httputil import quote_string

from .algorithms import (
    Algorithm,
    request_digest,
    response_auth,
    session_ha1,
)
from .header import DigestCredentials, MalformedHeader, parse_credentials
from .nc_store import CountResult, NonceCounts, StoreUnavailable
from .nonces import NonceSigner, now
from .sources import HA1Source, HtdigestError
from .target import matches_request_target

__all__ = ["AUTH_INT_PRIORITY", "STALE_ATTRIBUTE", "DigestAuthenticator"]

_log = logging.getLogger("pegboard.auth_digest")

#: The ``req.state`` name set when the 401 is for a stale nonce (the challenge says stale=true).
STALE_ATTRIBUTE = "auth_digest_stale"
#: before_finalize, per request with qop=auth-int: after every body transform (gzip is 80).
AUTH_INT_PRIORITY = 95


def _quote(value: str) -> str:
    """``value`` as a quoted-string, for a value the header parser already checked.

    PERF: per request (``cnonce`` in Authentication-Info); httputil.quote_string
    checks for control characters with a regex first and costs about ten times
    as much, for a value that cannot hold any (parse_credentials refuses them).
    """
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Authorization schemes answered by other auth tools: when that tool is on for
# the same path, a request using its scheme is left to it (Basic + Digest together).
_OTHER_SCHEMES = {"basic": "auth_basic"}


class DigestAuthenticator:
    """Everything one route needs to check Digest credentials, prepared at start-up."""

    __slots__ = (
        "_dummy_ha1",
        "_offered",
        "_params",
        "_quoted_realm",
        "algorithms",
        "allow_preflight",
        "counts",
        "nonce_lifetime",
        "qops",
        "realm",
        "signer",
        "source",
        "userhash",
    )

    def __init__(
        self,
        *,
        realm: str,
        signer: NonceSigner,
        source: HA1Source,
        algorithms: Iterable[Algorithm],
        qops: Iterable[str],
        nonce_lifetime: int,
        counts: NonceCounts,
        userhash: bool = False,
        allow_preflight: bool = False,
    ) -> None:
        self.realm = realm
        self.signer = signer
        self.source = source
        self.algorithms = tuple(sorted(algorithms, key=lambda a: -a.strength))
        self.qops = tuple(qops)
        self.nonce_lifetime = nonce_lifetime
        self.counts = counts
        self.userhash = userhash
        self.allow_preflight = allow_preflight
        self._offered = {a.name.lower(): a for a in self.algorithms}
        # Checked against when the user is unknown, so that costs as much as a wrong password.
        self._dummy_ha1 = {a.hash_name: a.h("\0unknown user\0") for a in self.algorithms}
        # PERF: the part of every challenge after the nonce, built once.
        self._params = f", charset=UTF-8{', userhash=true' if userhash else ''}"
        self._quoted_realm = quote_string(realm)

    # -- challenges --------------------------------------------------------------

    def challenges(self, stale: bool = False) -> list[str]:
        """One ``WWW-Authenticate`` value per algorithm offered, strongest first."""
        nonce = self.signer.make()
        qop = ", ".join(self.qops)
        tail = self._params + (", stale=true" if stale else "")
        return [
            f'Digest realm={self._quoted_realm}, qop="{qop}", algorithm={a.name}, '
            f'nonce="{nonce}"{tail}'
            for a in self.algorithms
        ]

    def finalize(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        """before_finalize: ``Vary: Authorization``, and the challenges on every 401.

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
            for challenge in self.challenges(req.state.get(STALE_ATTRIBUTE, False)):
                headers.add("WWW-Authenticate", challenge)

    # -- checking a request ------------------------------------------------------

    def authenticate(self, req: pegboard.Request, resp: pegboard.Response) -> None:
        """before_handler: set ``req.login`` and Authentication-Info, or raise 400/401/503."""
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
            raise pegboard.HTTPError(401, "This resource requires authentication.")
        parts = header.split(None, 1)
        scheme = parts[0].lower() if parts else ""
        if scheme != "digest":
            other = _OTHER_SCHEMES.get(scheme)
            if other is not None and other in req.plan.tools:
                return
            raise pegboard.HTTPError(401, "This resource requires Digest authentication.")
        try:
            credentials = parse_credentials(parts[1] if len(parts) > 1 else "")
        except MalformedHeader as exc:
            raise pegboard.HTTPError(400, f"Malformed Authorization header: {exc}.") from None
        if not matches_request_target(credentials.uri, req.environ):
            raise pegboard.HTTPError(400, "The Digest uri does not match the request target.")
        self._verify(req, resp, credentials)

    def _verify(
        self, req: pegboard.Request, resp: pegboard.Response, credentials: DigestCredentials
    ) -> None:
        if credentials.realm != self.realm:
            raise pegboard.HTTPError(401, "The credentials are for another realm.")
        algorithm = self._offered.get(credentials.algorithm.lower())
        if algorithm is None:
            raise pegboard.HTTPError(401, "That Digest algorithm is not offered here.")
        if credentials.qop not in self.qops:
            raise pegboard.HTTPError(401, "That qop is not offered here.")
        issued = self.signer.issued(credentials.nonce)
        if issued is None:
            raise pegboard.HTTPError(401, "The nonce was not issued by this server.")

        username, ha1 = self._lookup(credentials, algorithm)
        known = ha1 is not None
        if ha1 is None:
            ha1 = self._dummy_ha1[algorithm.hash_name]
        if algorithm.session:
            ha1 = session_ha1(algorithm, ha1, credentials.nonce, credentials.cnonce)
        body_hash = None
        if credentials.qop == "auth-int":
            body_hash = algorithm.hash(req.body.bytes)
        expected = request_digest(
            algorithm,
            ha1,
            nonce=credentials.nonce,
            nc=credentials.nc,
            cnonce=credentials.cnonce,
            qop=credentials.qop,
            method=req.method,
            uri=credentials.uri,
            body_hash=body_hash,
        )
        # Bytes, not str: compare_digest refuses non-ASCII str, and the response is client input.
        sent = credentials.response.encode("utf-8", "surrogateescape")
        if not (hmac.compare_digest(expected.encode("ascii"), sent) and known):
            raise pegboard.HTTPError(401, "The username or password is not right.")

        # The password was right: from here on a refusal only asks for a new nonce.
        current = now()
        expires = issued + self.nonce_lifetime
        if current > expires or issued > current + 60:
            self._stale(req)
        result = self._record(credentials, issued, expires)
        if result is CountResult.STALE:
            self._stale(req)
        if result is CountResult.REPLAY:
            raise pegboard.HTTPError(401, "This nonce count was already used (a replay).")

        req.login = username
        nextnonce = None
        if expires - current < self.nonce_lifetime / 5:
            nextnonce = self.signer.make(current)
        if credentials.qop == "auth-int":
            # rspauth covers the response body, which only exists after the handler.
            req.attach_hook(
                "before_finalize",
                _auth_int_info,
                AUTH_INT_PRIORITY,
                authenticator=self,
                algorithm=algorithm,
                ha1=ha1,
                credentials=credentials,
                nextnonce=nextnonce,
            )
        else:
            resp.headers["Authentication-Info"] = self.info(
                algorithm, ha1, credentials, nextnonce, None
            )

    def _lookup(
        self, credentials: DigestCredentials, algorithm: Algorithm
    ) -> tuple[str | None, str | None]:
        try:
            if credentials.userhash:
                if not self.userhash:
                    return None, None
                username = self.source.username_for(credentials.username, algorithm)
                if username is None:
                    return None, None
            else:
                username = credentials.username
            return username, self.source.ha1(username, algorithm)
        except HtdigestError as exc:
            _log.error("auth_digest cannot read its users: %s", exc)
            raise pegboard.HTTPError(
                503, "The password file cannot be read; try again later."
            ) from None

    def _record(self, credentials: DigestCredentials, issued: int, expires: int) -> CountResult:
        try:
            return self.counts.record(credentials.nonce, credentials.nc_value, issued, expires)
        except StoreUnavailable as exc:
            _log.error("auth_digest nonce-count store unavailable: %s", exc)
            raise pegboard.HTTPError(
                503, "The authentication store is unavailable; try again later."
            ) from None

    @staticmethod
    def _stale(req: pegboard.Request) -> None:
        setattr(req.state, STALE_ATTRIBUTE, True)
        raise pegboard.HTTPError(401, "The nonce has expired; retry with the new one.")

    def info(
        self,
        algorithm: Algorithm,
        ha1: str,
        credentials: DigestCredentials,
        nextnonce: str | None,
        body_hash: str | None,
    ) -> str:
        """The Authentication-Info value: rspauth proves the server knows the password too."""
        rspauth = response_auth(
            algorithm,
            ha1,
            nonce=credentials.nonce,
            nc=credentials.nc,
            cnonce=credentials.cnonce,
            qop=credentials.qop,
            uri=credentials.uri,
            body_hash=body_hash,
        )
        value = (
            f'qop={credentials.qop}, rspauth="{rspauth}", '
            f"cnonce={_quote(credentials.cnonce)}, nc={credentials.nc}"
        )
        if nextnonce is not None:
            value = f'nextnonce="{nextnonce}", {value}'
        return value


def _auth_int_info(
    req: pegboard.Request,
    resp: pegboard.Response,
    authenticator: DigestAuthenticator,
    algorithm: Algorithm,
    ha1: str,
    credentials: DigestCredentials,
    nextnonce: str | None,
) -> None:
    """before_finalize, per request: Authentication-Info over the final response body."""
    body_hash = algorithm.hash(resp.body)
    resp.headers["Authentication-Info"] = authenticator.info(
        algorithm, ha1, credentials, nextnonce, body_hash
    )
