"""The proxy tool: named headers only, trusted peers, read from the right through ``hops``.

The proxy tool reads only the headers the operator names (none by default),
so each test names the ones it exercises: ``XFWD`` the three X-Forwarded-*
headers, ``FORWARDED`` RFC 7239 Forwarded. docs/tools/http.md's proxy set-ups
are tested against client-forged headers in test_proxy_setups.py.
"""

from __future__ import annotations

import pytest

import pegboard

PROXY = "127.0.0.1"  # the test client's peer address: loopback, trusted by default
STRANGER = "203.0.113.9"
XFWD = {"remote": "X-Forwarded-For", "scheme": "X-Forwarded-Proto", "local": "X-Forwarded-Host"}
FORWARDED = {"forwarded": True}


def _app(make_app, **options):
    options = options or dict(XFWD)
    config = {"tools.proxy.on": True, **{f"tools.proxy.{k}": v for k, v in options.items()}}
    app = make_app(
        {"/": config, "/alias": {"tools.redirect.on": True, "tools.redirect.url": "/who"}}
    )

    @app.route("/who")
    def who(req, resp):
        return {"ip": req.remote.ip, "port": req.remote.port, "base": req.base, "url": req.url}

    app.route("/alias", lambda req, resp: "alias")

    @app.route("/go")
    def go(req, resp):
        raise pegboard.HTTPRedirect("/who")

    # handlers return dicts above: render them as JSON through a tiny wrapper
    app.add_tool(pegboard.WrapperTool("as_json", _as_json, priority=90))
    return app


def _as_json(handler, req, resp):
    import json

    result = handler()
    if isinstance(result, dict):
        resp.headers["Content-Type"] = "application/json"
        return json.dumps(result)
    return result


def _who(client, headers=None, path="/who"):
    result = client.get(path, headers=headers or {})
    assert result.status == 200, result.text
    return result.json()


@pytest.fixture
def client(make_app, make_client):
    app = _app(make_app)
    app.config.sections["/"]["tools.as_json.on"] = True
    return make_client(app, remote_addr=PROXY)


def _client(make_app, make_client, remote_addr=PROXY, **options):
    app = _app(make_app, **{**(FORWARDED if options.get("forwarded") else XFWD), **options})
    app.config.sections["/"]["tools.as_json.on"] = True
    return make_client(app, remote_addr=remote_addr)


def test_without_headers_nothing_changes(client):
    assert _who(client) == {
        "ip": PROXY,
        "port": 54321,
        "base": "http://localhost",
        "url": "http://localhost/who",
    }


def test_client_address_from_x_forwarded_for(client):
    seen = _who(client, {"X-Forwarded-For": "198.51.100.7"})
    assert seen["ip"] == "198.51.100.7"
    assert seen["port"] is None


@pytest.mark.parametrize("family", [XFWD, FORWARDED], ids=["x-forwarded", "forwarded"])
def test_spoofed_x_forwarded_for_from_an_untrusted_peer_is_ignored(make_app, make_client, family):
    client = _client(make_app, make_client, remote_addr=STRANGER, **family)
    seen = _who(
        client,
        {
            "X-Forwarded-For": "127.0.0.1",
            "X-Forwarded-Host": "bank.example",
            "X-Forwarded-Proto": "https",
            "Forwarded": "for=10.1.1.1;host=bank.example;proto=https",
        },
    )
    assert seen == {
        "ip": STRANGER,
        "port": 54321,
        "base": "http://localhost",
        "url": "http://localhost/who",
    }


def test_the_clients_own_leftmost_entry_is_never_trusted(client):
    # The client sent "X-Forwarded-For: 1.1.1.1"; our proxy appended the real peer.
    assert _who(client, {"X-Forwarded-For": "1.1.1.1, 198.51.100.7"})["ip"] == "198.51.100.7"
    # Junk the client put on the left is never even parsed.
    assert _who(client, {"X-Forwarded-For": "<script>, 198.51.100.7"})["ip"] == "198.51.100.7"


def test_trusted_hops_are_skipped_from_the_right(make_app, make_client):
    client = _client(make_app, make_client, trusted=["127.0.0.1", "10.0.0.0/8"], hops=3)
    headers = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.0.0.3, 10.0.0.2"}
    assert _who(client, headers)["ip"] == "198.51.100.7"


@pytest.mark.parametrize(("hops", "ip"), [(1, "10.0.0.2"), (2, "10.0.0.3"), (3, "198.51.100.7")])
def test_the_header_is_read_exactly_hops_far_and_no_further(make_app, make_client, hops, ip):
    # Three trusted proxies would append three entries; with fewer configured, the
    # entry at the last configured hop is the client, trusted network or not.
    client = _client(make_app, make_client, trusted=["127.0.0.1", "10.0.0.0/8"], hops=hops)
    headers = {"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.0.0.3, 10.0.0.2"}
    assert _who(client, headers)["ip"] == ip


def test_an_untrusted_entry_before_the_last_hop_is_the_client(make_app, make_client):
    # The request entered the chain at the inner proxy (it wrote 198.51.100.7, its
    # peer): what lies left of that was written by the client, however many hops.
    client = _client(make_app, make_client, trusted=["127.0.0.1", "10.0.0.0/8"], hops=3)
    assert _who(client, {"X-Forwarded-For": "10.0.0.9, 198.51.100.7"})["ip"] == "198.51.100.7"


def test_when_every_hop_is_trusted_the_leftmost_is_the_client(make_app, make_client):
    client = _client(make_app, make_client, trusted=["127.0.0.1", "10.0.0.0/8"], hops=2)
    assert _who(client, {"X-Forwarded-For": "10.9.9.9, 10.0.0.2"})["ip"] == "10.9.9.9"


@pytest.mark.parametrize(
    ("value", "ip", "port"),
    [
        ("2001:db8::7", "2001:db8::7", None),
        ("[2001:db8::7]:4711", "2001:db8::7", 4711),
        ("198.51.100.7:8080", "198.51.100.7", 8080),
        ("::ffff:198.51.100.7", "198.51.100.7", None),
        ("unknown", "unknown", None),
    ],
)
def test_address_forms(client, value, ip, port):
    seen = _who(client, {"X-Forwarded-For": value})
    assert (seen["ip"], seen["port"]) == (ip, port)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Forwarded-For", "not-an-ip"),
        ("X-Forwarded-For", "1.2.3.4:99999"),
        ("X-Forwarded-For", "[2001:db8::7"),
        ("X-Forwarded-Host", "evil.test/path"),
        ("X-Forwarded-Host", "user@evil.test"),
        ("X-Forwarded-Proto", "javascript"),
        ("Forwarded", "for"),
        ("Forwarded", "for=[2001:db8::7]:80"),
        ("Forwarded", "for=1.2.3.4;for=5.6.7.8"),
        ("Forwarded", 'for="unterminated'),
    ],
)
def test_malformed_headers_from_a_trusted_proxy_are_400(make_app, make_client, name, value):
    client = _client(make_app, make_client, forwarded=name == "Forwarded")
    result = client.get("/who", headers={name: value})
    assert result.status == 400
    assert name in result.text


@pytest.mark.parametrize(
    ("name", "value"),
    [
        # byte 0xB2 on the wire is "\u00b2" (superscript two) in WSGI's latin-1: isdigit() is true
        ("X-Forwarded-For", "198.51.100.7:\u00b2"),
        ("X-Forwarded-For", "198.51.100.7:\u0668\u0660"),  # Arabic-Indic digits, int() takes them
        ("X-Forwarded-For", "[2001:db8::7]:\uff18\uff10"),  # fullwidth digits
        ("X-Forwarded-Host", "example.com:\u0668\u0660"),
        ("X-Forwarded-Host", "example.com:99999"),
        ("X-Forwarded-For", "198.51.100.7:"),
        ("Forwarded", 'for="198.51.100.7:\u00b2"'),
        ("Forwarded", 'for="[2001:db8::7]:\u0668\u0660"'),
        ("Forwarded", "for=198.51.100.7;host=example.com:\u0668\u0660"),
    ],
)
def test_a_port_in_non_ascii_digits_is_400_not_500(make_app, make_client, name, value):
    client = _client(make_app, make_client, forwarded=name == "Forwarded")
    result = client.get("/who", headers={name: value})
    assert result.status == 400
    assert name in result.text


def test_host_and_scheme_set_the_base(client):
    headers = {"X-Forwarded-Host": "www.example.com", "X-Forwarded-Proto": "https"}
    seen = _who(client, headers)
    assert seen["base"] == "https://www.example.com"
    assert seen["url"] == "https://www.example.com/who"
    redirect = client.get("/go", headers=headers)
    assert redirect.headers["Location"] == "https://www.example.com/who"


def test_host_values_are_taken_from_the_outermost_trusted_proxy(make_app, make_client):
    client = _client(make_app, make_client, trusted=["127.0.0.1", "10.0.0.0/8"], hops=2)
    headers = {
        "X-Forwarded-For": "198.51.100.7, 10.0.0.2",
        "X-Forwarded-Host": "evil.test, www.example.com, internal.lan",
        "X-Forwarded-Proto": "http, https, http",
    }
    assert _who(client, headers)["base"] == "https://www.example.com"


def test_x_forwarded_ssl_on(make_app, make_client):
    client = _client(make_app, make_client, scheme="X-Forwarded-Ssl")
    assert _who(client, {"X-Forwarded-Ssl": "on"})["base"] == "https://localhost"
    assert _who(client, {"X-Forwarded-Ssl": "off"})["base"] == "http://localhost"


def test_rfc7239_forwarded(make_app, make_client):
    client = _client(make_app, make_client, forwarded=True)
    seen = _who(
        client, {"Forwarded": 'for="[2001:db8:cafe::17]:4711";proto=https;host=example.com'}
    )
    assert seen == {
        "ip": "2001:db8:cafe::17",
        "port": 4711,
        "base": "https://example.com",
        "url": "https://example.com/who",
    }


def test_forwarded_chain_is_read_from_the_right(make_app, make_client):
    client = _client(
        make_app, make_client, trusted=["127.0.0.1", "10.0.0.0/8"], forwarded=True, hops=2
    )
    value = (
        "for=6.6.6.6;host=evil.test, for=198.51.100.7;host=example.com;proto=https, for=10.0.0.2"
    )
    seen = _who(client, {"Forwarded": value})
    assert seen["ip"] == "198.51.100.7"
    assert seen["base"] == "https://example.com"


def test_only_the_named_family_is_read(make_app, make_client):
    headers = {"Forwarded": "for=198.51.100.1", "X-Forwarded-For": "198.51.100.2"}
    assert _who(_client(make_app, make_client, forwarded=True), headers)["ip"] == "198.51.100.1"
    assert _who(_client(make_app, make_client), headers)["ip"] == "198.51.100.2"


def test_a_client_element_left_of_the_proxys_is_never_parsed(make_app, make_client):
    client = _client(make_app, make_client, forwarded=True)
    seen = _who(client, {"Forwarded": "garbage;;=, for=198.51.100.7;proto=https"})
    assert (seen["ip"], seen["base"]) == ("198.51.100.7", "https://localhost")


def test_obfuscated_and_unknown_nodes(make_app, make_client):
    client = _client(make_app, make_client, forwarded=True)
    assert _who(client, {"Forwarded": "for=_hidden"})["ip"] == "_hidden"
    assert _who(client, {"Forwarded": "for=unknown"})["ip"] == "unknown"


def test_configured_base_applies_even_without_a_trusted_peer(make_app, make_client):
    client = _client(make_app, make_client, remote_addr=STRANGER, base="https://www.example.com")
    seen = _who(client, {"X-Forwarded-Host": "evil.test"})
    assert seen["base"] == "https://www.example.com"
    assert seen["ip"] == STRANGER


def test_a_base_with_a_path_becomes_the_script_name(make_app, make_client):
    client = _client(make_app, make_client, base="https://example.com/app", local="")
    assert _who(client)["url"] == "https://example.com/app/who"


def test_headers_not_named_are_never_read(make_app, make_client):
    headers = {
        "X-Forwarded-For": "198.51.100.7",
        "X-Forwarded-Host": "example.com",
        "X-Forwarded-Proto": "https",
        "Forwarded": "for=198.51.100.9;host=evil.test;proto=https",
    }
    only_for = _app(make_app, remote="X-Forwarded-For")
    only_for.config.sections["/"]["tools.as_json.on"] = True
    seen = _who(make_client(only_for), headers)
    assert (seen["ip"], seen["base"]) == ("198.51.100.7", "http://localhost")
    only_proto = _app(make_app, scheme="X-Forwarded-Proto")
    only_proto.config.sections["/"]["tools.as_json.on"] = True
    seen = _who(make_client(only_proto), headers)
    assert (seen["ip"], seen["base"]) == (PROXY, "https://localhost")


def test_what_the_tool_found_is_kept_for_the_request(make_app, make_client):
    from pegboard_http import ProxyInfo, proxy_info_of

    app = _app(make_app, **XFWD)
    seen = []
    app.route("/info", lambda req, resp: seen.append(proxy_info_of(req)) or "ok")
    make_client(app).get(
        "/info", headers={"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https"}
    )
    assert seen == [
        ProxyInfo(
            pegboard.Remote(PROXY, 54321),
            pegboard.Remote("198.51.100.7", None),
            None,
            "https",
            True,
        )
    ]
    bare = make_app({})
    bare.route("/info", lambda req, resp: repr(proxy_info_of(req)))
    assert make_client(bare).get("/info").text == "None"


def test_ipv4_mapped_peer_is_trusted(make_app, make_client):
    client = _client(make_app, make_client, remote_addr="::ffff:127.0.0.1")
    assert _who(client, {"X-Forwarded-For": "198.51.100.7"})["ip"] == "198.51.100.7"


def test_internal_redirect_keeps_the_result(client):
    headers = {"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Host": "example.com"}
    seen = _who(client, headers, path="/alias")
    assert seen["ip"] == "198.51.100.7"
    assert seen["base"] == "http://example.com"


@pytest.mark.parametrize(
    ("options", "key"),
    [
        ({"trusted": ["10.0.0.0/33"]}, "trusted"),
        ({"trusted": ["localhost"]}, "trusted"),
        ({"base": "ftp://example.com"}, "base"),
        ({"base": "https://example.com/?q=1"}, "base"),
        ({"base": "https://example.com:http"}, "base"),
        ({"trusted": "10.0.0.0/8"}, "trusted"),
        ({"hops": 0}, "hops"),
        ({"hops": 21}, "hops"),
        ({"remote": "X Forwarded For"}, "remote"),
        ({"forwarded": True, "remote": "X-Forwarded-For"}, "forwarded"),
    ],
)
def test_config_errors(make_app, options, key):
    app = _app(make_app, **{**XFWD, **options})
    with pytest.raises(pegboard.ConfigError, match=rf"tools\.proxy\.{key}"):
        app.start()


def test_a_proxy_tool_that_reads_nothing_is_a_config_error(make_app):
    app = make_app({"/": {"tools.proxy.on": True}})
    with pytest.raises(
        pegboard.ConfigError, match=r"tools\.proxy\.on: the proxy tool reads no header"
    ):
        app.start()
    alone = make_app({"/": {"tools.proxy.on": True, "tools.proxy.base": "https://example.com"}})
    alone.start()  # a fixed public origin is enough
    alone.stop()


def test_an_empty_trusted_list_trusts_no_one(make_app, make_client):
    client = _client(make_app, make_client, trusted=[])
    assert _who(client, {"X-Forwarded-For": "198.51.100.7"})["ip"] == PROXY
