"""Server nonces: a timestamp and random bytes, signed with HMAC-SHA256.

A nonce is ``base64url(issued || random || mac)`` with ``issued`` the Unix
time in seconds (8 bytes), 12 random bytes (every nonce is different, so
nonce counts can be tracked per nonce) and the first 16 bytes of
HMAC-SHA256 over the rest and the realm, under the configured ``key``. The
server keeps no state to recognise its own nonces, and a nonce made for one
realm is refused by another.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

__all__ = ["NonceSigner"]

#: The clock nonces are stamped and checked with. Tests replace it to age nonces
#: without sleeping; nothing else should.
_clock: Callable[[], float] = time.time

_ISSUED = 8
_RANDOM = 12
_MAC = 16
_LENGTH = _ISSUED + _RANDOM + _MAC
_ENCODED_LENGTH = 48  # base64 of 36 bytes, no padding needed


def now() -> int:
    """The current time in whole seconds, from the module's clock."""
    return int(_clock())


class NonceSigner:
    """Makes nonces for one realm and tells when a nonce it made was issued."""

    __slots__ = ("_key", "_realm")

    def __init__(self, key: str | bytes, realm: str) -> None:
        secret = key.encode("utf-8") if isinstance(key, str) else key
        # A key of its own for nonces, so the configured key is never used twice.
        self._key = hmac.new(secret, b"pegboard auth_digest nonce", hashlib.sha256).digest()
        self._realm = realm.encode("utf-8")

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, body + b"\0" + self._realm, hashlib.sha256).digest()[:_MAC]

    def make(self, issued: int | None = None) -> str:
        """A new nonce, stamped with ``issued`` (default: now)."""
        stamp = now() if issued is None else issued
        body = stamp.to_bytes(_ISSUED, "big") + secrets.token_bytes(_RANDOM)
        return base64.urlsafe_b64encode(body + self._mac(body)).decode("ascii")

    def issued(self, nonce: str) -> int | None:
        """When ``nonce`` was made, if this signer made it; None for anything else."""
        if len(nonce) != _ENCODED_LENGTH:
            return None
        try:
            raw = base64.urlsafe_b64decode(nonce.encode("ascii"))
        except (UnicodeEncodeError, binascii.Error, ValueError):
            return None
        if len(raw) != _LENGTH or base64.urlsafe_b64encode(raw) != nonce.encode("ascii"):
            return None  # one spelling per nonce: nonce counts are kept by the string
        body, mac = raw[:-_MAC], raw[-_MAC:]
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        return int.from_bytes(body[:_ISSUED], "big")
