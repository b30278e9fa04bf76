"""A short-lived memory of successful password checks against slow hashes.

bcrypt is slow on purpose (tens to hundreds of milliseconds per check), and
Basic authentication sends the password with every request, so without a
cache every request of a logged-in user would pay that price again.

What is kept is never the password: for each username, an HMAC-SHA256 of
``username, password, stored hash`` under a random key made when the
process starts (and never written anywhere), with an expiry time. A later
request is a hit only if it produces the same HMAC before the entry expires;
the comparison is constant-time. Including the stored hash means that
changing the user's entry in the htpasswd file invalidates the cache entry.

The price: a recently used password is guarded in this process's memory by
HMAC-SHA256 under a key that lives in the same memory, which is much faster
to attack by brute force than bcrypt. Someone who can read this process's
memory can also read passwords from requests in flight, so the cache does
not open a new door, but it is the reason the lifetime is short and
``cache_ttl = 0`` turns it off.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

__all__ = ["VerifiedCache"]


class VerifiedCache:
    """Remembers for ``ttl`` seconds that a username/password matched a stored hash.

    Holds at most ``max_entries`` usernames; when full, expired entries go
    first, then the oldest.
    """

    def __init__(self, ttl: float, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._key = secrets.token_bytes(32)
        self._entries: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def _mac(self, username: str, password: str, stored: str) -> bytes:
        message = b"\0".join(
            (username.encode("utf-8"), password.encode("utf-8"), stored.encode("utf-8"))
        )
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def hit(self, username: str, password: str, stored: str) -> bool:
        """True if this exact username/password/stored hash was verified less than ttl ago."""
        entry = self._entries.get(username)
        if entry is None:
            return False
        mac, expires = entry
        if time.monotonic() >= expires:
            return False
        return hmac.compare_digest(mac, self._mac(username, password, stored))

    def remember(self, username: str, password: str, stored: str) -> None:
        """Record a successful check (the caller verified the password against ``stored``)."""
        mac = self._mac(username, password, stored)
        now = time.monotonic()
        with self._lock:
            entries = self._entries
            if username not in entries and len(entries) >= self.max_entries:
                for name in [n for n, (_, expires) in entries.items() if expires <= now]:
                    del entries[name]
                if len(entries) >= self.max_entries:
                    del entries[next(iter(entries))]
            entries.pop(username, None)  # re-insert: the dict's order is the age order
            entries[username] = (mac, now + self.ttl)

    def __len__(self) -> int:
        return len(self._entries)
