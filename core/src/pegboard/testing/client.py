"""An in-process test client: real WSGI calls, checked by ``wsgiref.validate``."""

from __future__ import annotations

import io
import json as _json
import secrets
import warnings
from collections.abc import Iterable, Iterator, Mapping
from email.message import Message
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode, urlsplit
from urllib.request import Request as _UrlRequest
from wsgiref.validate import validator

__all__ = ["Client", "Result"]


class ResultHeaders(Mapping[str, str]):
    """Response headers, case-insensitive; ``get_all`` returns repeated ones."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def __getitem__(self, name: str) -> str:
        values = self.get_all(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def get_all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [v for k, v in self._items if k.lower() == lowered]

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for k, _ in self._items:
            seen.setdefault(k, None)
        return iter(seen)

    def __len__(self) -> int:
        return len({k.lower() for k, _ in self._items})

    def __repr__(self) -> str:
        return f"ResultHeaders({self._items!r})"


class Result:
    """What the client got back: ``status`` (int), ``headers``, ``body`` (bytes)."""

    def __init__(self, status_line: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status_line = status_line
        self.status = int(status_line.split(" ", 1)[0])
        self.headers = ResultHeaders(headers)
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return _json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Result {self.status_line} {len(self.body)} bytes>"


class _CookieResponse:
    # Adapter so http.cookiejar can read Set-Cookie headers from a Result.
    def __init__(self, headers: list[tuple[str, str]]) -> None:
        self._message = Message()
        for name, value in headers:
            self._message[name] = value

    def info(self) -> Message:
        return self._message


class Client:
    """Calls a WSGI app in-process, keeping cookies between calls like a browser.

    Every call goes through ``wsgiref.validate`` (unless ``validate=False``),
    so a response that breaks PEP 3333 fails the test that made it.
    """

    def __init__(
        self,
        app: Any,
        *,
        base_url: str = "http://localhost",
        validate: bool = True,
        remote_addr: str = "127.0.0.1",
    ) -> None:
        self.app = app
        self.base_url = base_url.rstrip("/")
        self.validate = validate
        self.remote_addr = remote_addr
        self.cookies = CookieJar()

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        body: bytes | str | Iterable[bytes] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        query: Mapping[str, Any] | None = None,
        environ: Mapping[str, Any] | None = None,
    ) -> Result:
        """Make one request; ``body`` given as an iterable is sent without a length (chunked)."""
        url = self.base_url + path
        parts = urlsplit(url)
        query_string = parts.query
        if query:
            extra = urlencode(query, doseq=True)
            query_string = f"{query_string}&{extra}" if query_string else extra
        header_items = list(headers.items() if isinstance(headers, Mapping) else (headers or ()))
        names = {k.lower() for k, _ in header_items}
        content_type = None
        if json is not None:
            body, content_type = _json.dumps(json).encode("utf-8"), "application/json"
        elif files is not None:
            body, content_type = _multipart(data or {}, files)
        elif data is not None:
            body, content_type = (
                urlencode(data, doseq=True).encode("utf-8"),
                "application/x-www-form-urlencoded",
            )
        if content_type and "content-type" not in names:
            header_items.append(("Content-Type", content_type))
        env = self._environ(method, parts, query_string, header_items, body)
        if environ:
            env.update(environ)
        url_request = _UrlRequest(url, method=method)
        self.cookies.add_cookie_header(url_request)
        cookie = url_request.get_header("Cookie")
        if cookie and "cookie" not in names:
            env["HTTP_COOKIE"] = cookie
        result = self._call(env)
        self.cookies.extract_cookies(_CookieResponse(list(result.headers._items)), url_request)  # type: ignore[arg-type]
        return result

    def _environ(
        self,
        method: str,
        parts: Any,
        query_string: str,
        headers: list[tuple[str, str]],
        body: bytes | str | Iterable[bytes] | None,
    ) -> dict[str, Any]:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        env: dict[str, Any] = {
            "REQUEST_METHOD": method.upper(),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
            "QUERY_STRING": query_string,
            "SERVER_NAME": parts.hostname or "localhost",
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": self.remote_addr,
            "REMOTE_PORT": "54321",
            "HTTP_HOST": parts.netloc,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": parts.scheme or "http",
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        if isinstance(body, str):
            body = body.encode("utf-8")
        # Servers that de-chunk requests (waitress, granian, mod_wsgi) mark every
        # input as terminated, so the test client does too.
        env["wsgi.input_terminated"] = True
        if body is None:
            env["wsgi.input"] = io.BytesIO(b"")
        elif isinstance(body, bytes):
            env["wsgi.input"] = io.BytesIO(body)
            env["CONTENT_LENGTH"] = str(len(body))
        else:
            # No Content-Length: a chunked request, as servers present it.
            env["wsgi.input"] = io.BytesIO(b"".join(body))
        if any(name.lower() == "host" for name, _ in headers):
            del env["HTTP_HOST"]  # the caller's Host replaces the URL's, as in a real client
        for name, value in headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                env[key] = value
            else:
                key = "HTTP_" + key
                env[key] = f"{env[key]}, {value}" if key in env else value
        return env

    def _call(self, env: dict[str, Any]) -> Result:
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        app = validator(self.app) if self.validate else self.app
        with warnings.catch_warnings():
            # Surface PEP 3333 violations as errors in tests.
            warnings.simplefilter("error", category=Warning)
            iterable = app(env, start_response)
            try:
                body = b"".join(iterable)
            finally:
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()
        return Result(captured["status"], captured["headers"], body)

    def get(self, path: str, **kwargs: Any) -> Result:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Result:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Result:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Result:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Result:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Result:
        return self.request("DELETE", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Result:
        return self.request("OPTIONS", path, **kwargs)

    def cookie(self, name: str) -> str | None:
        """The value of a cookie in the jar, or None."""
        for c in self.cookies:
            if c.name == name:
                return c.value
        return None


def _multipart(
    fields: Mapping[str, Any], files: Mapping[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    boundary = "pegboard" + secrets.token_hex(12)
    out = io.BytesIO()
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            )
            out.write(str(one).encode("utf-8") + b"\r\n")
    for name, (filename, content, ctype) in files.items():
        out.write(
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
        )
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"
