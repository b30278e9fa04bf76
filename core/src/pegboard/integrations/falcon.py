"""Falcon inside ``pegboard.wrap``: what the tools provide in ``req.context``, errors to pegboard.

::

    app = falcon.App()
    pegboard.integrations.falcon.init_app(app)
    site = pegboard.wrap(app, config="site.toml")

Then a responder reads ``req.context.session`` (pegboard's session where
``tools.sessions`` is on), ``req.context.user`` (the login of auth_basic or
auth_digest, ``REMOTE_USER``), ``req.context.request_id``, ``req.context.json``
(json_in's parsed body), ``req.context.pegboard`` (the pegboard Request) and
``req.context.pegboard_response`` (its Response: ``cache_tags``); each is None
where its tool is off. A ``pegboard.HTTPError`` raised in a
responder (a session store that is down: 503) is answered by pegboard.
"""

from __future__ import annotations

from typing import Any

import falcon

import pegboard

__all__ = ["PegboardMiddleware", "init_app"]

#: what pegboard answers for (see pegboard.wsgi_handler.ENVIRON_HTTP_ERROR)
HTTP_ERROR_KEY = "pegboard.http_error"


def init_app(app: falcon.App[Any, Any]) -> None:
    """Add the middleware and the handler that gives pegboard's errors back to pegboard."""
    app.add_middleware(PegboardMiddleware())
    app.add_error_handler(pegboard.HTTPError, _to_pegboard)
    app.add_error_handler(pegboard.HTTPRedirect, _to_pegboard)


class PegboardMiddleware:
    """Copies what the tools provide from the environ into ``req.context``."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        env = req.env
        context = req.context
        context.pegboard = env.get("pegboard.request")
        context.pegboard_response = env.get("pegboard.response")  # cache_tags, for one
        context.session = env.get("pegboard.session")
        context.user = env.get("REMOTE_USER")
        context.request_id = env.get("pegboard.request_id")
        context.json = env.get("pegboard.json")


def _to_pegboard(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: dict[str, Any]
) -> None:
    if "pegboard.request" not in req.env:
        raise falcon.HTTPInternalServerError()  # not inside pegboard.wrap: Falcon's 500
    req.env[HTTP_ERROR_KEY] = exc
    resp.status = falcon.HTTP_500  # dropped: pegboard answers with the error
