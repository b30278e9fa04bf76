"""Digest algorithms (RFC 7616 section 3.4) and the values computed from them.

Every string that goes into a hash is encoded as UTF-8 (the challenge says
``charset=UTF-8``); every hash is lower-case hex.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

__all__ = [
    "ALGORITHMS",
    "Algorithm",
    "find_algorithm",
    "password_ha1",
    "request_digest",
    "response_auth",
    "session_ha1",
    "userhash",
]


@dataclass(frozen=True, slots=True)
class Algorithm:
    """One ``algorithm=`` value: its hash function and whether it is a ``-sess`` variant."""

    name: str  # as sent on the wire, e.g. "SHA-256-sess"
    hash_name: str  # the hash alone, e.g. "SHA-256": what an HA1 is computed with
    hashlib_name: str
    session: bool
    strength: int  # higher is stronger; challenges are sent strongest first

    def hash(self, data: bytes) -> str:
        """Lower-case hex digest of ``data``."""
        return hashlib.new(self.hashlib_name, data, usedforsecurity=False).hexdigest()

    def h(self, text: str) -> str:
        """H(text) of RFC 7616: the digest of ``text`` encoded as UTF-8."""
        return self.hash(text.encode("utf-8"))

    def kd(self, secret: str, data: str) -> str:
        """KD(secret, data) = H(secret ":" data)."""
        return self.h(f"{secret}:{data}")


def _available(hashlib_name: str) -> bool:
    try:
        hashlib.new(hashlib_name, b"", usedforsecurity=False)
    except ValueError:
        return False
    return True


_ALL = (
    Algorithm("MD5", "MD5", "md5", False, 10),
    Algorithm("MD5-sess", "MD5", "md5", True, 11),
    Algorithm("SHA-256", "SHA-256", "sha256", False, 20),
    Algorithm("SHA-256-sess", "SHA-256", "sha256", True, 21),
    Algorithm("SHA-512-256", "SHA-512-256", "sha512_256", False, 30),
    Algorithm("SHA-512-256-sess", "SHA-512-256", "sha512_256", True, 31),
)

#: Every algorithm this Python can compute, by lower-cased name.
ALGORITHMS: dict[str, Algorithm] = {a.name.lower(): a for a in _ALL if _available(a.hashlib_name)}


def find_algorithm(name: str) -> Algorithm | None:
    """The algorithm called ``name`` (case-insensitive), or None."""
    return ALGORITHMS.get(name.lower())


def password_ha1(algorithm: Algorithm, username: str, realm: str, password: str) -> str:
    """HA1 of a stored password: H(username ":" realm ":" password), before any -sess step."""
    return algorithm.h(f"{username}:{realm}:{password}")


def session_ha1(algorithm: Algorithm, ha1: str, nonce: str, cnonce: str) -> str:
    """The HA1 of a ``-sess`` algorithm: H(HA1 ":" nonce ":" cnonce)."""
    return algorithm.h(f"{ha1}:{nonce}:{cnonce}")


def userhash(algorithm: Algorithm, username: str, realm: str) -> str:
    """What a client sends as ``username`` with ``userhash=true``: H(username ":" realm)."""
    return algorithm.h(f"{username}:{realm}")


def _ha2(algorithm: Algorithm, method: str, uri: str, qop: str, body_hash: str | None) -> str:
    if qop == "auth-int":
        return algorithm.h(f"{method}:{uri}:{body_hash}")
    return algorithm.h(f"{method}:{uri}")


def request_digest(
    algorithm: Algorithm,
    ha1: str,
    *,
    nonce: str,
    nc: str,
    cnonce: str,
    qop: str,
    method: str,
    uri: str,
    body_hash: str | None = None,
) -> str:
    """The ``response`` a client must send (RFC 7616 section 3.4.1).

    ``ha1`` is the session HA1 already for ``-sess`` algorithms; ``body_hash``
    is H(entity-body) for ``qop=auth-int``.
    """
    ha2 = _ha2(algorithm, method, uri, qop, body_hash)
    return algorithm.kd(ha1, f"{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


def response_auth(
    algorithm: Algorithm,
    ha1: str,
    *,
    nonce: str,
    nc: str,
    cnonce: str,
    qop: str,
    uri: str,
    body_hash: str | None = None,
) -> str:
    """``rspauth`` of Authentication-Info: the request digest with an empty method."""
    return request_digest(
        algorithm,
        ha1,
        nonce=nonce,
        nc=nc,
        cnonce=cnonce,
        qop=qop,
        method="",
        uri=uri,
        body_hash=body_hash,
    )
