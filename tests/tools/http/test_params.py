"""The params tool: request parameters converted by the handler's annotations."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Literal

import pytest

import pegboard


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


def _app(make_app, **options):
    config = {"tools.params.on": True, **{f"tools.params.{k}": v for k, v in options.items()}}
    app = make_app({"/": config})

    @app.route("/search")
    def search(
        req, resp, q: str, page: int = 1, exact: bool = False, tags: list[str] | None = None
    ):
        return f"q={q!r} page={page!r} exact={exact!r} tags={tags!r}"

    @app.route("/typed")
    def typed(
        req,
        resp,
        when: dt.date | None = None,
        price: decimal.Decimal | None = None,
        ref: uuid.UUID | None = None,
        colour: Colour = Colour.RED,
        size: Literal["s", "m", "l"] = "m",
        ratio: float = 1.0,
        ids: list[int] | None = None,
    ):
        return repr((when, price, ref, colour, size, ratio, ids))

    @app.route("/items/{item_id:int}")
    def item(req, resp, item_id, detail: bool = False):
        return f"item {item_id!r} detail={detail!r}"

    @app.route("/any")
    def anything(req, resp, limit: int = 10, **rest):
        return f"limit={limit!r} rest={sorted(rest.items())!r}"

    class Resource:
        def on_get(self, req, resp, n: int):
            return f"resource {n * 2}"

    app.route("/resource", Resource())
    return app


def test_conversion_and_defaults(make_app, make_client):
    client = make_client(_app(make_app))
    assert client.get("/search?q=cats").text == "q='cats' page=1 exact=False tags=None"
    result = client.get("/search?q=cats&page=3&exact=yes&tags=a&tags=b")
    assert result.text == "q='cats' page=3 exact=True tags=['a', 'b']"
    assert client.get("/search?q=x&tags=one").text.endswith("tags=['one']")


def test_form_parameters_count_too(make_app, make_client):
    result = make_client(_app(make_app)).post("/search", data={"q": "dogs", "page": "2"})
    assert result.text == "q='dogs' page=2 exact=False tags=None"


def test_many_types(make_app, make_client):
    query = (
        "/typed?when=2024-02-29&price=12.50&ref=12345678-1234-5678-1234-567812345678"
        "&colour=blue&size=l&ratio=0.25&ids=1&ids=2"
    )
    assert make_client(_app(make_app)).get(query).text == repr(
        (
            dt.date(2024, 2, 29),
            decimal.Decimal("12.50"),
            uuid.UUID("12345678-1234-5678-1234-567812345678"),
            Colour.BLUE,
            "l",
            0.25,
            [1, 2],
        )
    )


def test_an_empty_optional_value_is_none(make_app, make_client):
    assert make_client(_app(make_app)).get("/typed?when=").text.startswith("(None,")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("/search?q=x&page=abc", "page"),
        ("/search?q=x&page=1.5", "page"),
        ("/search?q=x&page=1&page=2", "page"),
        ("/search?q=x&exact=maybe", "exact"),
        ("/typed?when=2024-13-01", "when"),
        ("/typed?price=NaN", "price"),
        ("/typed?price=12,5", "price"),
        ("/typed?ref=not-a-uuid", "ref"),
        ("/typed?colour=green", "colour"),
        ("/typed?size=xl", "size"),
        ("/typed?ratio=inf", "ratio"),
        ("/typed?ids=1&ids=two", "ids"),
    ],
)
def test_conversion_failure_is_400_naming_the_parameter(make_app, make_client, query, name):
    result = make_client(_app(make_app)).get(query)
    assert result.status == 400
    assert f"Invalid value for parameter &#x27;{name}&#x27;" in result.text


def test_missing_required_parameter_is_400(make_app, make_client):
    result = make_client(_app(make_app)).get("/search")
    assert result.status == 400
    assert "Missing parameter &#x27;q&#x27;" in result.text


def test_json_clients_get_the_message_as_json(make_app, make_client):
    result = make_client(_app(make_app)).get(
        "/search?q=x&page=abc", headers={"Accept": "application/json"}
    )
    assert result.status == 400
    assert "'page'" in result.json()["message"]


def test_path_parameters_are_left_to_the_route(make_app, make_client):
    client = make_client(_app(make_app))
    assert client.get("/items/5?detail=1").text == "item 5 detail=True"
    # a query parameter may not override a path parameter
    assert client.get("/items/5?item_id=9").text == "item 5 detail=False"


def test_kwargs_receive_the_other_parameters_but_never_req_or_resp(make_app, make_client):
    result = make_client(_app(make_app)).get("/any?limit=3&x=1&x=2&req=evil&resp=evil")
    assert result.status == 200
    assert result.text == "limit=3 rest=[('x', ['1', '2'])]"


def test_resource_methods(make_app, make_client):
    assert make_client(_app(make_app)).get("/resource?n=21").text == "resource 42"


class NotPrime(Exception):
    pass


def prime(text: str) -> int:
    value = int(text)
    if value not in (2, 3, 5, 7):
        raise NotPrime(f"{value} is not a small prime")
    return value


def test_error_status_and_extra_exception(make_app, make_client):
    app = make_app(
        {
            "/": {
                "tools.params.on": True,
                "tools.params.error": 422,
                "tools.params.exception": NotPrime,
            }
        }
    )

    @app.route("/p")
    def p(req, resp, n: prime):  # type: ignore[valid-type]
        return str(n)

    client = make_client(app)
    assert client.get("/p?n=7").text == "7"
    result = client.get("/p?n=8")
    assert result.status == 422
    assert "8 is not a small prime" in result.text
    assert client.get("/p").status == 422


def test_an_annotation_that_cannot_be_resolved_is_a_logged_500(make_app, make_client, caplog):
    class Local:
        pass

    app = make_app({"/": {"tools.params.on": True}})

    @app.route("/local")
    def local(req: UnknownRequestType, resp, thing: Local):  # type: ignore[name-defined]  # noqa: F821
        return "never"

    result = make_client(app).get("/local?thing=x")
    assert result.status == 500
    assert "cannot resolve the annotation 'Local'" in caplog.text


def test_unresolvable_req_and_resp_annotations_do_not_matter(make_app, make_client):
    app = make_app({"/": {"tools.params.on": True}})

    @app.route("/fine")
    def fine(req: UnknownRequestType, resp: UnknownResponseType, n: int):  # type: ignore[name-defined]  # noqa: F821
        return str(n + 1)

    assert make_client(app).get("/fine?n=1").text == "2"


def test_params_composes_with_other_wrappers(make_app, make_client):
    def shout(handler, req, resp):
        return handler().upper()

    app = make_app({"/": {"tools.params.on": True, "tools.shout.on": True}})
    app.add_tool(pegboard.WrapperTool("shout", shout, priority=70))

    @app.route("/hi")
    def hi(req, resp, name: str):
        return f"hi {name}"

    assert make_client(app).get("/hi?name=ann").text == "HI ANN"


@pytest.mark.parametrize(
    ("options", "key"),
    [({"error": 500}, "error"), ({"exception": "builtins:len"}, "exception")],
)
def test_config_errors(make_app, options, key):
    app = _app(make_app, **options)
    with pytest.raises(pegboard.ConfigError, match=rf"tools\.params\.{key}"):
        app.start()
