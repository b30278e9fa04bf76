"""Apache htpasswd files: bcrypt, ``{SHA}`` and ``$apr1$`` entries; plaintext refused.

The file is read when the app starts (a bad file is a ConfigError there) and
read again only when it changes on disk (size, mtime or inode). A file that
becomes unreadable or invalid later makes requests fail closed with a 503
instead of silently keeping or dropping users.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

import bcrypt

from .apr1 import APR1_MAGIC, apr1_hash
from .verify_cache import VerifiedCache

__all__ = ["HtpasswdError", "HtpasswdFile", "parse_htpasswd", "password_checker"]

_log = logging.getLogger("pegboard.auth_basic")

Checker = Callable[[bytes], bool]

_BCRYPT_PREFIXES = ("$2y$", "$2b$", "$2a$")
# bcrypt only looks at the first 72 bytes; Apache's htpasswd truncates the same way.
_BCRYPT_MAX = 72


class HtpasswdError(Exception):
    """The htpasswd file cannot be used; the message names the file and line."""


def _bcrypt_checker(stored: str) -> Checker:
    encoded = stored.encode("ascii")

    def check(password: bytes) -> bool:
        try:
            return bcrypt.checkpw(password[:_BCRYPT_MAX], encoded)
        except ValueError:
            return False

    return check


def _sha1_checker(stored: str) -> Checker:
    expected = base64.b64decode(stored[len("{SHA}") :], validate=True)
    if len(expected) != 20:
        raise ValueError("a {SHA} entry holds base64 of a 20-byte SHA-1 digest")

    def check(password: bytes) -> bool:
        return hmac.compare_digest(hashlib.sha1(password, usedforsecurity=False).digest(), expected)

    return check


def _apr1_checker(stored: str) -> Checker:
    salt, sep, digest = stored[len(APR1_MAGIC) :].partition("$")
    if not sep or not salt or len(salt) > 8 or len(digest) != 22:
        raise ValueError("an $apr1$ entry looks like $apr1$SALT$22-characters")

    expected = stored.encode("utf-8")

    def check(password: bytes) -> bool:
        # Bytes, not str: compare_digest refuses non-ASCII str (a salt could hold some).
        return hmac.compare_digest(apr1_hash(password, salt).encode("utf-8"), expected)

    return check


def password_checker(stored: str) -> Checker:
    """A function that checks a password (bytes) against one htpasswd hash string.

    Raises ValueError for anything but bcrypt, ``{SHA}`` or ``$apr1$``: a
    plaintext password, crypt(3) DES and other formats are refused.
    """
    if stored.startswith(_BCRYPT_PREFIXES):
        if len(stored) != 60:
            raise ValueError("a bcrypt entry is 60 characters long")
        return _bcrypt_checker(stored)
    if stored.startswith("{SHA}"):
        try:
            return _sha1_checker(stored)
        except binascii.Error:
            raise ValueError("a {SHA} entry holds base64 of a SHA-1 digest") from None
    if stored.startswith(APR1_MAGIC):
        return _apr1_checker(stored)
    raise ValueError(
        "the password is not hashed with bcrypt ($2y$/$2b$), {SHA} or $apr1$; "
        "plaintext and other formats are refused (make entries with `htpasswd -B`)"
    )


def parse_htpasswd(text: str, source: str) -> dict[str, tuple[str, Checker]]:
    """``{username: (stored hash, checker)}`` from the text of an htpasswd file.

    Blank lines and lines starting with ``#`` are skipped. Raises
    HtpasswdError naming ``source`` and the line for anything else that is
    not ``user:hash`` with a supported hash, and for a repeated user.
    """
    entries: dict[str, tuple[str, Checker]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        username, colon, stored = line.partition(":")
        where = f"{source}, line {number}"
        if not colon or not username:
            raise HtpasswdError(f"{where}: expected 'user:hash'")
        if username in entries:
            raise HtpasswdError(f"{where}: user {username!r} appears twice")
        try:
            entries[username] = (stored, password_checker(stored))
        except ValueError as exc:
            raise HtpasswdError(f"{where} (user {username!r}): {exc}") from None
    return entries


class HtpasswdFile:
    """One htpasswd file, re-read when it changes, that checks username/password pairs.

    Successful checks are remembered in a :class:`VerifiedCache` for
    ``cache_ttl`` seconds (0 turns the cache off) so that a client sending
    the same credentials with every request pays for bcrypt once.
    """

    def __init__(self, path: str | os.PathLike[str], cache_ttl: float = 60.0) -> None:
        self.path = Path(path)
        self.cache = VerifiedCache(cache_ttl) if cache_ttl > 0 else None
        self._signature: tuple[int, int, int] | None = None
        self._entries: dict[str, tuple[str, Checker]] = {}
        # Checked when the user is unknown, so that "no such user" takes as long as
        # "wrong password" and usernames cannot be found by timing.
        self._decoy: Checker | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the file now; HtpasswdError if it is missing or invalid."""
        try:
            stat = os.stat(self.path)
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise HtpasswdError(f"cannot read htpasswd file {str(self.path)!r}: {exc}") from None
        entries = parse_htpasswd(text, repr(str(self.path)))
        self._entries = entries
        self._decoy = next(iter(entries.values()))[1] if entries else None
        self._signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _current(self) -> dict[str, tuple[str, Checker]]:
        # PERF: one stat() per request; the file is parsed again only when it changed.
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            raise HtpasswdError(f"cannot read htpasswd file {str(self.path)!r}: {exc}") from None
        if (stat.st_mtime_ns, stat.st_size, stat.st_ino) != self._signature:
            with self._lock:
                if (stat.st_mtime_ns, stat.st_size, stat.st_ino) != self._signature:
                    self.load()
                    _log.info("re-read htpasswd file %s (%d users)", self.path, len(self._entries))
        return self._entries

    def verify(self, username: str, password: str) -> bool:
        """Whether ``password`` is right for ``username``; HtpasswdError if the file broke."""
        entry = self._current().get(username)
        if entry is None:
            if self._decoy is not None:
                self._decoy(secrets.token_bytes(16) + password.encode("utf-8"))
            return False
        stored, check = entry
        cache = self.cache
        if cache is not None and cache.hit(username, password, stored):
            return True
        if not check(password.encode("utf-8")):
            return False
        if cache is not None:
            cache.remember(username, password, stored)
        return True

    def __len__(self) -> int:
        return len(self._entries)
