"""Hostile and broken calls get a clear 4xx, sent over a real socket with httpx."""

from __future__ import annotations

import gzip
import xmlrpc.client

import httpx
import pytest

import pegboard_xmlrpc

LIMIT = 64 * 1024


@pytest.fixture
def url(make_app, live_server):
    app = make_app(
        {"/rpc": {"tools.xmlrpc.on": True, "request.max_body_size": LIMIT}},
        plugins=[pegboard_xmlrpc],
    )

    @app.route("/rpc/echo")
    def echo(req, resp, *values):
        return list(values)

    @app.route("/rpc/depth")
    def depth(req, resp, value):
        levels = 0
        while isinstance(value, list):
            value, levels = (value[0] if value else None), levels + 1
        return levels

    return live_server(app).url + "/rpc"


def _post(url, body, content_type="text/xml", **headers):
    return httpx.post(url, content=body, headers={"Content-Type": content_type, **headers})


def _call(name, body_params=""):
    return (
        f"<?xml version='1.0'?><methodCall><methodName>{name}</methodName>"
        f"<params>{body_params}</params></methodCall>"
    ).encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<methodCall><methodName>echo</methodName>
<params><param><value><string>&lol9;</string></value></param></params></methodCall>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE call [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<methodCall><methodName>echo</methodName>
<params><param><value><string>&secret;</string></value></param></params></methodCall>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE methodCall SYSTEM "http://127.0.0.1:9/evil.dtd">
<methodCall><methodName>echo</methodName><params/></methodCall>"""


@pytest.mark.parametrize(
    "body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["laughs", "entity", "dtd"]
)
def test_dtds_and_entities_are_refused_with_400(url, body):
    response = _post(url, body)
    assert response.status_code == 400
    assert "Document type declarations and entities are refused" in response.text
    assert "root:" not in response.text


def test_a_body_over_max_body_size_is_413(url):
    padding = "<param><value><string>" + "x" * 1000 + "</string></value></param>"
    response = _post(url, _call("echo", padding * 100))
    assert response.status_code == 413


def test_a_gzip_bomb_is_413_once_inflated_past_the_limit(url):
    bomb = gzip.compress(_call("echo", "<param><value><string>" + "x" * (10 * LIMIT)))
    assert len(bomb) < LIMIT
    response = _post(url, bomb, **{"Content-Encoding": "gzip"})
    assert response.status_code == 413


def test_a_small_gzip_call_is_answered(url):
    body = gzip.compress(xmlrpc.client.dumps((1, "two"), "echo").encode())
    response = _post(url, body, **{"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert xmlrpc.client.loads(response.content)[0] == ([1, "two"],)


def test_other_content_encodings_are_415(url):
    response = _post(url, b"...", **{"Content-Encoding": "br"})
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"<methodCall><methodName>echo</methodName><params>", "not well-formed"),
        (b"not xml at all", "not well-formed"),
        (
            xmlrpc.client.dumps((1,), methodresponse=True).encode(),
            "not an XML-RPC methodCall",
        ),
        (_call("echo", "<param><value><int>12x</int></value></param>"), "not valid XML-RPC"),
        (_call("echo", "<param><value><int>" + "9" * 5000 + "</int></value></param>"), "valid"),
        (_call("echo", "<param><value><nil/></value></param>"), "does not accept"),
    ],
    ids=["truncated", "text", "response", "bad-int", "huge-int", "nil"],
)
def test_broken_calls_are_400_saying_why(url, body, words):
    response = _post(url, body)
    assert response.status_code == 400
    assert words in response.text


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_that_is_not_xml_is_415_so_no_form_can_post_calls(url, content_type):
    response = _post(url, xmlrpc.client.dumps((1,), "echo").encode(), content_type=content_type)
    assert response.status_code == 415


def test_application_xml_with_a_charset_is_accepted(url):
    body = xmlrpc.client.dumps(("é",), "echo").encode()
    response = _post(url, body, content_type="application/xml; charset=utf-8")
    assert response.status_code == 200
    assert xmlrpc.client.loads(response.content)[0] == (["é"],)


def test_get_on_the_endpoint_is_405_naming_post(url):
    response = httpx.get(url)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


def test_deep_nesting_within_the_size_limit_is_answered_not_crashed(url):
    depth = 1200
    nested = "<value><array><data>" * depth + "</data></array></value>" * depth
    response = _post(url, _call("depth", f"<param>{nested}</param>"))
    assert response.status_code == 200
    assert xmlrpc.client.loads(response.content)[0] == (depth,)


def test_a_result_too_deep_to_write_is_a_fault(url):
    depth = 1200
    nested = "<value><array><data>" * depth + "</data></array></value>" * depth
    response = _post(url, _call("echo", f"<param>{nested}</param>"))
    assert response.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(response.content)
    assert fault.value.faultCode == 500
