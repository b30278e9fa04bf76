"""Type-checked, not run: the cors, secure_headers and csrf packages keep their types."""

from __future__ import annotations

from typing import assert_type

import pegboard
import pegboard_cors
import pegboard_csrf
import pegboard_secure_headers
from pegboard import Request, Response
from pegboard_cors import CorsOptions, CorsTool
from pegboard_csrf import CsrfOptions, CsrfTool, csrf_field, csrf_token
from pegboard_secure_headers import SecureHeadersOptions, SecureHeadersTool, csp_nonce

app = pegboard.App()


@app.route("/form", methods=["GET", "POST"])
def form(req: Request, resp: Response) -> str:
    nonce = csp_nonce(req)
    assert_type(nonce, str)
    assert_type(csrf_token(req), str)
    return f'<script nonce="{nonce}"></script><form>{csrf_field(req)}</form>'


cors = CorsOptions(origins=["https://app.example"], credentials=True, max_age=None)
assert_type(cors.origins, list[str])
assert_type(cors.max_age, int | None)
assert_type(pegboard_cors.normalise_origin("HTTPS://A.Example:443"), str)
assert_type(pegboard_cors.OriginPolicy(["*"]).allows("https://x.example"), bool)
headers = SecureHeadersOptions(csp=None, cross_origin_embedder_policy="require-corp")
assert_type(headers.csp, dict[str, list[str]] | None)
assert_type(headers.hsts_max_age, int)
assert_type(pegboard_secure_headers.csp_text({"default-src": ["'self'"]}), str)
csrf = CsrfOptions(fallback="allow", trusted_origins=["https://app.example"])
assert_type(csrf.secret, str | None)
assert_type(pegboard_csrf.unmask(pegboard_csrf.mask("secret")), str | None)
cors_tool: pegboard.Tool[CorsOptions] = CorsTool()
headers_tool: pegboard.Tool[SecureHeadersOptions] = SecureHeadersTool()
csrf_tool: pegboard.Tool[CsrfOptions] = CsrfTool()
assert_type(CsrfTool().build_options({}, "/"), CsrfOptions)
assert_type(pegboard_cors.pegboard_tools(), list[pegboard.Tool])
