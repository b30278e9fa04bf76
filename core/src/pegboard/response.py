"""The response object a handler and its tools fill in."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

from .cookies import Cookie
from .errors import parse_status
from .headers import ResponseHeaders

__all__ = ["Response"]

# PERF: empty headers without a Python-level __init__ call (one per request).
_new_headers = object.__new__
_DEFAULT_TYPE = "text/html; charset=utf-8"  # a str body's type when the handler set none


class Response:
    """Status, headers, cookies and a body that is either bytes or a stream.

    ``body`` is always bytes: reading it while ``stream`` is set collapses the
    stream into bytes, so a tool that needs the whole body (etags, caching)
    simply reads ``resp.body``; a tool that can work chunk by chunk (gzip)
    checks ``resp.stream`` first and wraps it.
    """

    __slots__ = ("__dict__", "_body", "_status", "cookies", "headers", "stream")

    def __init__(self) -> None:
        self._status = 200
        headers = _new_headers(ResponseHeaders)
        headers._items = {}
        self.headers = headers
        self._body = b""
        self.stream: Iterable[bytes] | None = None
        self.cookies: dict[str, Cookie] = {}

    @property
    def status(self) -> int:
        return self._status

    @status.setter
    def status(self, value: int | str) -> None:
        self._status = parse_status(value)

    @property
    def body(self) -> bytes:
        if self.stream is not None:
            stream, self.stream = self.stream, None
            try:
                self._body = b"".join(stream)
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()
        return self._body

    @body.setter
    def body(self, value: str | bytes | Iterable[bytes] | None) -> None:
        self.set_body(value)

    def set_body(self, value: str | bytes | Iterable[bytes] | None) -> None:
        """Set the body from what a handler may return: str, bytes, an iterable, None."""
        old = self.stream
        if old is not None:
            if old is not value:
                close = getattr(old, "close", None)
                if close is not None:
                    close()
            self.stream = None
        # PERF: exact bytes (what transforms such as gzip set) cost one test; then str,
        # what handlers return most, and a response without a Content-Type gets the
        # default without a method call.
        if type(value) is bytes:
            self._body = value
        elif type(value) is str or isinstance(value, str):
            self._body = value.encode("utf-8")
            items = self.headers._items
            current = items.get("content-type")
            if current is None:
                items["content-type"] = [("Content-Type", _DEFAULT_TYPE)]
            else:
                # PERF: _declare_utf8() inlined: text/* without a charset gets UTF-8's.
                name, ctype = current[0]
                if ctype.startswith("text/") and "charset" not in ctype:
                    items["content-type"] = [(name, ctype + "; charset=utf-8")]
        elif value is None:
            self._body = b""
        elif isinstance(value, bytes):
            self._body = value
        elif isinstance(value, (bytearray, memoryview)):
            self._body = bytes(value)
        else:
            self._body = b""
            self.stream = value

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (collapses a stream)."""
        return self.body.decode("utf-8")

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        path: str | None = "/",
        domain: str | None = None,
        max_age: int | None = None,
        expires: _dt.datetime | float | None = None,
        secure: bool = False,
        httponly: bool = True,
        samesite: str | None = "Lax",
        partitioned: bool = False,
    ) -> Cookie:
        """Send a cookie. HttpOnly and SameSite=Lax unless told otherwise."""
        cookie = Cookie(
            name, value, path, domain, max_age, expires, secure, httponly, samesite, partitioned
        )
        self.cookies[name] = cookie
        return cookie

    def delete_cookie(
        self, name: str, *, path: str | None = "/", domain: str | None = None
    ) -> None:
        """Ask the client to drop a cookie (empty value, expired)."""
        self.cookies[name] = Cookie(
            name, "", path, domain, max_age=0, expires=0.0, httponly=True, samesite="Lax"
        )

    def reset(self, keep_cookies: bool = True) -> None:
        """Forget status, headers and body (used when an error replaces a response)."""
        self.set_body(None)
        self._status = 200
        self.headers = ResponseHeaders()
        if not keep_cookies:
            self.cookies = {}

    def __repr__(self) -> str:
        return f"<Response {self._status}>"

    def header_list(self) -> list[tuple[str, str]]:
        """Headers plus one ``Set-Cookie`` per cookie, as they will be sent."""
        items = self.headers.items()
        if self.cookies:
            items.extend(("Set-Cookie", c.header_value()) for c in self.cookies.values())
        return items
