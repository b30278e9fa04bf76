"""Where HA1 values come from: a dict of passwords, an htdigest file, or a callable.

HA1 is H(username ":" realm ":" password) in the hash of the algorithm the
client chose, so a source says which hashes it can give (``hash_names``):
a password dict can give any, an Apache htdigest file only MD5.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Protocol

from .algorithms import ALGORITHMS, Algorithm, password_ha1, userhash

__all__ = [
    "CallableSource",
    "HA1Source",
    "HtdigestError",
    "HtdigestFile",
    "PasswordTable",
    "takes_algorithm",
]

_log = logging.getLogger("pegboard.auth_digest")

_MD5_HEX = re.compile(r"[0-9a-fA-F]{32}").fullmatch
_ALL_HASHES = frozenset(a.hash_name for a in ALGORITHMS.values())


class HtdigestError(Exception):
    """The htdigest file cannot be used; the message names the file and line."""


class HA1Source(Protocol):
    """Gives the HA1 of a user for one algorithm's hash."""

    #: the ``Algorithm.hash_name`` values this source can give an HA1 in
    hash_names: frozenset[str]

    def ha1(self, username: str, algorithm: Algorithm) -> str | None:
        """The user's HA1 in ``algorithm``'s hash (lower-case hex), or None if unknown."""
        ...

    def username_for(self, hashed: str, algorithm: Algorithm) -> str | None:
        """The username whose userhash (in ``algorithm``'s hash) is ``hashed``, or None."""
        ...


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


class PasswordTable:
    """HA1s computed once, at start-up, from a ``{username: password}`` dict."""

    hash_names = _ALL_HASHES

    def __init__(
        self, users: Mapping[str, str], realm: str, algorithms: Iterable[Algorithm]
    ) -> None:
        # PERF: every HA1 and userhash is computed here, so a request only looks up.
        self._ha1: dict[str, dict[str, str]] = {}
        self._by_hash: dict[str, dict[str, str]] = {}
        for algorithm in algorithms:
            name = algorithm.hash_name
            if name in self._ha1:
                continue
            table = self._ha1[name] = {}
            hashes = self._by_hash[name] = {}
            for username, password in users.items():
                username = _nfc(username)
                table[username] = password_ha1(algorithm, username, realm, _nfc(password))
                hashes[userhash(algorithm, username, realm)] = username

    def ha1(self, username: str, algorithm: Algorithm) -> str | None:
        return self._ha1.get(algorithm.hash_name, {}).get(username)

    def username_for(self, hashed: str, algorithm: Algorithm) -> str | None:
        return self._by_hash.get(algorithm.hash_name, {}).get(hashed.lower())


def parse_htdigest(text: str, realm: str, source: str) -> dict[str, str]:
    """``{username: HA1}`` for ``realm`` from the text of an htdigest file.

    Lines are ``user:realm:md5-hex``; other realms are skipped, blank lines
    and ``#`` comments too. Anything else raises HtdigestError naming the line.
    """
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}, line {number}"
        # The HA1 is last and has no ':'; a realm may hold ':', a username may not.
        head, colon, ha1 = line.rpartition(":")
        username, colon2, line_realm = head.partition(":")
        if not colon or not colon2 or not username:
            raise HtdigestError(f"{where}: expected 'user:realm:md5-of-user:realm:password'")
        if not _MD5_HEX(ha1):
            raise HtdigestError(f"{where} (user {username!r}): the HA1 is 32 hexadecimal digits")
        if line_realm != realm:
            continue
        username = _nfc(username)
        if username in entries:
            raise HtdigestError(f"{where}: user {username!r} appears twice in realm {realm!r}")
        entries[username] = ha1.lower()
    return entries


class HtdigestFile:
    """An Apache htdigest file (MD5 HA1s), re-read only when it changes on disk."""

    hash_names = frozenset({"MD5"})

    def __init__(self, path: str | os.PathLike[str], realm: str) -> None:
        self.path = Path(path)
        self.realm = realm
        self._signature: tuple[int, int, int] | None = None
        self._entries: dict[str, str] = {}
        self._by_hash: dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self) -> None:
        """Read the file now; HtdigestError if it is missing or invalid."""
        try:
            stat = os.stat(self.path)
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise HtdigestError(f"cannot read htdigest file {str(self.path)!r}: {exc}") from None
        entries = parse_htdigest(text, self.realm, repr(str(self.path)))
        md5 = ALGORITHMS["md5"]
        self._by_hash = {userhash(md5, name, self.realm): name for name in entries}
        self._entries = entries
        self._signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _current(self) -> dict[str, str]:
        # PERF: one stat() per request; the file is parsed again only when it changed.
        try:
            stat = os.stat(self.path)
        except OSError as exc:
            raise HtdigestError(f"cannot read htdigest file {str(self.path)!r}: {exc}") from None
        signature = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if signature != self._signature:
            with self._lock:
                if signature != self._signature:
                    self.load()
                    _log.info("re-read htdigest file %s (%d users)", self.path, len(self._entries))
        return self._entries

    def ha1(self, username: str, algorithm: Algorithm) -> str | None:
        entries = self._current()
        return entries.get(username) if algorithm.hash_name == "MD5" else None

    def username_for(self, hashed: str, algorithm: Algorithm) -> str | None:
        self._current()
        return self._by_hash.get(hashed.lower()) if algorithm.hash_name == "MD5" else None

    def __len__(self) -> int:
        return len(self._entries)


def takes_algorithm(get_ha1: Callable[..., object]) -> bool:
    """Whether ``get_ha1`` accepts a third argument (the hash name); else it is MD5-only."""
    try:
        inspect.signature(get_ha1).bind("realm", "username", "MD5")
    except TypeError:
        return False
    except ValueError:  # no signature (some builtins): assume CherryPy's two arguments
        return False
    return True


class CallableSource:
    """HA1s from the application: ``get_ha1(realm, username[, hash_name]) -> str | None``.

    A two-argument callable (CherryPy's signature) gives MD5 HA1s only; with
    a third parameter it is told the hash wanted: "MD5", "SHA-256" or
    "SHA-512-256".
    """

    def __init__(self, get_ha1: Callable[..., str | None], realm: str) -> None:
        self._get_ha1 = get_ha1
        self._realm = realm
        self._with_algorithm = takes_algorithm(get_ha1)
        self.hash_names = _ALL_HASHES if self._with_algorithm else frozenset({"MD5"})

    def ha1(self, username: str, algorithm: Algorithm) -> str | None:
        if algorithm.hash_name not in self.hash_names:
            return None
        if self._with_algorithm:
            value = self._get_ha1(self._realm, username, algorithm.hash_name)
        else:
            value = self._get_ha1(self._realm, username)
        return value.lower() if isinstance(value, str) and value else None

    def username_for(self, hashed: str, algorithm: Algorithm) -> str | None:
        return None  # a callable cannot be searched; the tool refuses userhash with it
