"""Reading the user-id and password out of a ``Basic`` Authorization header (RFC 7617)."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata

__all__ = ["MalformedCredentials", "decode_text", "parse_basic_token"]

# RFC 7617 section 2: neither the user-id nor the password may hold control characters.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class MalformedCredentials(ValueError):
    """The header does not hold base64 of ``user-id:password``; the message says why."""


def decode_text(raw: bytes, charset: str) -> str:
    """``raw`` decoded with ``charset``, falling back to Latin-1, then NFC-normalised.

    Browsers and older clients send Latin-1 even when asked for UTF-8; a
    Latin-1 decode never fails, so a client is never refused for its
    encoding alone. NFC makes a decomposed "é" equal the precomposed one
    (RFC 7613's profiles normalise the same way).
    """
    try:
        text = raw.decode(charset)
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return unicodedata.normalize("NFC", text)


def parse_basic_token(token: str, charset: str) -> tuple[str, str]:
    """``(user_id, password)`` from the token after ``Basic``; MalformedCredentials if broken."""
    token = token.strip()
    if not token:
        raise MalformedCredentials("the Basic credentials are empty")
    try:
        raw = base64.b64decode(token.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise MalformedCredentials("the Basic credentials are not valid base64") from None
    user_id, colon, password = raw.partition(b":")
    if not colon:
        raise MalformedCredentials("the Basic credentials have no ':' between user-id and password")
    user_text = decode_text(user_id, charset)
    password_text = decode_text(password, charset)
    if _CONTROL.search(user_text) or _CONTROL.search(password_text):
        raise MalformedCredentials("the Basic credentials contain control characters")
    return user_text, password_text
