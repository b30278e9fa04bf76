"""Every check an options class makes is a ConfigError naming the key, at start-up."""

from __future__ import annotations

import pytest

import pegboard

CASES = [
    ("request_id", {"header": "X Request Id"}, "header", "is not a header name"),
    ("request_id", {"trusted": ["10.0.0.0/33"]}, "trusted", "not an IP address or network"),
    ("response_headers", {"headers": {"X-Bad": "a\x00b"}}, "headers", "line break or NUL"),
    ("response_headers", {"headers": [["Bad Name", "x"]]}, "headers", "is not a header name"),
    ("allow", {"methods": []}, "methods", "list at least one method"),
    ("allow", {"methods": ["G ET"]}, "methods", "is not an HTTP method name"),
    ("referer", {"pattern": "("}, "pattern", "not a regular expression"),
    ("referer", {"pattern": "x", "error": 302}, "error", "4xx or 5xx"),
    ("trailing_slash", {"status": 200}, "status", "3xx"),
    ("redirect", {"url": " "}, "url", "must not be empty"),
    ("redirect", {"url": "https://x.test/"}, "url", "internal redirect goes to a path"),
    ("err_redirect", {"url": "/oops", "status": 500}, "status", "3xx"),
    ("decode", {"encoding": ["utf-8", "rot13"]}, "encoding", "not a charset"),
    ("decode", {"default_encoding": "hex"}, "default_encoding", "not a charset"),
    ("encode", {"encoding": "base64"}, "encoding", "not a charset"),
    ("encode", {"errors": "shrug"}, "errors", "not an error handler"),
    ("accept", {"media": ["text/*"]}, "media", "no wildcards"),
    ("params", {"error": 500}, "error", "4xx"),
    ("params", {"exception": "builtins:len"}, "exception", "not an exception class"),
    ("log_headers", {"severity": "LOUD"}, "severity", "not a logging level"),
    ("log_tracebacks", {"severity": "LOUD"}, "severity", "not a logging level"),
    ("log_hooks", {"severity": "LOUD"}, "severity", "not a logging level"),
    ("proxy", {"remote": "X-Forwarded-For", "hops": 0}, "hops", "1 to 20"),
    ("proxy", {"scheme": "X Proto"}, "scheme", "is not a header name"),
    ("proxy", {"local": "Host", "forwarded": True}, "forwarded", "not both"),
    ("proxy", {"base": "https://user@example.com"}, "base", "is not an origin"),
    ("proxy", {}, "on", "reads no header"),
]


@pytest.mark.parametrize(("tool", "options", "key", "message"), CASES)
def test_a_bad_option_is_a_config_error_naming_the_key(make_app, tool, options, key, message):
    config = {f"tools.{tool}.on": True, **{f"tools.{tool}.{k}": v for k, v in options.items()}}
    if tool == "referer" and "pattern" not in options:
        config["tools.referer.pattern"] = "x"
    app = make_app({"/": config})
    with pytest.raises(pegboard.ConfigError, match=rf"tools\.{tool}\.{key}: .*{message}"):
        app.start()
