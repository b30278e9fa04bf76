"""The ``etags`` and ``last_modified`` tools: their options and the hooks they attach.

Both validate in ``before_finalize`` (priority 70), after the handler and
before gzip (80), so they see the identity body and its validators. When
both are on, the ``etags`` hook evaluates every condition in RFC order and
the ``last_modified`` hook stands aside. A ``validator`` declared on the
``etags`` tool is checked in ``before_handler`` (priority 15) so that a
304 or 412 is answered without running the handler at all.
"""

from __future__ import annotations

from collections.abc import Callable
from hashlib import blake2b as _blake2b

import pegboard
from pegboard import HookDoc, HTTPError, PlanBuilder, Request, Response

from .conditions import NOT_MODIFIED, PRECONDITION_FAILED, evaluate, has_conditions
from .validators import to_entity_tag

__all__ = [
    "PRECHECK_PRIORITY",
    "VALIDATE_PRIORITY",
    "EtagsOptions",
    "EtagsTool",
    "LastModifiedOptions",
    "LastModifiedTool",
    "Validator",
    "validate_etags",
    "validate_since",
]

VALIDATE_PRIORITY = 70
# After auth (1), sessions (10) and session_auth (14); before caching (20).
PRECHECK_PRIORITY = 15

_SAFE = frozenset({"GET", "HEAD"})
# Headers that describe a body a 304 does not have (RFC 9110 §15.4.5).
_BODY_HEADERS = ("Content-Length", "Content-Encoding", "Content-Range", "Accept-Ranges")

#: ``validator(req)``: the current entity tag of the resource, or None when it has none.
Validator = Callable[[Request], str | None]


class EtagsOptions(pegboard.ToolOptions):
    """Options of ``tools.etags``."""

    autotags: bool = pegboard.option(
        default=False,
        doc="give a 200 without an ETag a strong tag: 128 bits of BLAKE2b of the body, in hex",
    )
    validator: Validator | None = pegboard.option(
        default=None,
        doc="`validator(req)`: the current tag of the resource (None: it has no current "
        "representation), checked before the handler; a callable or an import string",
    )


class LastModifiedOptions(pegboard.ToolOptions):
    """``tools.last_modified`` has no options: it reads the response's ``Last-Modified``."""


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
    if autotags:
        autotag_and_validate(req, resp)
    else:
        validate_conditions(req, resp)


def autotag_and_validate(req: Request, resp: Response) -> None:
    """The finalize hook with ``autotags``: tag the body, then validate."""
    if resp.status == 200 and resp.stream is None:
        headers = resp.headers
        if headers.get("ETag") is None:
            # The tag is built here from hex digits: nothing to check in it. PERF:
            # body_tag() inlined.
            tag = f'"{_blake2b(resp.body, digest_size=16).hexdigest()}"'
            headers.set_trusted("ETag", tag, "etag")
    if has_conditions(req.environ):  # PERF: most requests carry no condition
        _apply(req, resp, tags=True, dates="last_modified" in req.plan.tools)


def validate_conditions(req: Request, resp: Response) -> None:
    """The finalize hook without ``autotags``."""
    if has_conditions(req.environ):  # PERF: most requests carry no condition
        _apply(req, resp, tags=True, dates="last_modified" in req.plan.tools)


def validate_since(req: Request, resp: Response) -> None:
    """Answer If-Modified-Since/If-Unmodified-Since from the response's ``Last-Modified``."""
    if "etags" in req.plan.tools:
        return  # the etags hook evaluates both kinds, in order
    if has_conditions(req.environ):
        _apply(req, resp, tags=False, dates=True)


def check_validator(req: Request, resp: Response, validator: Validator) -> None:
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


class EtagsTool(pegboard.Tool[EtagsOptions]):
    """ETag validation (If-Match, If-None-Match), body-hash tags, declared validators."""

    hooks = (
        HookDoc(
            "before_handler",
            PRECHECK_PRIORITY,
            does="with a `validator`: sets the declared ETag; 304 or 412 before the handler "
            "runs (preconditions for writes, before the handler changes anything)",
        ),
        HookDoc(
            "before_finalize",
            VALIDATE_PRIORITY,
            does="`autotags`; 304 / 412 for GET and HEAD (the date conditions too when "
            "last_modified is on)",
        ),
    )

    def __init__(self) -> None:
        super().__init__("etags", point="before_finalize", priority=VALIDATE_PRIORITY)

    def attach(self, plan: PlanBuilder, options: EtagsOptions) -> None:
        if options.validator is not None:
            plan.add(
                "before_handler", check_validator, PRECHECK_PRIORITY, args=(options.validator,)
            )
        # PERF: one plain function per case, stored in the plan as it is (no bound options).
        plan.add(
            "before_finalize",
            autotag_and_validate if options.autotags else validate_conditions,
            self.priority,
        )


class LastModifiedTool(pegboard.Tool[LastModifiedOptions]):
    """Answer If-Modified-Since/If-Unmodified-Since from the response's ``Last-Modified``."""

    hooks = (
        HookDoc(
            "before_finalize",
            VALIDATE_PRIORITY,
            does="304 / 412 for GET and HEAD from the response's Last-Modified (left to "
            "etags when it is on, which evaluates every condition in order)",
        ),
    )

    def __init__(self) -> None:
        super().__init__("last_modified", point="before_finalize", priority=VALIDATE_PRIORITY)

    def attach(self, plan: PlanBuilder, options: LastModifiedOptions) -> None:
        plan.add("before_finalize", validate_since, self.priority)
