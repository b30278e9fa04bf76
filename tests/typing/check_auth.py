"""Type-checked, not run: the auth packages' options, results and the login attribute."""

from __future__ import annotations

from typing import assert_type

import pegboard
import pegboard_auth_basic
import pegboard_auth_digest
from pegboard import Request, Response
from pegboard_auth_basic import BasicAuthOptions, BasicAuthTool
from pegboard_auth_digest import DigestAuthOptions, DigestAuthTool, DigestCredentials

app = pegboard.App(
    {
        "/admin": {
            "tools.auth_basic.on": True,
            "tools.auth_basic.realm": "admin",
            "tools.auth_basic.htpasswd": "/etc/pegboard/htpasswd",
        }
    }
)


@app.route("/admin")
@pegboard.tools.auth_digest(realm="admin", key="0123456789abcdef0123")
def admin(req: Request, resp: Response) -> str:
    login = req.login
    assert_type(login, str | None)
    return f"hello {login}"


def uses(req: Request, resp: Response) -> None:
    assert_type(admin(req, resp), str)
    credentials = pegboard_auth_digest.parse_credentials('username="a", realm="r"')
    assert_type(credentials, DigestCredentials)
    assert_type(credentials.nc_value, int)
    assert_type(pegboard_auth_basic.apr1_hash(b"pw", "salt"), str)


basic = BasicAuthOptions(realm="r", users={"alice": "pw"}, roles=["admin"], get_roles=lambda u: ())
assert_type(basic.users, dict[str, str] | None)
assert_type(basic.cache_ttl, float)
basic_tool: pegboard.Tool[BasicAuthOptions] = BasicAuthTool()
digest = DigestAuthOptions(realm="r", key="0123456789abcdef", users={"a": "b"}, nc_store="redis")
assert_type(digest.nonce_lifetime, int)
assert_type(digest.algorithms, tuple[str, ...] | str)
assert_type(DigestAuthTool().build_options({}, "/"), DigestAuthOptions)
