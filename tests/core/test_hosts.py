"""request.allowed_hosts: another Host gets 400 before routing."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import requests

import pegboard
from pegboard import ConfigError

SITE = ["example.com", ".example.org", "pinned.test:8443", "[::1]", "127.0.0.1"]


@pytest.fixture
def app(make_app):
    seen = []
    app = make_app(
        {
            "request": {"allowed_hosts": SITE},
            "/": {"hooks.on_start_resource": lambda req, resp: seen.append(req.host)},
        }
    )

    @app.route("/")
    def home(req, resp):
        return f"hello {req.host}"

    app.seen = seen
    return app


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("example.com", True),
        ("EXAMPLE.com", True),
        ("example.com.", True),
        ("example.com:8080", True),  # an entry without a port allows any port
        ("www.example.com", False),  # exact names do not cover subdomains
        ("example.org", True),
        ("a.b.example.org:80", True),
        ("badexample.org", False),  # a suffix entry matches whole labels only
        ("example.org.evil.com", False),
        ("pinned.test:8443", True),
        ("pinned.test", False),
        ("pinned.test:443", False),
        ("[::1]:8080", True),
        ("127.0.0.1", True),
        ("evil.com", False),
        ("example.com/evil", False),
        ("example.com@evil.com", False),
        ("exa mple.com", False),
        ("", False),
    ],
)
def test_only_listed_hosts_are_served(app, make_client, host, allowed):
    result = make_client(app).get("/", headers={"Host": host})
    if allowed:
        assert result.status == 200
        assert app.seen, "the request was routed and its hooks ran"
    else:
        assert result.status == 400
        assert "does not serve" in result.text
        assert app.seen == [], "a refused Host reaches no hook, route or log line"


def test_unset_means_any_host(make_app, make_client):
    app = make_app()
    app.route("/", lambda req, resp: req.host)
    assert make_client(app).get("/", headers={"Host": "anything.test"}).text == "anything.test"
    assert app.host_allowed("anything.test")


def test_a_star_allows_any_host(make_app, make_client):
    app = make_app({"request": {"allowed_hosts": ["*"]}})
    app.route("/", lambda req, resp: "ok")
    assert make_client(app).get("/", headers={"Host": "x.test"}).status == 200


def test_tools_can_check_a_host_from_elsewhere(app):
    app.start()
    assert app.host_allowed("shop.example.org")
    assert not app.host_allowed("attacker.test")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"request": {"allowed_hosts": ["https://example.com"]}},
            "is a URL; list the host name alone",
        ),
        ({"request": {"allowed_hosts": "example.com"}}, "expected list"),
        ({"request": {"allowed_hosts": ["exa mple.com"]}}, "is not a host name"),
        (
            {"/": {"request.allowed_hosts": ["example.com"]}},
            r"applies to the whole site: set it in a top-level \[request\] table",
        ),
    ],
)
def test_misconfigured_hosts_are_config_errors(make_app, config, message):
    with pytest.raises(ConfigError, match=message):
        make_app(config).start()


def test_a_refused_host_over_a_real_server(app, live_server):
    server = live_server(app)
    good = requests.get(server.url + "/", headers={"Host": "example.com"}, timeout=5)
    assert good.status_code == 200 and good.text == "hello example.com"
    bad = requests.get(server.url + "/", headers={"Host": "evil.test"}, timeout=5)
    assert bad.status_code == 400
    curl = shutil.which("curl")
    assert curl, "curl is one of the real clients the tests use"
    out = subprocess.run(
        [
            curl,
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-H",
            "Host: a.example.org",
            server.url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout == "200"


def test_the_refusal_is_a_valid_wsgi_response_for_head(app, make_client):
    result = make_client(app).request("HEAD", "/", headers={"Host": "evil.test"})
    assert result.status == 400
    assert result.body == b""


def test_the_policy_cache_is_bounded():
    from pegboard.hosts import HostPolicy

    policy = HostPolicy(["example.com"])
    for n in range(5000):
        assert not policy.allows(f"h{n}.test")
    assert len(policy._cache) <= 256


def test_host_allowed_is_public_api():
    assert "host_allowed" in dir(pegboard.App)
