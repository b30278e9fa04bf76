"""The ``cors`` tool: the Fetch standard's CORS protocol, per path.

Three hooks:

- ``on_start_resource`` (15) answers a preflight (an ``OPTIONS`` request with
  ``Origin`` and ``Access-Control-Request-Method``) itself: 204 with the
  ``Access-Control-Allow-*`` headers, or 403 saying what was refused. The
  request then runs a plan without the ``before_request_body`` and
  ``before_handler`` hooks, so neither authentication (a preflight carries no
  credentials), sessions, the cache nor the handler runs for it.
- ``before_finalize`` (30) and ``after_error_response`` (60) give every other
  response the headers for an allowed origin, error pages included, and
  ``Vary: Origin`` whenever they depend on the origin (before the cache stores
  it at 90, so a shared cache keys the answer by origin).
"""

from __future__ import annotations

import pegboard
from pegboard import HookDoc, HTTPError, PlanBuilder, Request, Response
from pegboard.httputil import parse_field_names

from .options import CHROMIUM_MAX_AGE, DEFAULT_METHODS, CorsOptions
from .origins import ANY, CHECKED, LISTED, OriginPolicy

__all__ = [
    "ERROR_PRIORITY",
    "PREFLIGHT_PRIORITY",
    "RESPONSE_PRIORITY",
    "CorsPolicy",
    "CorsTool",
]

#: on_start_resource: after the proxy tool (5), long before authentication (before_handler)
PREFLIGHT_PRIORITY = 15
#: before_finalize: before the cache stores the response (90)
RESPONSE_PRIORITY = 30
#: after_error_response: after the tools that replace the 500 page (err_redirect 40, a
#: stale cached answer 50), so the page that goes out has the headers
ERROR_PRIORITY = 60

#: request headers a preflight may always name (their safelisted values need none)
_ALWAYS_ALLOWED = frozenset({"accept", "accept-language", "content-language", "content-type"})
_SAFELISTED_METHODS = frozenset(DEFAULT_METHODS)


class CorsPolicy:
    """One path's CORS answer, prepared from its options when the app starts.

    PERF: every header value is built here; a request only looks up its
    origin and copies strings.
    """

    __slots__ = (
        "allow_headers",
        "allow_methods",
        "any_header",
        "any_method",
        "configured",
        "credentials",
        "expose",
        "headers",
        "max_age",
        "methods",
        "origins",
        "preflight_vary",
        "private_network",
        "static_origin",
        "vary",
    )

    def __init__(self, options: CorsOptions) -> None:
        self.origins = OriginPolicy(options.origins, options.origin_check)
        self.credentials = options.credentials
        #: "*" for any origin without credentials: the same on every response, no Vary
        self.static_origin = ANY if self.origins.any_origin and not self.credentials else None
        #: the answer depends on the Origin header: every response says so in Vary
        self.vary = self.static_origin is None
        #: a preflight's Vary: what its answer depends on
        self.preflight_vary = ", ".join(
            (["Origin"] if self.vary else [])
            + ["Access-Control-Request-Method", "Access-Control-Request-Headers"]
        )
        methods = [m.upper() if m != ANY else m for m in options.methods]
        self.any_method = ANY in methods
        self.methods = frozenset(methods) | _SAFELISTED_METHODS
        self.allow_methods = ", ".join(dict.fromkeys(methods))
        headers = [h.lower() for h in options.headers]
        self.any_header = ANY in headers
        self.headers = frozenset(headers) | _ALWAYS_ALLOWED
        self.configured = frozenset(headers)
        self.allow_headers = tuple(dict.fromkeys(h for h in headers if h != ANY))
        self.expose = ", ".join(dict.fromkeys(options.expose_headers))
        self.max_age = None if options.max_age is None else str(options.max_age)
        self.private_network = options.private_network

    # -- actual requests --------------------------------------------------------------

    def decorate(self, req: Request, resp: Response) -> None:
        """before_finalize / after_error_response: the headers of an allowed origin."""
        environ = req.environ
        if req.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            return  # a preflight: answered in full by preflight()
        headers = resp.headers
        if self.static_origin is not None:
            headers.set_trusted("Access-Control-Allow-Origin", ANY)
            if self.expose:
                headers.set_trusted("Access-Control-Expose-Headers", self.expose)
            return
        headers.add_vary("Origin")
        # PERF: the environ, not req.headers: Vary is set here, so no wrapper need see it.
        origin: str | None = environ.get("HTTP_ORIGIN")
        if origin is None:
            return
        found = self.origins.match(origin)
        if found == LISTED:
            # PERF: a listed origin (or one a pattern matched) is made of safe characters.
            headers.set_trusted("Access-Control-Allow-Origin", origin)
        elif found == CHECKED:
            headers["Access-Control-Allow-Origin"] = origin  # checked: origin_check allowed it
        else:
            return
        if self.credentials:
            headers.set_trusted("Access-Control-Allow-Credentials", "true")
        if self.expose:
            headers.set_trusted("Access-Control-Expose-Headers", self.expose)

    # -- preflights ------------------------------------------------------------------------

    def preflight(self, req: Request, resp: Response) -> None:
        """on_start_resource: answer a CORS preflight; other requests pass untouched."""
        environ = req.environ
        requested: str | None = environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")
        if requested is None or req.method != "OPTIONS":
            return
        origin: str | None = environ.get("HTTP_ORIGIN")
        if origin is None:
            return  # not a CORS request: an ordinary OPTIONS
        headers = resp.headers
        # PERF: the whole Vary value at once when nothing set one before (the usual case).
        if "vary" in headers:
            headers.add_vary(*self.preflight_vary.split(", "))
        else:
            headers.set_trusted("Vary", self.preflight_vary, "vary")
        if not self.origins.allows(origin):
            self._refuse(f"The origin {origin[:100]!r} may not read this resource.")
        if not self.any_method and requested not in self.methods:
            self._refuse(
                f"The method {requested[:40]!r} is not allowed across origins here; "
                f"allowed: {self.allow_methods}."
            )
        raw: str | None = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
        asked = parse_field_names(raw) if raw else ()
        if not self.any_header:
            refused = [name for name in asked if name not in self.headers]
            if refused:
                self._refuse(f"The request headers {', '.join(refused)} are not allowed here.")
        if environ.get("HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK") == "true":
            if not self.private_network:
                self._refuse(
                    "Requests from a public site to this private network address are not "
                    "allowed (tools.cors.private_network is off)."
                )
            headers.set_trusted("Access-Control-Allow-Private-Network", "true")
        if self.static_origin is not None:
            headers.set_trusted("Access-Control-Allow-Origin", ANY)
        else:
            headers["Access-Control-Allow-Origin"] = origin
        if self.credentials:
            headers.set_trusted("Access-Control-Allow-Credentials", "true")
        if self.any_method and self.credentials:
            headers["Access-Control-Allow-Methods"] = requested  # '*' is literal then
        else:
            headers.set_trusted("Access-Control-Allow-Methods", self.allow_methods)
        # Every name the preflight asked for must be listed, safelisted ones too (a JSON
        # Content-Type is not a safelisted value); the configured ones are added so that
        # the browser's preflight cache covers them all.
        if self.any_header:
            allow = asked
        else:
            allow = (*self.allow_headers, *(n for n in asked if n not in self.configured))
        if allow:
            headers.set_trusted("Access-Control-Allow-Headers", ", ".join(allow))
        if self.max_age is not None:
            headers.set_trusted("Access-Control-Max-Age", self.max_age)
        resp.status = 204
        # The answer is complete: no before_request_body or before_handler hook (auth,
        # session, cache, body parsers) and no handler runs; before_finalize still does.
        raise pegboard.Answered

    @staticmethod
    def _refuse(message: str) -> None:
        raise HTTPError(403, f"CORS preflight refused: {message}")


class CorsTool(pegboard.Tool[CorsOptions]):
    """Cross-origin resource sharing (the Fetch standard's CORS protocol) for a path."""

    hooks = (
        HookDoc(
            "on_start_resource",
            PREFLIGHT_PRIORITY,
            "answers a preflight (204, or 403 naming what is refused) without the handler, "
            "authentication or any before_handler tool",
        ),
        HookDoc(
            "before_finalize",
            RESPONSE_PRIORITY,
            "`Access-Control-Allow-Origin` (and credentials, exposed headers) for an allowed "
            "origin, `Vary: Origin`, error pages included",
        ),
        HookDoc(
            "after_error_response",
            ERROR_PRIORITY,
            "the same headers on the 500 page",
            failsafe=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("cors", point="on_start_resource", priority=PREFLIGHT_PRIORITY)

    def attach(self, plan: PlanBuilder, options: CorsOptions) -> None:
        policy = CorsPolicy(options)
        if policy.origins.allows_none:
            plan.warn(
                "no origin is allowed, so no other site can read these responses: list them "
                "in tools.cors.origins (or give origin_check)",
                key="tools.cors.origins",
            )
        if options.max_age is not None and options.max_age > CHROMIUM_MAX_AGE:
            plan.warn(
                f"Chromium keeps a preflight at most {CHROMIUM_MAX_AGE} seconds, whatever "
                f"max_age says ({options.max_age})",
                key="tools.cors.max_age",
            )
        # PERF: bound methods of the prepared policy, called with (req, resp) alone.
        plan.add("on_start_resource", policy.preflight, self.priority)
        plan.add("before_finalize", policy.decorate, RESPONSE_PRIORITY)
        plan.add("after_error_response", policy.decorate, ERROR_PRIORITY, failsafe=True)
