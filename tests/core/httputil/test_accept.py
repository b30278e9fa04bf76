"""Content negotiation: Accept, Accept-Encoding, Accept-Charset, Accept-Language (RFC 9110 §12)."""

from __future__ import annotations

import pytest

from pegboard import httputil
from pegboard.httputil import HeaderError

# -- q-values -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1.0),
        ("1.000", 1.0),
        ("0", 0.0),
        ("0.5", 0.5),
        ("0.001", 0.001),
        (".5", 0.5),  # not RFC grammar, but sent by real clients
        ("0.12345", 0.12345),
        ("1.001", None),
        ("2", None),
        ("-0.5", None),
        ("abc", None),
        ("", None),
        ("1e-1", None),
        ("nan", None),
        ("inf", None),
        ("0x1", None),
        ("\u0660.\u0665", None),  # Arabic-Indic digits are not DIGIT
        ("9" * 5000, None),
        ("0." + "9" * 5000, 1.0),  # float() has no int-string limit; this rounds to 1
    ],
)
def test_parse_qvalue(text, expected):
    assert httputil.parse_qvalue(text) == expected


# -- Accept ---------------------------------------------------------------------

RFC_ACCEPT = "text/*;q=0.3, text/html;q=0.7, text/html;level=1, text/html;level=2;q=0.4, */*;q=0.5"


@pytest.mark.parametrize(
    ("offer", "q"),
    [
        ("text/html;level=1", 1.0),
        ("text/html", 0.7),
        ("text/plain", 0.3),
        ("image/jpeg", 0.5),
        ("text/html;level=2", 0.4),
        ("text/html;level=3", 0.7),
    ],
)
def test_accept_rfc_example_most_specific_range_wins(offer, q):
    # The example of RFC 7231 §5.3.2, which RFC 9110 §12.5.1 keeps in spirit.
    assert httputil.parse_accept(RFC_ACCEPT).quality(offer) == q


def test_accept_rfc_9110_example():
    accept = httputil.parse_accept(
        "text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, "
        "text/plain;format=fixed;q=0.4, */*;q=0.5"
    )
    assert accept.quality("text/plain;format=flowed") == 1.0
    assert accept.quality("text/plain") == 0.7
    assert accept.quality("text/html") == 0.3
    assert accept.quality("image/jpeg") == 0.5
    assert accept.quality("text/plain;format=fixed") == 0.4


def test_accept_items_keep_parameters_before_q_and_drop_extensions():
    (item,) = httputil.parse_accept('Text/HTML; Level="1"; q=0.5; ext=x').ranges
    assert (item.type, item.subtype, item.params, item.q) == (
        "text",
        "html",
        (("level", "1"),),
        0.5,
    )


def test_best_media_prefers_the_clients_weights_then_the_offer_order():
    offers = ("application/json", "text/html")
    assert httputil.best_media("text/html, application/json;q=0.9", offers) == "text/html"
    assert httputil.best_media("*/*", offers) == "application/json"
    assert httputil.best_media("text/*", offers) == "text/html"
    assert httputil.best_media("image/png", offers) is None
    assert httputil.best_media("*/*, text/html;q=0", offers) == "application/json"
    assert httputil.best_media("application/json;q=0, */*", offers) == "text/html"


def test_best_media_without_a_header_takes_the_first_offer():
    assert httputil.best_media(None, ["text/csv", "text/html"]) == "text/csv"
    assert httputil.best_media("", ["text/csv", "text/html"]) == "text/csv"
    assert httputil.best_media("text/html", []) is None


def test_accept_bare_star_is_any_media_type():
    # Java's default Accept header ends with "*; q=.2".
    accept = httputil.parse_accept("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2")
    assert accept.quality("application/json") == 0.2


def test_accept_parameter_values_compare_without_case():
    accept = httputil.parse_accept("text/plain;charset=UTF-8")
    assert accept.acceptable("text/plain; charset=utf-8")
    assert not accept.acceptable("text/plain")  # the range asks for a charset the offer lacks


def test_accept_many_parameters_do_not_outrank_a_more_specific_type():
    # */* with ten parameters is still less specific than text/* (precedence is type first).
    params = ";".join(f"p{i}=1" for i in range(12))
    accept = httputil.parse_accept(f"*/*;{params};q=0.9, text/*;q=0.2")
    offer = "text/html;" + params
    assert accept.quality(offer) == 0.2


@pytest.mark.parametrize(
    "header",
    [
        "text",
        "*/html",
        "text/html;q=2",
        "text/html;q=x",
        "text/",
        "/html",
        'text/html;a="x',
        "a b/c",
    ],
)
def test_malformed_accept_is_a_header_error_when_strict(header):
    with pytest.raises(HeaderError):
        httputil.parse_accept(header)
    with pytest.raises(HeaderError):
        httputil.best_media(header, ["text/html"])


def test_lenient_accept_skips_only_the_malformed_member():
    accept = httputil.parse_accept("*/html, text/html;q=0.5, junk", strict=False)
    assert [r.subtype for r in accept.ranges] == ["html"]
    assert (
        httputil.best_media(
            "text/html;q=x, application/json", ["text/html", "application/json"], strict=False
        )
        == "application/json"
    )


def test_an_offer_that_is_not_a_media_type_is_a_header_error():
    with pytest.raises(HeaderError, match="offer"):
        httputil.parse_accept("*/*").quality("html")
    with pytest.raises(HeaderError):
        httputil.best_media("text/html", ["text/*"])


def test_ranked_lists_acceptable_offers_best_first():
    accept = httputil.parse_accept("text/html;q=0.5, application/json, text/csv;q=0")
    ranked = accept.ranked(["text/csv", "text/html", "application/json", "image/png"])
    assert ranked == ("application/json", "text/html")


# -- Accept-Encoding ----------------------------------------------------------------

OFFERED = ("zstd", "br", "gzip", "deflate")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # The gzip tool's table (tests/tools/gzip/test_negotiation.py), kept as it is.
        (None, None),
        ("", None),  # an empty value means identity only (RFC 9110 §12.5.3)
        ("gzip", "gzip"),
        ("GZIP", "gzip"),
        ("x-gzip", "gzip"),
        ("deflate", "deflate"),
        ("gzip;q=0.5, br;q=0.8", "br"),
        ("gzip;q=0.8, br;q=0.8, zstd;q=0.8", "zstd"),
        ("gzip, br;q=0", "gzip"),
        ("*", "zstd"),
        ("*;q=0.5, gzip;q=0.9", "gzip"),
        ("*, zstd;q=0, br;q=0", "gzip"),
        ("gzip;q=0", None),
        ("gzip;q=0, identity;q=0", None),
        ("identity;q=0, gzip;q=0", None),
        ("compress, x-unknown", None),
        ("gzip;q=0.5, identity;q=1", None),
        ("gzip;q=0.5", "gzip"),
        ("gzip;q=abc, br", "br"),
        ("gzip;q=2", None),
        (" gzip ; q=0.3 ,, ", "gzip"),
        ("gzip;q=0, gzip;q=1", "gzip"),  # a repeated coding keeps its highest weight
        ("br;q=0.5, identity;q=0.5", "br"),  # a tie with identity goes to the coding
    ],
)
def test_best_encoding(header, expected):
    assert httputil.best_encoding(header, OFFERED, strict=False) == expected


def test_ranked_encodings_matches_the_static_tools_precompressed_order():
    codings = ("br", "zstd", "gzip")
    assert httputil.ranked_encodings("gzip, br", codings) == ("br", "gzip")
    assert httputil.ranked_encodings("gzip;q=1, br;q=0.5", codings) == ("gzip", "br")
    assert httputil.ranked_encodings("*", codings) == codings
    assert httputil.ranked_encodings("gzip;q=0.4, identity;q=0.5, br", codings) == ("br",)
    assert httputil.ranked_encodings(None, codings) == ()
    assert httputil.ranked_encodings("", codings) == ()


def test_identity_rules_of_rfc_9110():
    prefs = httputil.parse_accept_encoding("gzip")
    assert prefs.acceptable("identity")  # acceptable unless excluded
    assert prefs.quality("identity") < prefs.quality("gzip")  # but named codings come first
    assert not httputil.parse_accept_encoding("identity;q=0").acceptable("identity")
    assert not httputil.parse_accept_encoding("*;q=0").acceptable("identity")
    assert httputil.parse_accept_encoding("*;q=0, identity").acceptable("identity")
    assert httputil.parse_accept_encoding("").acceptable("identity")
    assert not httputil.parse_accept_encoding("").acceptable("gzip")


def test_accept_encoding_star_covers_identity():
    # "*" matches every coding not listed, identity included (RFC 9110 §12.5.3).
    prefs = httputil.parse_accept_encoding("*, gzip;q=0.5")
    assert prefs.quality("identity") == 1.0
    assert httputil.best_encoding("*, gzip;q=0.5", ["gzip"]) is None


def test_strict_accept_encoding_raises_and_lenient_skips():
    with pytest.raises(HeaderError):
        httputil.parse_accept_encoding("gzip;q=abc")
    with pytest.raises(HeaderError):
        httputil.best_encoding("gzip, b@d", ["gzip"])
    assert httputil.best_encoding("gzip, b@d", ["gzip"], strict=False) == "gzip"


# -- Accept-Charset ---------------------------------------------------------------


def test_accept_charset():
    prefs = httputil.parse_accept_charset("iso-8859-5, unicode-1-1;q=0.8")
    assert prefs.quality("ISO-8859-5") == 1.0
    assert prefs.quality("unicode-1-1") == 0.8
    assert prefs.quality("utf-8") == 0.0
    assert httputil.parse_accept_charset("utf-8, *;q=0.1").quality("latin-1") == 0.1
    assert httputil.parse_accept_charset("").quality("utf-8") == 1.0
    assert [i.value for i in prefs.items] == ["iso-8859-5", "unicode-1-1"]


def test_best_charset():
    offers = ("utf-8", "iso-8859-1")
    assert httputil.best_charset("iso-8859-1, utf-8;q=0.5", offers) == "iso-8859-1"
    assert httputil.best_charset("utf-16", offers) is None
    assert httputil.best_charset(None, offers) == "utf-8"
    with pytest.raises(HeaderError):
        httputil.best_charset("utf-8;q=5", offers)


# -- Accept-Language -----------------------------------------------------------------


def test_accept_language_basic_filtering():
    prefs = httputil.parse_accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5")
    assert prefs.quality("fr-ch") == 1.0
    assert prefs.quality("fr") == 0.9
    assert prefs.quality("fr-FR") == 0.9  # "fr" covers fr-FR
    assert prefs.quality("en-GB") == 0.8
    assert prefs.quality("enx") == 0.5  # a prefix must end at a "-"
    assert prefs.quality("ja") == 0.5
    assert httputil.parse_accept_language("en-GB").quality("en") == 0.0  # not the reverse


def test_best_language():
    offers = ["en", "de", "fr"]
    assert httputil.best_language("da, en-gb;q=0.8, en;q=0.7", offers) == "en"
    assert httputil.best_language("de-CH;q=0.9, fr;q=0.5", offers) == "fr"
    assert httputil.best_language(None, offers) == "en"
    assert httputil.best_language("ja", offers) is None


@pytest.mark.parametrize("header", ["en_US", "toolongtag", "en-", "-en", "e1"])
def test_malformed_language_ranges(header):
    with pytest.raises(HeaderError):
        httputil.parse_accept_language(header)
    assert httputil.parse_accept_language(header + ", de", strict=False).quality("de") == 1.0
