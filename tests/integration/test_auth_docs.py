"""The example configuration in docs/tools/auth.md works as the page says."""

import hashlib
import re
import sys
import types
from pathlib import Path

import bcrypt
import httpx

import pegboard

DOC = Path(__file__).resolve().parents[2] / "docs" / "tools" / "auth.md"


def _doc_config(tmp_path: Path) -> str:
    toml = re.search(r"```toml\n(.*?)```", DOC.read_text(), re.S).group(1)
    htpasswd = tmp_path / "htpasswd"
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode()
    htpasswd.write_text(f"alice:{hashed}\nbob:{hashed}\n")
    htdigest = tmp_path / "htdigest"
    ha1 = hashlib.md5(b"alice:api@example.org:secret").hexdigest()
    htdigest.write_text(f"alice:api@example.org:{ha1}\n")
    return toml.replace("/etc/myapp/htpasswd", str(htpasswd)).replace(
        "/etc/myapp/htdigest", str(htdigest)
    )


def test_the_auth_page_example(tmp_path, monkeypatch, live_server):
    users = types.ModuleType("myapp.users")
    users.roles_of = lambda name: {"alice": ["admin", "staff"], "bob": ["staff"]}.get(name, [])
    monkeypatch.setitem(sys.modules, "myapp", types.ModuleType("myapp"))
    monkeypatch.setitem(sys.modules, "myapp.users", users)
    (tmp_path / "site.toml").write_text(_doc_config(tmp_path))
    app = pegboard.App(tmp_path / "site.toml")
    for path in ("/demo/", "/intranet/", "/intranet/admin/", "/api/things"):
        app.route(path, lambda req, resp: f"hello {req.login}")
    url = live_server(app).url
    with httpx.Client(base_url=url) as client:
        assert (
            client.get("/demo/", auth=("alice", "correct horse battery staple")).text
            == "hello alice"
        )
        assert (
            client.get("/demo/").headers["WWW-Authenticate"]
            == 'Basic realm="demo", charset="UTF-8"'
        )
        assert client.get("/intranet/", auth=("bob", "s3cret")).text == "hello bob"
        assert client.get("/intranet/admin/", auth=("bob", "s3cret")).status_code == 403
        assert client.get("/intranet/admin/", auth=("alice", "s3cret")).text == "hello alice"
        digest = httpx.DigestAuth("alice", "secret")
        assert client.get("/api/things", auth=digest).text == "hello alice"
        assert client.get("/api/things", auth=httpx.DigestAuth("alice", "wrong")).status_code == 401
