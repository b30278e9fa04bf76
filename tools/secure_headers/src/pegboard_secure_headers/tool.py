"""The ``secure_headers`` tool: security headers on every response of a path, error pages too.

One hook at ``before_finalize`` (40) writes them on the handler's answer and
on every ``HTTPError`` page (both reach that hookpoint), before the cache
stores the response (90); the same hook at ``after_error_response`` (60)
writes them on the 500 page, whose headers the core resets. A header the
handler (or an earlier tool) already set is left as it is.
"""

from __future__ import annotations

import binascii
import os

import pegboard
from pegboard import HookDoc, PlanBuilder, Request, Response

from .headers import NONCE_MARK, HeaderValues
from .options import SecureHeadersOptions

__all__ = ["HEADERS_PRIORITY", "SecureHeadersTool", "csp_nonce"]

#: before_finalize: after the handler and its error pages, before the cache stores the
#: response (90)
HEADERS_PRIORITY = 40
#: after_error_response: after the tools that replace the 500 page (err_redirect 40, a
#: stale cached answer 50), so the page that goes out has the headers
ERROR_PRIORITY = 60
#: the ``req.state`` name: the response's nonce, or _SEALED once the headers are written
STATE_NAME = "secure_headers"
#: 144 random bits: 24 base64 characters without padding (CSP asks for at least 128)
NONCE_BYTES = 18


class _Sealed:
    """The headers of this response were written without a nonce: it is too late for one."""

    __slots__ = ()


_SEALED = _Sealed()


def csp_nonce(req: Request) -> str:
    """This response's CSP nonce, for ``<script nonce="...">`` and ``<style nonce="...">``.

    Made on first use (144 random bits from ``os.urandom``, base64) and the same for the rest
    of the request; the policy of the response then allows exactly the inline
    code that carries it. Call it while the handler runs (a template rendered
    in the handler does), not while a streamed body is sent: RuntimeError
    then. LookupError where secure_headers is not on for the path.
    """
    found = req.state.get(STATE_NAME)
    if type(found) is str:
        return found
    if STATE_NAME not in req.plan.tools:
        raise LookupError("no CSP nonce here: turn tools.secure_headers.on = true for this path")
    if found is _SEALED:
        raise RuntimeError(
            "csp_nonce(req) was called after the response headers were written (from a "
            "streamed body?): call it in the handler, before the body is returned"
        )
    # PERF: one C call each for the bytes and their base64 (secrets.token_urlsafe does
    # the same with three more Python calls).
    nonce = binascii.b2a_base64(os.urandom(NONCE_BYTES), newline=False).decode("ascii")
    req.state.secure_headers = nonce
    return nonce


class _Writer:
    """Writes one path's prepared headers onto a response."""

    __slots__ = ("values",)

    def __init__(self, values: HeaderValues) -> None:
        self.values = values

    def write(self, req: Request, resp: Response) -> None:
        values = self.values
        headers = resp.headers
        # PERF: the names already set, in one set, rather than one lookup call per header.
        present = {name.lower() for name, _ in headers.items()}
        for name, lowered, value in values.fixed:
            if lowered not in present:
                headers.set_trusted(name, value, lowered)
        hsts = values.hsts
        if (
            hsts is not None
            and req.environ.get("wsgi.url_scheme") == "https"
            and "strict-transport-security" not in present
        ):
            headers.set_trusted("Strict-Transport-Security", hsts, "strict-transport-security")
        csp_name = values.csp_name
        if csp_name is None:
            return
        state = req.state
        nonce = state.get(STATE_NAME)
        if type(nonce) is not str:
            state.secure_headers = _SEALED
            if values.csp_lowered not in present:
                headers.set_trusted(csp_name, values.csp, values.csp_lowered)
            return
        if values.csp_lowered not in present:
            headers.set_trusted(
                csp_name, values.csp_with_nonce.replace(NONCE_MARK, nonce), values.csp_lowered
            )
        _keep_out_of_shared_caches(resp)


def _keep_out_of_shared_caches(resp: Response) -> None:
    """A page that carries a nonce is one response's: no shared cache may hand it to others."""
    headers = resp.headers
    current = headers.get("Cache-Control")
    if current is None:
        headers.set_trusted("Cache-Control", "private", "cache-control")
        return
    lowered = current.lower()
    if "no-store" not in lowered and "private" not in lowered:
        headers["Cache-Control"] = f"{current}, private"


class SecureHeadersTool(pegboard.Tool[SecureHeadersOptions]):
    """Security headers on every response: HSTS, CSP with nonces, framing, referrer, permissions."""

    hooks = (
        HookDoc(
            "before_finalize",
            HEADERS_PRIORITY,
            "HSTS (HTTPS only), CSP with the response's nonce, X-Frame-Options, "
            "Referrer-Policy, Permissions-Policy, COOP/COEP/CORP, nosniff, on answers and "
            "HTTPError pages",
        ),
        HookDoc(
            "after_error_response",
            ERROR_PRIORITY,
            "the same headers on the 500 page",
            failsafe=True,
        ),
    )

    def __init__(self) -> None:
        super().__init__("secure_headers", point="before_finalize", priority=HEADERS_PRIORITY)

    def attach(self, plan: PlanBuilder, options: SecureHeadersOptions) -> None:
        values = HeaderValues(options)
        if options.csp is None and options.csp_report_only:
            plan.warn(
                "there is no policy to report on: csp is none", key="tools.secure_headers.csp"
            )
        if options.csp is not None and not values.nonced and options.nonce_directives:
            plan.warn(
                "the policy has none of nonce_directives and no default-src, so "
                "csp_nonce(req) adds the nonce nowhere",
                key="tools.secure_headers.csp",
            )
        writer = _Writer(values)
        # PERF: a bound method of the prepared values, called with (req, resp) alone.
        plan.add("before_finalize", writer.write, self.priority)
        plan.add("after_error_response", writer.write, ERROR_PRIORITY, failsafe=True)
