"""Apache's ``$apr1$`` password hash: MD5-crypt with Apache's own magic string.

Written from the published description of Poul-Henning Kamp's MD5-crypt
(as used by FreeBSD's ``$1$`` and Apache's ``htpasswd -m``). It is not in the
standard library, and ``htpasswd`` files made by Apache use it by default on
many systems. It is weak by today's standards (1000 MD5 rounds); prefer
bcrypt for new entries.
"""

from __future__ import annotations

import hashlib

__all__ = ["APR1_MAGIC", "apr1_hash"]

APR1_MAGIC = "$apr1$"

# crypt(3)'s base-64 alphabet, which is not the MIME one.
_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Which bytes of the final digest make up each group of four output characters.
_GROUPS = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


def _md5(data: bytes = b"") -> hashlib._Hash:
    return hashlib.md5(data, usedforsecurity=False)


def _encode(value: int, chars: int) -> str:
    """``chars`` characters of ``value``, least significant six bits first."""
    out = []
    for _ in range(chars):
        out.append(_ALPHABET[value & 0x3F])
        value >>= 6
    return "".join(out)


def apr1_hash(password: bytes, salt: str) -> str:
    """The full ``$apr1$salt$hash`` string for ``password`` (at most 8 salt characters)."""
    salt = salt[:8]
    salt_bytes = salt.encode("utf-8")
    magic = APR1_MAGIC.encode("ascii")

    context = _md5(password + magic + salt_bytes)
    alternate = _md5(password + salt_bytes + password).digest()
    remaining = len(password)
    while remaining > 0:
        context.update(alternate[: min(remaining, 16)])
        remaining -= 16
    # One byte per bit of the password's length: NUL for a set bit, else its first byte.
    length = len(password)
    while length:
        context.update(b"\0" if length & 1 else password[:1])
        length >>= 1
    digest = context.digest()

    # 1000 rounds that mix the password, salt and previous digest in a fixed pattern.
    for round_number in range(1000):
        step = _md5(password if round_number & 1 else digest)
        if round_number % 3:
            step.update(salt_bytes)
        if round_number % 7:
            step.update(password)
        step.update(digest if round_number & 1 else password)
        digest = step.digest()

    encoded = "".join(
        _encode((digest[a] << 16) | (digest[b] << 8) | digest[c], 4) for a, b, c in _GROUPS
    )
    encoded += _encode(digest[11], 2)
    return f"{APR1_MAGIC}{salt}${encoded}"
