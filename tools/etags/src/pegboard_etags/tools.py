"""The ``etags`` and ``last_modified`` tools and their hooks.

Both validate in ``before_finalize`` (priority 70), after the handler and
before gzip (80), so they see the identity body and its validators. When
both are on, the ``etags`` hook evaluates every condition in RFC order and
the ``last_modified`` hook stands aside. A ``validator`` declared on the
``etags`` tool is checked in ``before_handler`` (priority 15) so that a
304 or 412 is answered without running the handler at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pegboard
from pegboard import HTTPError, PlanBuilder, Request, Response

from .conditions import NOT_MODIFIED, PRECONDITION_FAILED, evaluate, has_conditions
from .entity_tags import body_tag, to_entity_tag

__all__ = [
    "PRECHECK_PRIORITY",
    "VALIDATE_PRIORITY",
    "EtagsTool",
    "LastModifiedTool",
    "validate_etags",
    "validate_since",
]

VALIDATE_PRIORITY = 70
# After auth (1), sessions (10) and session_auth (14); before caching (20).
PRECHECK_PRIORITY = 15

_SAFE = frozenset({"GET", "HEAD"})
# Headers that describe a body a 304 does not have (RFC 9110 §15.4.5).
_BODY_HEADERS = ("Content-Length", "Content-Encoding", "Content-Range", "Accept-Ranges")

Validator = Callable[[Request], str | None]


def _not_modified(resp: Response) -> None:
    resp.status = 304
    resp.set_body(None)
    for name in _BODY_HEADERS:
        resp.headers.pop(name)


def _failed() -> HTTPError:
    return HTTPError(
        412,
        "A precondition of this request (If-Match, If-None-Match, "
        "If-Unmodified-Since) does not hold for the current representation.",
    )


def _apply(req: Request, resp: Response, *, tags: bool, dates: bool) -> None:
    if not 200 <= resp.status < 300 or req.method not in _SAFE:
        return
    if not has_conditions(req.environ):
        return
    headers = resp.headers
    outcome = evaluate(
        req.environ,
        req.method,
        headers.get("ETag"),
        headers.get("Last-Modified"),
        tags=tags,
        dates=dates,
    )
    if outcome == NOT_MODIFIED:
        _not_modified(resp)
    elif outcome == PRECONDITION_FAILED:
        raise _failed()


def validate_etags(req: Request, resp: Response, *, autotags: bool = False) -> None:
    """Give a 200 a tag of its body (``autotags``) and answer If-Match/If-None-Match.

    Also evaluates the date conditions when the ``last_modified`` tool is
    on for this path, so that RFC 9110's order holds between the two.
    Conditions are evaluated for GET and HEAD answered 2xx; a write is
    checked before its handler runs, through a ``validator``.
    """
    if autotags and resp.status == 200 and resp.stream is None and "ETag" not in resp.headers:
        resp.headers["ETag"] = body_tag(resp.body)
    if has_conditions(req.environ):  # PERF: most requests carry no condition
        _apply(req, resp, tags=True, dates="last_modified" in req.plan.tools)


def validate_since(req: Request, resp: Response) -> None:
    """Answer If-Modified-Since/If-Unmodified-Since from the response's ``Last-Modified``."""
    if "etags" in req.plan.tools:
        return  # the etags hook evaluates both kinds, in order
    _apply(req, resp, tags=False, dates=True)


def check_validator(req: Request, resp: Response, *, validator: Validator) -> None:
    """Before the handler: set the declared ETag and answer 304/412 without running it."""
    if req.handler is None:
        return  # a handler tool answered already; its response is validated later
    raw = validator(req)
    tag = to_entity_tag(raw) if raw is not None else None
    if tag is not None:
        resp.headers["ETag"] = tag
    environ = req.environ
    if not has_conditions(environ):
        return
    dates = "last_modified" in req.plan.tools
    if dates and "HTTP_IF_UNMODIFIED_SINCE" in environ and "HTTP_IF_MATCH" not in environ:
        return  # the date is not known before the handler, and it comes first
    if tag is None and req.method in _SAFE:
        return  # nothing to validate: let the handler answer (most likely a 404)
    outcome = evaluate(environ, req.method, tag, None, dates=False, exists=tag is not None)
    if outcome == NOT_MODIFIED:
        _not_modified(resp)
        req.handler = None
    elif outcome == PRECONDITION_FAILED:
        raise _failed()


class EtagsTool(pegboard.Tool):
    """ETag validation (If-Match, If-None-Match), body-hash tags, declared validators."""

    points = ("before_handler", "before_finalize")

    def __init__(self) -> None:
        super().__init__("etags", point="before_finalize", priority=VALIDATE_PRIORITY)

    def attach(  # type: ignore[override]  # the options are the schema
        self,
        plan: PlanBuilder,
        autotags: bool = False,
        validator: Callable[[Request], Any] | None = None,
    ) -> None:
        """``autotags``: tag 200 bodies with their hash. ``validator(req)``: the
        current tag (or None when there is no representation), before the handler."""
        if validator is not None:
            plan.add("before_handler", check_validator, PRECHECK_PRIORITY, validator=validator)
        plan.add("before_finalize", validate_etags, self.priority, autotags=autotags)


class LastModifiedTool(pegboard.Tool):
    """If-Modified-Since / If-Unmodified-Since against the response's Last-Modified."""

    def __init__(self) -> None:
        super().__init__(
            "last_modified", validate_since, point="before_finalize", priority=VALIDATE_PRIORITY
        )
