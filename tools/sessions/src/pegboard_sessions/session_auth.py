"""The ``session_auth`` tool: a login form whose result is kept in the session.

CherryPy's SessionAuth with its names and options, made safe: ``do_login``
and ``do_logout`` take POST only and a per-session CSRF token, the session
gets a new id at login, ``from_page`` never leads off the site, the form
escapes what it shows, and a refused login never says whether the user exists.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pegboard

from .csrf import CSRF_FIELD, CSRF_HEADER, CSRF_SESSION_KEY, csrf_token, csrf_valid, new_csrf_token
from .login_form import default_login_screen
from .redirects import safe_redirect_target, site_root
from .session import Session

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MAX_USERNAME_LENGTH",
    "SessionAuthOptions",
    "SessionAuthTool",
    "check_plan",
    "enforce_login",
]

_log = logging.getLogger("pegboard_sessions.session_auth")

#: Longer usernames and passwords are refused (400) before they reach the check.
MAX_USERNAME_LENGTH = 256
MAX_PASSWORD_LENGTH = 1024

WRONG_CREDENTIALS = "Wrong username or password."
MISSING_CREDENTIALS = "Enter a username and a password."
TOO_LONG = "The username or the password is too long."
NOT_ALLOWED = "The username or the password contains characters that are not allowed."
FORM_EXPIRED = "The login form has expired or was not sent by this site; please log in again."
LOGOUT_REFUSED = "The logout form has expired or was not sent by this site; reload the page."

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SessionAuthOptions(pegboard.ToolOptions):
    """``tools.session_auth.*``: the credentials check, the session entry, the form, callbacks."""

    check_username_and_password: Callable[[str, str], Any] = pegboard.option(
        doc="check(username, password): True lets the user in; anything else refuses"
    )
    session_key: str = pegboard.option(
        default="username", doc="the session entry that holds the logged-in user's name"
    )
    login_screen: Callable[..., Any] | None = pegboard.option(
        default=None,
        doc="login_screen(*, from_page, username, error_msg, csrf_token, action) -> the page, "
        "values unescaped (unset: the built-in form)",
    )
    on_login: Callable[[str], Any] | None = pegboard.option(
        default=None, doc="called with the username after a successful login"
    )
    on_logout: Callable[[str], Any] | None = pegboard.option(
        default=None, doc="called with the username after a logout"
    )
    on_check: Callable[[str], Any] | None = pegboard.option(
        default=None,
        doc="called with the username on every request of a logged-in user; may raise HTTPError",
    )
    anonymous: Callable[[], Any] | None = pegboard.option(
        default=None,
        doc="a name for visitors not logged in (put in req.login); falsy: the login form",
    )
    debug: bool = pegboard.option(
        default=False, doc="log each decision (INFO, logger pegboard_sessions.session_auth)"
    )

    def __post_init__(self) -> None:
        if not self.session_key or self.session_key == CSRF_SESSION_KEY:
            raise pegboard.OptionError(
                "session_key",
                f"session_key must be a non-empty name other than {CSRF_SESSION_KEY!r}",
            )


class SessionAuthTool(pegboard.Tool[SessionAuthOptions]):
    """Form login kept in the session: a login screen for anonymous visitors, do_login, do_logout.

    Needs ``tools.sessions.on`` for the same path, earlier (checked when plans compile).
    """

    hooks = (
        pegboard.HookDoc(
            "before_handler",
            14,
            does="answers `login_screen`, `do_login` and `do_logout` (their CSRF token checked "
            "here, or by tools.csrf where it is on); sets `req.login` for a logged-in user; "
            "otherwise answers with the login form",
        ),
    )

    def __init__(self) -> None:
        super().__init__("session_auth", point="before_handler", priority=14, doc=self.__doc__)

    def attach(self, plan: pegboard.PlanBuilder, options: SessionAuthOptions) -> None:
        # Where tools.csrf is on for the same path, it has judged every unsafe request,
        # do_login and do_logout included, before this hook runs (csrf 12 < 14; its
        # check_plan refuses another order), so the token check is left to it: composed
        # through config and the plan, neither package imports the other.
        csrf_checked = "csrf" in plan.tools_on
        plan.add("before_handler", enforce_login, self.priority, args=(options, csrf_checked))

    def check_plan(self, plan: pegboard.Plan) -> None:
        check_plan(plan)


def check_plan(plan: pegboard.Plan) -> None:
    """Raise ConfigError if ``plan`` has session_auth without sessions, or before them.

    Called by the core for every compiled plan where session_auth is on, so
    ``pegboard check`` and routes added after start are covered too.
    """
    if "session_auth" not in plan.tools:
        return
    if "sessions" not in plan.tools:
        raise pegboard.ConfigError(
            "session_auth keeps the login in the session: set tools.sessions.on = true "
            "for this path too",
            section=plan.label,
            key="tools.session_auth.on",
        )
    first: dict[str | None, tuple[int, int]] = {}
    for index, hook in enumerate(plan.hooks["before_handler"]):
        first.setdefault(hook.source, (index, hook.priority))
    if first["session_auth"][0] < first["sessions"][0]:
        raise pegboard.ConfigError(
            f"session_auth (priority {first['session_auth'][1]}) must run after sessions "
            f"(priority {first['sessions'][1]}) in before_handler",
            section=plan.label,
            key="tools.session_auth.priority",
        )


# -- the request path ------------------------------------------------------------------


def enforce_login(
    req: pegboard.Request,
    resp: pegboard.Response,
    options: SessionAuthOptions,
    csrf_checked: bool = False,
) -> None:
    """before_handler, priority 14: answer the login endpoints, or require a login.

    A logged-in request gets ``req.login`` and goes on to its handler; any
    other request gets the login screen instead of the handler's answer.
    """
    if req.handler is None:
        return  # an earlier tool already answered the request
    session = getattr(req.state, "session", None)
    if not isinstance(session, Session):
        # check_plan() refuses such config at compile time; this only guards against
        # a session tool that failed to set req.session. Fail closed, never open.
        raise RuntimeError("tools.session_auth needs tools.sessions.on = true for this path")
    path = req.path
    # PERF: one slice and one dict lookup tell a protected page from the tool's endpoints.
    endpoint = _ENDPOINTS.get(path[path.rfind("/") + 1 :])
    if endpoint is not None:
        endpoint(req, resp, session, options, csrf_checked)
        return
    username = session.get(options.session_key)
    if isinstance(username, str) and username:
        req.login = username
        if options.on_check is not None:
            options.on_check(username)
        return
    if options.anonymous is not None:
        anonymous = options.anonymous()
        if anonymous:
            req.login = str(anonymous)
            _debug(options, "anonymous user %r for %s", req.login, path)
            return
    _debug(options, "no login for %s: showing the login screen", path)
    page = quote(req.script_name + path)
    if req.query_string:
        page += "?" + req.query_string
    _show_login(req, resp, session, options, from_page=page)


def _login_screen(
    req: pegboard.Request,
    resp: pegboard.Response,
    session: Session,
    options: SessionAuthOptions,
    csrf_checked: bool = False,
) -> None:
    """GET .../login_screen[?from_page=...]: the login form on its own."""
    if req.method not in ("GET", "HEAD"):
        raise pegboard.HTTPError(
            405, f"{req.method} is not allowed here.", headers={"Allow": "GET, HEAD"}
        )
    target = safe_redirect_target(_one(req.query, "from_page"), req)
    _show_login(req, resp, session, options, from_page=target or site_root(req))


def _do_login(
    req: pegboard.Request,
    resp: pegboard.Response,
    session: Session,
    options: SessionAuthOptions,
    csrf_checked: bool = False,
) -> None:
    """POST .../do_login: check the CSRF token and the credentials; redirect back on success."""
    _require_post(req)
    form = req.form
    given_token = _one(form, CSRF_FIELD) or req.headers.get(CSRF_HEADER)
    from_page = _one(form, "from_page")
    back = safe_redirect_target(from_page, req) or site_root(req)
    if from_page and back != from_page:
        _debug(options, "from_page %r is not followed; going back to %r", from_page, back)
    if not csrf_checked and not csrf_valid(session, given_token):
        _log.warning("login refused from %s: missing or wrong CSRF token", req.remote.ip)
        _show_login(req, resp, session, options, from_page=back, error=FORM_EXPIRED, status=403)
        return
    username = _one(form, "username") or ""
    password = _one(form, "password") or ""
    problem = _credentials_problem(username, password)
    if problem is not None:
        shown = username if len(username) <= MAX_USERNAME_LENGTH else ""
        _show_login(
            req, resp, session, options, from_page=back, username=shown, error=problem, status=400
        )
        return
    result = options.check_username_and_password(username, password)
    if result is not True:
        if result is None:
            _log.warning(
                "check_username_and_password returned None: a login is accepted only when it "
                "returns True (CherryPy's 'None means success' would let in anyone a check "
                "forgets to refuse)"
            )
        _log.info("failed login for %r from %s", username[:64], req.remote.ip)
        _debug(options, "the check refused %r: %r", username[:64], result)
        # The same answer whether the user is unknown or the password wrong.
        _show_login(
            req,
            resp,
            session,
            options,
            from_page=back,
            username=username,
            error=WRONG_CREDENTIALS,
            status=403,
        )
        return
    session.regenerate()  # against session fixation: an id known before login is now worthless
    session[options.session_key] = username
    session[CSRF_SESSION_KEY] = new_csrf_token()
    req.login = username
    _log.info("login of %r from %s", username[:64], req.remote.ip)
    if options.on_login is not None:
        options.on_login(username)
    raise pegboard.HTTPRedirect(back, 303)


def _do_logout(
    req: pegboard.Request,
    resp: pegboard.Response,
    session: Session,
    options: SessionAuthOptions,
    csrf_checked: bool = False,
) -> None:
    """POST .../do_logout: end the session; redirect to ``from_page`` (on this site) or the root."""
    _require_post(req)
    form = req.form
    given = _one(form, CSRF_FIELD) or req.headers.get(CSRF_HEADER)
    if not csrf_checked and not csrf_valid(session, given):
        _log.warning("logout refused from %s: missing or wrong CSRF token", req.remote.ip)
        raise pegboard.HTTPError(403, LOGOUT_REFUSED)
    back = safe_redirect_target(_one(form, "from_page"), req) or site_root(req)
    username = session.get(options.session_key)
    session.expire()  # the record and the cookie go, with everything the session held
    req.login = None
    _debug(options, "logout of %r", username)
    if isinstance(username, str) and username and options.on_logout is not None:
        options.on_logout(username)
    raise pegboard.HTTPRedirect(back, 303)


_ENDPOINTS: dict[str, Callable[..., None]] = {
    "login_screen": _login_screen,
    "do_login": _do_login,
    "do_logout": _do_logout,
}


# -- helpers -----------------------------------------------------------------------------


def _show_login(
    req: pegboard.Request,
    resp: pegboard.Response,
    session: Session,
    options: SessionAuthOptions,
    *,
    from_page: str,
    username: str = "",
    error: str = "",
    status: int = 200,
) -> None:
    """Answer the request with the login screen (a handler tool's answer)."""
    custom = options.login_screen
    body = (custom or default_login_screen)(
        from_page=from_page,
        username=username,
        error_msg=error,
        csrf_token=csrf_token(session),
        action=_form_action(req),
    )
    resp.status = status
    headers = resp.headers
    if custom is not None:
        headers.setdefault("Content-Type", "text/html; charset=utf-8")
    else:
        headers["Content-Type"] = "text/html; charset=utf-8"
    headers["Cache-Control"] = "no-store"  # holds a CSRF token; never cached or shared
    headers.setdefault("X-Frame-Options", "DENY")  # no login form inside another site's frame
    resp.set_body(body)
    req.handler = None


def _form_action(req: pegboard.Request) -> str:
    """Where the login form posts: ``do_login`` below the current page.

    ``/admin`` and ``/admin/`` post to ``/admin/do_login``, ``/admin/report``
    to ``/admin/report/do_login``: always below the page, so always a path
    the tool is on for when it is on for a config section.
    """
    path = req.path
    if path.endswith("/"):
        base = path
    elif path[path.rfind("/") + 1 :] in _ENDPOINTS:
        base = path[: path.rfind("/") + 1]
    else:
        base = path + "/"
    return quote(req.script_name + base + "do_login")


def _require_post(req: pegboard.Request) -> None:
    if req.method != "POST":
        raise pegboard.HTTPError(
            405,
            f"{req.method} is not allowed here: send the form with POST.",
            headers={"Allow": "POST"},
        )


def _one(fields: dict[str, Any], name: str) -> str | None:
    """The single value of a form or query field; 400 if it was sent more than once."""
    value = fields.get(name)
    if isinstance(value, list):
        raise pegboard.HTTPError(400, f"The field {name} was sent more than once.")
    return value if isinstance(value, str) else None


def _credentials_problem(username: str, password: str) -> str | None:
    if not username or not password:
        return MISSING_CREDENTIALS
    if len(username) > MAX_USERNAME_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        return TOO_LONG
    if _CONTROL.search(username) or "\x00" in password:
        return NOT_ALLOWED
    return None


def _debug(options: SessionAuthOptions, message: str, *args: Any) -> None:
    if options.debug:
        _log.info("session_auth: " + message, *args)
