"""The request object: lean, with every part parsed on first use."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import quote

from .body import RequestBody
from .cookies import parse_cookie_header
from .errors import HTTPError
from .forms import parse_urlencoded
from .headers import RequestHeaders
from .httputil import charset_codec, parse_media_type
from .state import State

if TYPE_CHECKING:
    from .app import App
    from .plans import Plan

__all__ = ["Remote", "Request"]

Params = dict[str, "str | list[str]"]

# PERF: a request's State without a Python-level __init__ call.
_new_state = object.__new__


class Remote(NamedTuple):
    """The peer of the connection (or the client, once a proxy tool rewrote it)."""

    ip: str
    port: int | None


def _add_param(params: Params, name: str, value: str) -> None:
    """Repeated keys collect into a list, single keys stay plain strings."""
    current = params.get(name)
    if current is None:
        params[name] = value
    elif isinstance(current, list):
        current.append(value)
    else:
        params[name] = [current, value]


class Request:
    """One HTTP request. Headers, query, cookies, body and form parse lazily.

    Tools may hang their own attributes on a request (``req.session``,
    ``req.json``): the instance dict is only created when one does.
    """

    __slots__ = (
        "__dict__",
        "__weakref__",
        "_body",
        "_cookies",
        "_files",
        "_form",
        "_headers",
        "_params",
        "_query",
        "_remote",
        "_state",
        "app",
        "environ",
        "error",
        "handler",
        "login",
        "method",
        "path",
        "path_params",
        "plan",
        "process_request_body",
        "route",
    )

    def __init__(
        self,
        environ: dict[str, Any],
        app: App,
        method: str,
        path: str,
        plan: Plan,
        handler: Callable[..., Any] | None,
        path_params: dict[str, Any],
        route: Any,
    ) -> None:
        self.environ = environ
        self.app = app
        self.method = method
        self.path = path
        #: the compiled plan this request runs (a per-request copy once a hook is attached)
        self.plan = plan
        #: what answers the request; a handler tool that answered sets it to None
        self.handler = handler
        self.path_params = path_params
        self.route = route
        self.process_request_body = plan.process_request_body
        self.login: str | None = None
        #: the HTTPError, HTTPRedirect or exception that became the response, if any
        self.error: BaseException | None = None
        self._headers: RequestHeaders | None = None
        self._query: Params | None = None
        self._params: Params | None = None
        self._form: Params | None = None
        self._files: dict[str, Any] | None = None
        self._cookies: dict[str, str] | None = None
        self._body: RequestBody | None = None
        self._remote: Remote | None = None
        self._state: State | None = None

    @property
    def state(self) -> State:
        """Data of this one request that tools and the handler share (created on first use)."""
        state = self._state
        if state is None:
            state = self._state = _new_state(State)
        return state

    @property
    def config(self) -> Mapping[str, Any]:
        """The merged config of this request's path (read-only)."""
        return self.plan.config

    # -- URL ---------------------------------------------------------------

    @property
    def script_name(self) -> str:
        """Where this app is mounted (``SCRIPT_NAME``)."""
        value: str = self.environ.get("SCRIPT_NAME", "")
        return value

    @property
    def query_string(self) -> str:
        value: str = self.environ.get("QUERY_STRING", "")
        return value

    @property
    def scheme(self) -> str:
        value: str = self.environ.get("wsgi.url_scheme", "http")
        return value

    @scheme.setter
    def scheme(self, value: str) -> None:
        self.environ["wsgi.url_scheme"] = value

    @property
    def host(self) -> str:
        """``host[:port]`` from the Host header, else from the server's name."""
        env = self.environ
        host: str | None = env.get("HTTP_HOST")
        if host:
            return host
        name: str = env.get("SERVER_NAME", "localhost")
        port = str(env.get("SERVER_PORT", ""))
        if port and port != ("443" if self.scheme == "https" else "80"):
            return f"{name}:{port}"
        return name

    @property
    def base(self) -> str:
        """``scheme://host[:port]``, the origin the client addressed."""
        return f"{self.scheme}://{self.host}"

    @base.setter
    def base(self, value: str) -> None:
        scheme, sep, host = value.partition("://")
        if not sep:
            raise ValueError(f"base must look like scheme://host, not {value!r}")
        self.environ["wsgi.url_scheme"] = scheme
        self.environ["HTTP_HOST"] = host.rstrip("/")

    @property
    def url(self) -> str:
        """The full URL of this request, query string included."""
        url = self.base + quote(self.script_name + self.path)
        qs = self.query_string
        return f"{url}?{qs}" if qs else url

    # -- headers, params, cookies -------------------------------------------

    @property
    def headers(self) -> RequestHeaders:
        if self._headers is None:
            self._headers = RequestHeaders(self.environ)
        return self._headers

    @headers.setter
    def headers(self, value: RequestHeaders) -> None:
        # A tool may wrap the headers (autovary records which ones were read).
        self._headers = value

    @property
    def content_type(self) -> str:
        """The media type of the body without parameters, lower-cased."""
        value: str = self.environ.get("CONTENT_TYPE", "")
        return value.split(";", 1)[0].strip().lower()

    @property
    def query(self) -> Params:
        """Query-string parameters; a repeated key gives a list. Not valid UTF-8: 400."""
        if self._query is None:
            params: Params = {}
            qs: str | None = self.environ.get("QUERY_STRING")
            if qs:
                try:
                    raw = qs.encode("latin-1")  # PEP 3333: the bytes as sent, one per char
                except UnicodeEncodeError:
                    raise HTTPError(400, "The query string is not valid UTF-8.") from None
                for name, value in parse_urlencoded(raw, what="query string"):
                    _add_param(params, name, value)
            self._query = params
        return self._query

    @property
    def params(self) -> Params:
        """Query parameters merged with urlencoded/multipart form fields."""
        if self._params is None:
            if not self.process_request_body or not self._has_form():
                self._params = self.query
            else:
                merged: Params = {
                    k: (list(v) if isinstance(v, list) else v) for k, v in self.query.items()
                }
                for name, value in self.form.items():
                    for one in value if isinstance(value, list) else [value]:
                        _add_param(merged, name, one)
                self._params = merged
        return self._params

    @property
    def cookies(self) -> dict[str, str]:
        if self._cookies is None:
            header = self.environ.get("HTTP_COOKIE")
            self._cookies = parse_cookie_header(header) if header else {}
        return self._cookies

    @cookies.setter
    def cookies(self, value: dict[str, str]) -> None:
        # A tool may wrap the cookies (autovary records reads as Vary: Cookie).
        self._cookies = value

    @property
    def remote(self) -> Remote:
        if self._remote is None:
            port = self.environ.get("REMOTE_PORT")
            self._remote = Remote(
                self.environ.get("REMOTE_ADDR", ""),
                int(port) if port and str(port).isdigit() else None,
            )
        return self._remote

    @remote.setter
    def remote(self, value: Remote) -> None:
        self._remote = value

    # -- body ----------------------------------------------------------------

    @property
    def content_length(self) -> int | None:
        raw = self.environ.get("CONTENT_LENGTH")
        if not raw:
            return None
        try:
            length = int(raw)
        except ValueError:
            raise HTTPError(400, "Invalid Content-Length header.") from None
        if length < 0:
            raise HTTPError(400, "Invalid Content-Length header.")
        return length

    @property
    def body(self) -> RequestBody:
        """The body, file-like (``read()``), with ``.bytes`` for the whole of it."""
        if self._body is None:
            length = self.content_length
            if length is None and not self.environ.get("wsgi.input_terminated"):
                length = 0  # PEP 3333: no Content-Length means no body to read
            # A wrapped WSGI app (a fallback route's) reads wsgi.input itself after the
            # tools: what they read must be handed on whole.
            route = self.route
            replayable = route is not None and route.fallback
            self._body = RequestBody(
                self.environ["wsgi.input"], length, self.plan.max_body_size, replayable
            )
        return self._body

    def _has_form(self) -> bool:
        return self.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )

    def _parse_form(self) -> None:
        form: Params = {}
        files: dict[str, Any] = {}
        if self.process_request_body and self._has_form():
            charset = self._form_charset()
            if self.content_type == "application/x-www-form-urlencoded":
                for name, value in parse_urlencoded(self.body.bytes, charset):
                    _add_param(form, name, value)
                self._form, self._files = form, files
                return
            import multipart

            body = self.body
            env = {
                "wsgi.input": body.as_stream(),
                "CONTENT_TYPE": self.environ.get("CONTENT_TYPE", ""),
                "CONTENT_LENGTH": str(body.length) if body.length is not None else "-1",
            }
            limit = self.plan.max_body_size
            try:
                fields, uploads = multipart.parse_form_data(
                    env, strict=False, ignore_errors=False, memory_limit=limit, disk_limit=limit
                )
            except multipart.ParserLimitReached as exc:
                raise HTTPError(413, f"The form is too large: {exc}") from None
            except multipart.MultipartError as exc:
                raise HTTPError(400, f"Malformed form data: {exc}") from None
            except (UnicodeDecodeError, LookupError):
                raise HTTPError(400, "The form is not valid in its declared charset.") from None
            for name, value in fields.iterallitems():
                _add_param(form, name, value)
            for name, part in uploads.iterallitems():
                files.setdefault(name, part)
        self._form, self._files = form, files

    def _form_charset(self) -> str:
        """The codec of the form's declared charset (UTF-8 if none); 415 if it is no charset."""
        try:
            declared = parse_media_type(self.environ.get("CONTENT_TYPE", "")).charset
        except ValueError:
            raise HTTPError(400, "The Content-Type header is malformed.") from None
        if declared is None:
            return "utf-8"
        codec = charset_codec(declared)
        if codec is None:
            raise HTTPError(415, f"The charset {declared[:40]!r} is not a text encoding.")
        return codec

    @property
    def form(self) -> Params:
        """Fields of an urlencoded or multipart body (empty for other bodies)."""
        if self._form is None:
            self._parse_form()
        assert self._form is not None
        return self._form

    @property
    def files(self) -> dict[str, Any]:
        """Uploaded files of a multipart body, by field name (``multipart`` parts)."""
        if self._files is None:
            self._parse_form()
        assert self._files is not None
        return self._files

    # -- hooks -----------------------------------------------------------------

    def attach_hook(
        self,
        point: str,
        callback: Callable[..., Any],
        priority: int = 50,
        failsafe: bool = False,
        **options: Any,
    ) -> None:
        """Add a hook for this one request only (the route's plan is not changed)."""
        from .hooks import Hook

        self.plan = self.plan.with_hook(point, Hook(callback, priority, failsafe, options))

    def __repr__(self) -> str:
        return f"<Request {self.method} {self.path!r}>"
