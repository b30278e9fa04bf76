"""Which requests are profiled, what is kept, and the aggregate across requests."""

from __future__ import annotations

import json
import os
import pstats
import threading

import httpx
import pytest

import pegboard_profiler
from pegboard import ConfigError
from pegboard_profiler import profile_of

SECRET = "s3cret-trigger-token-0123"


def spend_time_in_a_recognisable_function() -> int:
    total = 0
    for i in range(60_000):
        total += i * i
    return total


def _app(make_app, folder, section_extra=None, **options):
    config = {"tools.profiler.on": True, "tools.profiler.folder": str(folder)}
    config.update({f"tools.profiler.{k}": v for k, v in options.items()})
    app = make_app(
        {
            "/": config,
            "/off": {"tools.profiler.on": False},
            "/_profiler": {"tools.profiler_page.on": True, "tools.profiler.on": False},
            **(section_extra or {}),
        }
    )

    @app.route("/work/{n:int}")
    def work(req, resp, n):
        spend_time_in_a_recognisable_function()
        return f"profile={profile_of(req)}"

    @app.route("/off")
    def off(req, resp):
        return "off"

    return app


def _html_files(folder):
    return sorted(p for p in folder.glob("*.html"))


def test_one_request_in_every_is_profiled_and_kept_as_a_call_tree(make_app, make_client, tmp_path):
    client = make_client(_app(make_app, tmp_path, every=3, engine="pyinstrument"))
    for n in range(7):
        assert client.get(f"/work/{n}").status == 200
    kept = _html_files(tmp_path)
    assert len(kept) == 2  # requests 3 and 6
    metas = [json.loads(p.with_suffix(".json").read_text()) for p in kept]
    assert [m["path"] for m in metas] == ["/work/2", "/work/5"]
    assert {m["route"] for m in metas} == {"/work/{n:int}"}
    assert {m["trigger"] for m in metas} == {"sampled"}
    assert all(m["status"] == 200 and m["duration_ms"] > 0 for m in metas)
    assert "spend_time_in_a_recognisable_function" in kept[0].read_text()
    assert all((p.stat().st_mode & 0o077) == 0 for p in kept)  # private to the user


def test_only_the_newest_profiles_are_kept(make_app, make_client, tmp_path):
    client = make_client(_app(make_app, tmp_path, every=1, engine="pyinstrument", keep=2))
    for n in range(5):
        client.get(f"/work/{n}")
    metas = [json.loads(p.with_suffix(".json").read_text()) for p in _html_files(tmp_path)]
    assert [m["path"] for m in metas] == ["/work/3", "/work/4"]


def test_a_request_with_the_secret_in_the_header_or_cookie_is_profiled(
    make_app, make_client, tmp_path
):
    client = make_client(_app(make_app, tmp_path, every=0, secret=SECRET))
    plain = client.get("/work/1")
    assert plain.text == "profile=None" and "X-Profile-Id" not in plain.headers
    wrong = client.get("/work/2", headers={"X-Profile": SECRET[:-1] + "x"})
    assert wrong.text == "profile=None" and "X-Profile-Id" not in wrong.headers
    by_header = client.get("/work/3", headers={"X-Profile": SECRET})
    profile_id = by_header.headers["X-Profile-Id"]
    assert by_header.text == f"profile={profile_id}"
    by_cookie = client.get("/work/4", headers={"Cookie": f"pegboard_profile={SECRET}"})
    assert by_cookie.headers["X-Profile-Id"] != profile_id
    kept = {p.stem for p in _html_files(tmp_path)}
    assert kept == {profile_id, by_cookie.headers["X-Profile-Id"]}
    metas = [json.loads((tmp_path / f"{k}.json").read_text()) for k in kept]
    assert {m["trigger"] for m in metas} == {"triggered"}


def test_cprofile_aggregates_every_profiled_request_with_exact_counts(
    make_app, make_client, tmp_path
):
    client = make_client(_app(make_app, tmp_path, every=1, engine="cprofile"))
    for n in range(3):
        assert client.get(f"/work/{n}").text.startswith("profile=")
    [aggregate] = tmp_path.glob("aggregate-*.pstats")
    assert aggregate.name == f"aggregate-{os.getpid()}.pstats"
    stats = pstats.Stats(str(aggregate)).stats
    [calls] = [
        value[1]
        for (_file, _line, name), value in stats.items()
        if name == "spend_time_in_a_recognisable_function"
    ]
    assert calls == 3
    assert _html_files(tmp_path) == []


def test_both_engines_take_turns_on_sampled_requests(make_app, make_client, tmp_path):
    client = make_client(_app(make_app, tmp_path, every=1))  # engine "both" by default
    for n in range(4):
        client.get(f"/work/{n}")
    assert len(_html_files(tmp_path)) == 2  # the 1st and 3rd
    [aggregate] = tmp_path.glob("aggregate-*.pstats")
    stats = pstats.Stats(str(aggregate)).stats
    [calls] = [v[1] for k, v in stats.items() if k[2] == "spend_time_in_a_recognisable_function"]
    assert calls == 2  # the 2nd and 4th


def test_a_streamed_body_is_in_the_profile_until_it_was_sent(make_app, make_client, tmp_path):
    app = _app(make_app, tmp_path, every=1, engine="pyinstrument")

    @app.route("/stream")
    def stream(req, resp):
        def chunks():
            yield b"a"
            spend_time_in_a_recognisable_function()
            yield b"b"

        return chunks()

    assert make_client(app).get("/stream").body == b"ab"
    [kept] = _html_files(tmp_path)
    assert "spend_time_in_a_recognisable_function" in kept.read_text()


def test_paths_where_the_profiler_is_off_have_nothing_attached(make_app, make_client, tmp_path):
    app = _app(make_app, tmp_path, every=1)
    make_client(app).get("/off")
    assert _html_files(tmp_path) == []
    plan = app.router.static["/off"].default_plan
    assert all(h.source != "profiler" for hooks in plan.hooks.values() for h in hooks)


def test_one_request_at_a_time_is_profiled(make_app, live_server, tmp_path):
    app = _app(make_app, tmp_path, every=0, secret=SECRET)
    inside, release = threading.Event(), threading.Event()

    @app.route("/hold")
    def hold(req, resp):
        inside.set()
        release.wait(10)
        return "held"

    server = live_server(app)
    headers = {"X-Profile": SECRET}
    with httpx.Client(timeout=20) as client:
        results = {}

        def first():
            results["first"] = client.get(f"{server.url}/hold", headers=headers)

        thread = threading.Thread(target=first)
        thread.start()
        assert inside.wait(10)
        second = httpx.get(f"{server.url}/work/1", headers=headers, timeout=20)
        release.set()
        thread.join(20)
    assert "X-Profile-Id" in results["first"].headers
    assert "X-Profile-Id" not in second.headers  # the profiler was busy
    third = httpx.get(f"{server.url}/work/2", headers=headers, timeout=20)
    assert "X-Profile-Id" in third.headers  # and free again afterwards


def test_declared_hooks_match_what_attach_adds(make_app, tmp_path):
    app = _app(make_app, tmp_path, every=1)
    attached = {
        (point, hook.priority, hook.source)
        for plan in app.plans()
        for point, hooks in plan.hooks.items()
        for hook in hooks
        if hook.source in ("profiler", "profiler_page")
    }
    declared = {
        (h.point, h.priority, tool.name)
        for tool in (pegboard_profiler.ProfilerTool(), pegboard_profiler.ProfilerPageTool())
        for h in tool.hooks
        if not h.per_request
    }
    assert attached == declared


def test_every_option_has_a_meaning_for_the_reference():
    for tool in (pegboard_profiler.ProfilerTool(), pegboard_profiler.ProfilerPageTool()):
        assert all(option.doc for option in tool.options.values())


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"every": 0}, "tools.profiler.every: with every = 0 and no secret"),
        ({"secret": "short"}, "tools.profiler.secret: must be at least 16"),
        ({"every": -1}, "tools.profiler.every: must be 0 or more"),
        ({"header": "X Profile"}, "tools.profiler.header"),
        ({"keep": 0}, "tools.profiler.keep"),
        ({"interval": 0}, "tools.profiler.interval"),
        ({"engine": "perf"}, "tools.profiler.engine"),
    ],
)
def test_wrong_options_are_config_errors_naming_the_key(make_app, tmp_path, options, words):
    app = _app(make_app, tmp_path, **options)
    with pytest.raises(ConfigError, match=words):
        app.start()


def test_a_link_or_a_file_in_place_of_the_folder_is_refused_at_start(make_app, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "file").write_text("not a folder")
    for name in ("link", "file"):
        app = _app(make_app, tmp_path / name, every=1)
        with pytest.raises(ConfigError, match=r"tools\.profiler\.folder"):
            app.start()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_a_folder_another_user_owns_is_refused_at_start(make_app, tmp_path):
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    os.chown(theirs, 1, 1)
    app = _app(make_app, theirs, every=1)
    with pytest.raises(ConfigError, match="belongs to another user"):
        app.start()


def test_the_default_folder_is_private_and_in_the_temporary_folder(make_app, make_client):
    folder = pegboard_profiler.default_folder()
    app = make_app({"/": {"tools.profiler.on": True, "tools.profiler.every": 1}})
    app.route("/", lambda req, resp: "hi")
    make_client(app).get("/")
    assert folder.is_dir()
    assert folder.stat().st_mode & 0o077 == 0
    assert str(folder).startswith(__import__("tempfile").gettempdir())
