"""docs/tools/http.md's reverse-proxy set-ups, each as configured, against client-forged headers.

Every case sends what a hostile client would through a model of the proxy
(proxy_models.py: which lines it appends, overwrites, drops or passes
through), then through a model of the WSGI server, and checks what the app
sees: the client's real address and the scheme and host it really used,
whatever it forged. The configurations tested are the ones the page shows
(a test below checks that they are still written there).

The models (first part of this file):

Each model takes the header lines a client sent (name, value, in order) and
returns the lines the proxy sends to the app, following the proxy's own
documentation and source:

- nginx: ``proxy_set_header`` replaces every client line of that name (an
  empty value drops the field); ``$proxy_add_x_forwarded_for`` is the
  client's X-Forwarded-For lines, joined with ", ", then ", $remote_addr";
  ``$host`` is the Host name, lower-cased, without its port; every other
  line passes through untouched (Forwarded, X-Forwarded-Host, X-Real-IP...);
  a name with "_" is dropped (``underscores_in_headers off`` with
  ``ignore_invalid_headers on``, both defaults).
- Caddy 2.5+ ``reverse_proxy``: for a client that is not in
  ``trusted_proxies`` (none by default), X-Forwarded-For, -Proto and -Host
  are set (replaced) from the connection; Host and every other line pass
  through untouched; ``request_header -*_*`` deletes names with "_"; Go
  writes the lines sorted by name.
- HAProxy 2.6+: ``option forwardfor`` adds one more X-Forwarded-For line at
  the end (the client's lines stay); ``http-request set-header`` replaces
  every line of that name with one at the end; ``option
  http-restrict-req-hdr-names delete`` drops names with characters other
  than letters, digits and "-"; ``option forwarded`` appends its element to
  the last Forwarded line when every Forwarded line is valid, and adds a new
  line otherwise.

And two WSGI servers, which turn the lines into the environ:

- granian (``pegboard serve``'s default), as observed over a socket: lines
  of one name (case-insensitive) are joined with ","; names that differ only
  by "-" and "_" map to one ``HTTP_`` key and the one first seen later wins.
- waitress: a name with "_" is dropped; lines of one name are joined with ", ".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import pegboard
from pegboard.httputil import HeaderError
from pegboard_http.forwarding import parse_forwarded

Lines = list[tuple[str, str]]

NGINX = """\
location / {
    proxy_pass http://127.0.0.1:8080;
    proxy_set_header Host              $host;
    proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $scheme;
}
"""
NGINX_INNER = """\
location / {
    proxy_pass http://127.0.0.1:8080;
    proxy_set_header Host              $host;
    proxy_set_header X-Forwarded-For   $proxy_add_x_forwarded_for;
    proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;
}
"""
NGINX_FORWARDED = """\
location / {
    proxy_pass http://127.0.0.1:8080;
    proxy_set_header Host      $host;
    proxy_set_header Forwarded "for=\\"$remote_addr\\";proto=$scheme;host=\\"$host\\"";
}
"""
CADDY = """\
example.com {
    request_header -*_*
    reverse_proxy 127.0.0.1:8080
}
"""
HAPROXY = """\
backend app
    option forwardfor
    option http-restrict-req-hdr-names delete
    http-request set-header X-Forwarded-Proto https if { ssl_fc }
    http-request set-header X-Forwarded-Proto http if !{ ssl_fc }
    server app1 127.0.0.1:8080
"""
HAPROXY_FORWARDED = """\
backend app
    option forwarded proto host for
    option http-restrict-req-hdr-names delete
    server app1 127.0.0.1:8080
"""

_NAME_OK = re.compile(r"[A-Za-z0-9-]+").fullmatch


@dataclass(frozen=True)
class Client:
    """Who connects to the proxy, and how."""

    ip: str = "198.51.100.7"
    tls: bool = True


def _values(lines: Lines, name: str) -> list[str]:
    return [v for n, v in lines if n.lower() == name.lower()]


def _without(lines: Lines, *names: str) -> Lines:
    drop = {n.lower() for n in names}
    return [(n, v) for n, v in lines if n.lower() not in drop]


def _host(lines: Lines) -> str:
    hosts = _values(lines, "Host")
    return hosts[0] if hosts else "example.com"


def nginx(lines: Lines, client: Client) -> Lines:
    """The documented nginx location block (X-Forwarded-For appended, -Proto set)."""
    lines = [(n, v) for n, v in lines if _NAME_OK(n)]
    host = _nginx_host(lines)
    forwarded_for = ", ".join([*_values(lines, "X-Forwarded-For"), client.ip])
    kept = _without(lines, "Host", "X-Forwarded-For", "X-Forwarded-Proto", "Connection")
    return [
        ("Host", host),
        ("X-Forwarded-For", forwarded_for),
        ("X-Forwarded-Proto", "https" if client.tls else "http"),
        ("Connection", "close"),
        *kept,
    ]


def _nginx_host(lines: Lines) -> str:
    """``$host``: the Host name, lower-cased, without its port."""
    host = _host(lines).lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


def nginx_inner(lines: Lines, client: Client) -> Lines:
    """nginx behind another proxy: X-Forwarded-For appended, -Proto passed on as it came."""
    lines = [(n, v) for n, v in lines if _NAME_OK(n)]
    forwarded_for = ", ".join([*_values(lines, "X-Forwarded-For"), client.ip])
    proto = ", ".join(_values(lines, "X-Forwarded-Proto"))
    kept = _without(lines, "Host", "X-Forwarded-For", "X-Forwarded-Proto", "Connection")
    passed = [("X-Forwarded-Proto", proto)] if proto else []  # an empty value drops the field
    return [
        ("Host", _nginx_host(lines)),
        ("X-Forwarded-For", forwarded_for),
        *passed,
        ("Connection", "close"),
        *kept,
    ]


def nginx_forwarded(lines: Lines, client: Client) -> Lines:
    """nginx writing RFC 7239 Forwarded itself (proxy_set_header replaces the client's)."""
    lines = [(n, v) for n, v in lines if _NAME_OK(n)]
    host = _nginx_host(lines)
    proto = "https" if client.tls else "http"
    element = f'for="{client.ip}";proto={proto};host="{host}"'
    kept = _without(lines, "Host", "Forwarded", "Connection")
    return [("Host", host), ("Forwarded", element), ("Connection", "close"), *kept]


def caddy(lines: Lines, client: Client, *, drop_underscores: bool = True) -> Lines:
    """The documented Caddyfile (``request_header -*_*`` then ``reverse_proxy``)."""
    if drop_underscores:
        lines = [(n, v) for n, v in lines if "_" not in n]
    host = _host(lines)
    kept = _without(lines, "Host", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host")
    kept += [
        ("X-Forwarded-For", client.ip),
        ("X-Forwarded-Proto", "https" if client.tls else "http"),
        ("X-Forwarded-Host", host),
    ]
    # Go's http.Header keeps lines per canonical name and writes the names sorted.
    by_name: dict[str, list[str]] = {}
    for name, value in kept:
        by_name.setdefault(_go_canonical(name), []).append(value)
    return [("Host", host)] + [(n, v) for n in sorted(by_name) for v in by_name[n]]


def _go_canonical(name: str) -> str:
    """textproto.CanonicalMIMEHeaderKey: the first letter and each after "-" upper-cased."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def haproxy(lines: Lines, client: Client) -> Lines:
    """The documented HAProxy backend (option forwardfor, X-Forwarded-Proto set)."""
    lines = [(n, v) for n, v in lines if _NAME_OK(n)]
    lines = _without(lines, "X-Forwarded-Proto")
    lines.append(("X-Forwarded-Proto", "https" if client.tls else "http"))
    lines.append(("X-Forwarded-For", client.ip))
    return lines


def haproxy_forwarded(lines: Lines, client: Client) -> Lines:
    """HAProxy with ``option forwarded proto host for``."""
    lines = [(n, v) for n, v in lines if _NAME_OK(n)]
    node = f'"[{client.ip}]"' if ":" in client.ip else client.ip
    proto = "https" if client.tls else "http"
    element = f'proto={proto};host="{_host(lines)}";for={node}'
    existing = [i for i, (n, _) in enumerate(lines) if n.lower() == "forwarded"]
    if existing and all(_valid_7239(lines[i][1]) for i in existing):
        last = existing[-1]
        lines[last] = (lines[last][0], f"{lines[last][1]}, {element}")
    else:
        lines.append(("Forwarded", element))
    return lines


def _valid_7239(value: str) -> bool:
    try:
        parse_forwarded(value)
    except HeaderError:
        return False
    return True


def granian_environ(lines: Lines) -> dict[str, str]:
    """The HTTP_* keys granian hands the app for these lines (see the module docstring)."""
    groups: dict[str, list[str]] = {}
    for name, value in lines:
        groups.setdefault(name.lower(), []).append(value)
    environ: dict[str, str] = {}
    for name, values in groups.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = ",".join(values)
    return environ


def waitress_environ(lines: Lines) -> dict[str, str]:
    """The HTTP_* keys waitress hands the app (clear_untrusted_proxy_headers off)."""
    environ: dict[str, str] = {}
    for name, value in lines:
        if "_" in name:
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        environ[key] = f"{environ[key]}, {value}" if key in environ else value
    return environ


Proxy = Callable[[Lines, Client], Lines]


# -- the tests ----------------------------------------------------------------------


DOC = Path(__file__).resolve().parents[3] / "docs" / "tools" / "http.md"
CLIENT = Client(ip="198.51.100.7", tls=True)
PLAIN = Client(ip="198.51.100.7", tls=False)
X_FORWARDED = {"remote": "X-Forwarded-For", "scheme": "X-Forwarded-Proto"}
FORWARDED = {"forwarded": True}

#: Header lines a client forges, each trying to choose its address, scheme or host.
ATTACKS: dict[str, Lines] = {
    "none": [],
    "x-forwarded-for": [("X-Forwarded-For", "6.6.6.6")],
    "x-forwarded-for, two lines": [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "10.0.0.1")],
    "x-forwarded-for, a trusted address": [("X-Forwarded-For", "127.0.0.1, 10.0.0.1")],
    "x-forwarded-proto": [("X-Forwarded-Proto", "https")],
    "x-forwarded-host": [("X-Forwarded-Host", "evil.test")],
    "forwarded": [("Forwarded", "for=6.6.6.6;host=evil.test;proto=https")],
    "forwarded, two elements": [("Forwarded", 'for=6.6.6.6, for="[::1]";host=evil.test')],
    "forwarded, broken": [("Forwarded", 'for="6.6.6.6')],
    "underscores before": [
        ("X_Forwarded_For", "6.6.6.6"),
        ("X_Forwarded_Proto", "https"),
        ("X_Forwarded_Host", "evil.test"),
        ("Forwarded_", "for=6.6.6.6"),
    ],
    "underscores after": [
        ("X-Forwarded-For", "5.5.5.5"),
        ("X-Forwarded-Proto", "https"),
        ("X_Forwarded_For", "6.6.6.6"),
        ("X_Forwarded_Proto", "https"),
    ],
    "mixed underscores": [("X-Forwarded_For", "6.6.6.6"), ("x_forwarded-proto", "https")],
    "other names": [
        ("X-Real-IP", "6.6.6.6"),
        ("X-Forwarded-Ssl", "on"),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Scheme", "https"),
    ],
}

#: (name, proxy model, the app's proxy options, the config as the page shows it)
SETUPS = [
    ("nginx", nginx, X_FORWARDED, NGINX),
    ("nginx, Forwarded", nginx_forwarded, FORWARDED, NGINX_FORWARDED),
    ("Caddy", caddy, X_FORWARDED, CADDY),
    ("HAProxy", haproxy, X_FORWARDED, HAPROXY),
    ("HAProxy, Forwarded", haproxy_forwarded, FORWARDED, HAPROXY_FORWARDED),
]
SERVERS = {"granian": granian_environ, "waitress": waitress_environ}


def _app(make_app, **options):
    config = {"tools.proxy.on": True, **{f"tools.proxy.{k}": v for k, v in options.items()}}
    app = make_app({"/": config})

    @app.route("/who")
    def who(req, resp):
        return f"{req.remote.ip} {req.base}"

    return app


def _through(
    make_client, app, proxy, server, lines: Lines, client: Client, peer="127.0.0.1"
) -> str:
    sent = proxy([("Host", "example.com"), *lines], client)
    environ = server(sent)
    result = make_client(app, remote_addr=peer).get("/who", environ=environ)
    assert result.status == 200, result.text
    return result.text


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("tls", [True, False], ids=["https", "http"])
@pytest.mark.parametrize(("name", "proxy", "options", "config"), SETUPS, ids=[s[0] for s in SETUPS])
def test_a_forged_header_never_decides(
    make_app, make_client, name, proxy, options, config, tls, attack, server
):
    client = CLIENT if tls else PLAIN
    app = _app(make_app, **options)
    seen = _through(make_client, app, proxy, SERVERS[server], ATTACKS[attack], client)
    assert seen == f"{client.ip} {'https' if tls else 'http'}://example.com"


def test_the_tested_configurations_are_the_documented_ones():
    text = DOC.read_text(encoding="utf-8")
    for name, _, options, config in SETUPS:
        assert config in text, f"the {name} configuration in {DOC.name} is not the one tested"
        for key, value in options.items():
            shown = "true" if value is True else f'"{value}"'
            assert f"tools.proxy.{key} = {shown}" in text, f"{DOC.name} does not set {key}"
    assert NGINX_INNER in text


def test_a_chain_of_two_proxies_with_hops_2(make_app, make_client):
    """HAProxy at the edge (10.0.0.5), then nginx passing the scheme on, then the app."""
    app = _app(make_app, hops=2, trusted=["127.0.0.1", "10.0.0.0/8"], **X_FORWARDED)
    for attack in ATTACKS.values():
        edge = haproxy([("Host", "example.com"), *attack], CLIENT)
        inner = nginx_inner(edge, Client(ip="10.0.0.5", tls=False))
        environ = granian_environ(inner)
        seen = make_client(app).get("/who", environ=environ).text
        assert seen == "198.51.100.7 https://example.com", attack


def test_a_request_that_skips_the_edge_proxy_reads_no_further(make_app, make_client):
    # A client that reaches the inner nginx directly is its peer: nginx writes the
    # client's own address, which is not a trusted proxy's, so the walk stops there.
    app = _app(make_app, hops=2, trusted=["127.0.0.1", "10.0.0.0/8"], **X_FORWARDED)
    lines = [("Host", "example.com"), ("X-Forwarded-For", "10.0.0.5, 6.6.6.6")]
    environ = granian_environ(nginx_inner(lines, CLIENT))
    assert make_client(app).get("/who", environ=environ).text.split()[0] == CLIENT.ip


def test_without_the_underscore_rule_granian_lets_a_client_forge_the_address(make_app, make_client):
    """Why the Caddy and HAProxy configurations drop names with "_" (nginx does by default)."""
    app = _app(make_app, **X_FORWARDED)
    attack = ATTACKS["underscores after"]
    unsafe = caddy([("Host", "example.com"), *attack], CLIENT, drop_underscores=False)
    seen = make_client(app).get("/who", environ=granian_environ(unsafe)).text
    assert seen.split()[0] == "6.6.6.6"
    safe = caddy([("Host", "example.com"), *attack], CLIENT)
    assert make_client(app).get("/who", environ=granian_environ(safe)).text.split()[0] == (
        CLIENT.ip
    )


def test_the_old_default_would_have_believed_a_clients_forwarded_header(make_app, make_client):
    """The defect this replaces: Forwarded passes through nginx untouched."""
    app = _app(make_app, **X_FORWARDED)
    lines = nginx([("Host", "example.com"), *ATTACKS["forwarded"]], CLIENT)
    assert ("Forwarded", "for=6.6.6.6;host=evil.test;proto=https") in lines  # nginx passed it on
    seen = make_client(app).get("/who", environ=granian_environ(lines)).text
    assert seen == f"{CLIENT.ip} https://example.com"  # and the app ignored it


@pytest.mark.skipif(
    not hasattr(pegboard.App, "host_allowed"), reason="needs the core's request.allowed_hosts"
)
@pytest.mark.parametrize(("host", "status"), [("www.example.com", 200), ("evil.test", 400)])
def test_a_forwarded_host_is_checked_against_allowed_hosts(make_app, make_client, host, status):
    app = make_app(
        {
            "request": {"allowed_hosts": [".example.com"]},
            "/": {"tools.proxy.on": True, "tools.proxy.local": "X-Forwarded-Host"},
        }
    )
    app.route("/who", lambda req, resp: req.base)
    result = make_client(app).get(
        "/who", headers={"Host": "www.example.com", "X-Forwarded-Host": host}
    )
    assert result.status == status
    if status == 200:
        assert result.text == f"http://{host}"
