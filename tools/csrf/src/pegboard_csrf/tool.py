"""The ``csrf`` tool: refuse unsafe requests that another site's page sent.

Every request that is not GET, HEAD, OPTIONS or TRACE is checked at
``before_handler`` (12: after sessions load at 10, before session_auth's
login form at 14 and everything else that acts on the request):

1. ``Sec-Fetch-Site`` (every browser since 2023): ``same-origin`` and
   ``none`` (the user's own navigation) pass; ``same-site`` and ``cross-site``
   pass only from a trusted origin.
2. Without it, ``Origin``: this site's own origin (``req.base``, as the proxy
   tool resolved it) or a trusted one passes; any other, ``null`` included,
   is refused.
3. Without either (an old browser, or a program): ``fallback`` decides. With
   ``token``, the request must carry the token that pages get from
   ``csrf_token(req)``: bound to the session where sessions are on, else to a
   signed double-submit cookie.

Go 1.25's ``http.CrossOriginProtection`` decides steps 1 and 2 the same way,
except that it compares the Origin's host alone with the Host header, and
lets step 3 through.
"""

from __future__ import annotations

import html
import secrets
from collections.abc import MutableMapping
from typing import Any

import pegboard
from pegboard import HookDoc, PlanBuilder, Request, Response

from .options import CsrfOptions, normalise_origin
from .refusal import refuse
from .tokens import cookie_secret, mask, new_secret, same_secret, sign_cookie

__all__ = ["CHECK_PRIORITY", "CsrfTool", "csrf_field", "csrf_token"]

#: before_handler: after sessions (10), before session_auth (14) and the cache (20)
CHECK_PRIORITY = 12
#: before_finalize, per request where a token was handed out: Vary, the cookie
ISSUE_PRIORITY = 12
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
#: the ``req.state`` names: the path's guard, and the token handed out for this request
STATE_NAME = "csrf"
_ISSUED = "csrf_issued"

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_EXPIRED = "The form has expired or was not sent by this site (its CSRF token is missing or wrong)."


def _session_of(req: Request) -> MutableMapping[str, Any] | None:
    """The request's session, as the sessions tool gives it, without importing that tool."""
    found = req.state.get("session")
    if found is None:
        found = getattr(req, "session", None)
    return found if isinstance(found, MutableMapping) else None


def _own_origin(req: Request) -> str:
    """``req.base`` written as a browser writes an Origin (lower case, no default port)."""
    base = req.base.lower()
    scheme = base[: base.index(":")]
    default = _DEFAULT_PORTS.get(scheme)
    if default is not None and base.endswith(default):
        return base[: -len(default)]
    return base


class Guard:
    """One path's CSRF rules, prepared from its options when the app starts."""

    __slots__ = (
        "cookie_name",
        "fallback",
        "field",
        "header",
        "key",
        "max_age",
        "session_key",
        "sessions",
        "trusted",
    )

    def __init__(self, options: CsrfOptions, sessions: bool, key: bytes) -> None:
        self.trusted = frozenset(normalise_origin(o) for o in options.trusted_origins)
        self.fallback = options.fallback
        self.field = options.field
        self.header = options.header
        self.sessions = sessions
        self.session_key = options.session_key
        self.cookie_name = options.cookie_name
        self.max_age = options.cookie_max_age
        self.key = key

    # -- the check -------------------------------------------------------------------------

    def check(self, req: Request, resp: Response) -> None:
        """before_handler: let a safe or same-origin request through; refuse the others."""
        req.state.csrf = self
        if req.method in SAFE_METHODS:
            return
        environ = req.environ
        site: str | None = environ.get("HTTP_SEC_FETCH_SITE")
        origin: str | None = environ.get("HTTP_ORIGIN")
        if site is not None:
            if site == "same-origin" or site == "none":
                return
            if origin is not None and origin in self.trusted:
                return
            refuse(
                req,
                f"This request was sent by a page of another site (Sec-Fetch-Site: "
                f"{site[:20]}{', Origin: ' + origin[:100] if origin else ''}).",
            )
        if origin is not None:
            if origin in self.trusted or origin == _own_origin(req):
                return
            refuse(
                req,
                f"This request was sent by a page of another site (Origin: {origin[:100]}, "
                f"this site is {_own_origin(req)[:100]}).",
            )
        if self.fallback == "allow":
            return
        if self.fallback == "deny":
            refuse(
                req, "The request carries neither Sec-Fetch-Site nor Origin, which this path needs."
            )
        if not self._token_valid(req):
            refuse(req, _EXPIRED)

    def _given_token(self, req: Request) -> str | None:
        given: str | None = req.headers.get(self.header)
        if given:
            return given
        if req.content_type in _FORM_TYPES:
            value = req.form.get(self.field)
            if isinstance(value, list):
                raise pegboard.HTTPError(400, f"The field {self.field} was sent more than once.")
            return value
        return None

    def _token_valid(self, req: Request) -> bool:
        given = self._given_token(req)
        if not given:
            return False
        if self.sessions:
            session = _session_of(req)
            if session is None:  # sessions are on, yet no session: fail closed
                return False
            expected = session.get(self.session_key)
            return isinstance(expected, str) and same_secret(expected, given)
        secret = cookie_secret(self.key, req.cookies.get(self.cookie(req)), req.login or "")
        return secret is not None and len(given) != len(secret) and same_secret(secret, given)

    # -- handing out tokens -----------------------------------------------------------------

    def cookie(self, req: Request) -> str:
        """The double-submit cookie's name for this request (``__Host-`` over HTTPS)."""
        if req.environ.get("wsgi.url_scheme") == "https":
            return "__Host-" + self.cookie_name
        return self.cookie_name

    def token(self, req: Request) -> str:
        """A new masked token for the page being built (see :func:`csrf_token`)."""
        issued = req.state.get(_ISSUED)
        if issued is None:
            req.attach_hook("before_finalize", self._finish, ISSUE_PRIORITY)
        if self.sessions:
            session = _session_of(req)
            if session is None:
                raise RuntimeError(
                    "tools.csrf found no session on the request although tools.sessions is on "
                    "for the path: is sessions' hook later than csrf's?"
                )
            secret = session.get(self.session_key)
            if not isinstance(secret, str) or not secret:
                secret = session[self.session_key] = new_secret()
            req.state.csrf_issued = ""
            return mask(secret)
        login = req.login or ""
        secret = issued or cookie_secret(self.key, req.cookies.get(self.cookie(req)), login)
        if secret is None:
            secret = new_secret()
            req.state.csrf_issued = secret  # a new cookie goes out with the response
        elif issued is None:
            req.state.csrf_issued = ""
        return mask(secret)

    def _finish(self, req: Request, resp: Response) -> None:
        """before_finalize (per request): the page varies by cookie; a new cookie goes out."""
        resp.headers.add_vary("Cookie")
        secret = req.state.get(_ISSUED)
        if secret:
            https = req.environ.get("wsgi.url_scheme") == "https"
            resp.set_cookie(
                self.cookie(req),
                sign_cookie(self.key, secret, req.login or ""),
                path="/",
                max_age=self.max_age,
                secure=https,
                httponly=True,
                samesite="Lax",
            )


def csrf_token(req: Request) -> str:
    """A CSRF token for a form (or a script's ``X-CSRF-Token`` header) on this request's page.

    Each call gives a different string (the same secret, masked anew); any of
    them is valid for the session, or for the signed cookie that goes out
    with the response where sessions are off. LookupError where csrf is not
    on for the path.
    """
    guard = req.state.get(STATE_NAME)
    if not isinstance(guard, Guard):
        raise LookupError("no CSRF token here: turn tools.csrf.on = true for this path")
    return guard.token(req)


def csrf_field(req: Request) -> str:
    """``<input type="hidden" name="csrf_token" value="...">`` for a form (escaped)."""
    guard = req.state.get(STATE_NAME)
    if not isinstance(guard, Guard):
        raise LookupError("no CSRF token here: turn tools.csrf.on = true for this path")
    name = html.escape(guard.field, quote=True)
    return f'<input type="hidden" name="{name}" value="{guard.token(req)}">'


class CsrfTool(pegboard.Tool[CsrfOptions]):
    """Cross-site request forgery protection for every unsafe request of a path."""

    hooks = (
        HookDoc(
            "before_handler",
            CHECK_PRIORITY,
            "refuses (403) an unsafe request from another site: Sec-Fetch-Site, else Origin, "
            "else the token",
        ),
        HookDoc(
            "before_finalize",
            ISSUE_PRIORITY,
            "where a page took a token: `Vary: Cookie`, and the signed cookie where sessions "
            "are off",
            per_request=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("csrf", point="before_handler", priority=CHECK_PRIORITY)

    def attach(self, plan: PlanBuilder, options: CsrfOptions) -> None:
        state = plan.app.state if plan.app is not None else pegboard.State()
        sessions = "sessions" in plan.tools_on
        if options.secret is not None:
            key = options.secret.encode("utf-8")
        else:
            key = state.setdefault("csrf_key", lambda: secrets.token_bytes(32))
            if not sessions and options.fallback == "token":
                plan.warn(
                    "without a secret, the double-submit cookie is signed with a key of this "
                    "process: set one when the app runs in several processes",
                    key="tools.csrf.secret",
                )
        guard = Guard(options, sessions, key)
        plan.add("before_handler", guard.check, self.priority)

    def check_plan(self, plan: pegboard.Plan) -> None:
        order = [hook.source for hook in plan.hooks["before_handler"]]
        mine = order.index("csrf")
        for other, must in (("sessions", "after"), ("session_auth", "before")):
            if other in order and (order.index(other) < mine) != (must == "after"):
                raise pegboard.ConfigError(
                    f"csrf must run {must} {other} in before_handler (csrf at "
                    f"{plan.hooks['before_handler'][mine].priority})",
                    section=plan.label,
                    key="tools.csrf.priority",
                )
