"""The development loop: `pegboard serve --reload` restarts on changes; `--debug` shows
tracebacks to loopback clients only."""

from __future__ import annotations

import signal
import textwrap
import time
from pathlib import Path

import httpx

from .test_serve import STOP_TIMEOUT, _pegboard_command, _serve

APP = """
import pegboard

app = pegboard.App(config={{"request": {{"allowed_hosts": ["127.0.0.1", "localhost"]}}}})


@app.route("/")
def home(req, resp):
    return "{text}"


@app.route("/boom")
def boom(req, resp):
    raise RuntimeError("the secret detail")
"""


def _write_app(path: Path, text: str) -> None:
    path.write_text(textwrap.dedent(APP.format(text=text)), encoding="utf-8")


def _stop(process) -> str:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return ""


def test_reload_restarts_when_the_code_changes(tmp_path: Path) -> None:
    app_file = tmp_path / "devapp.py"
    _write_app(app_file, "first")
    log = tmp_path / "serve.log"
    process, port = _serve([*_pegboard_command(), "serve", str(app_file), "--reload"], log)
    try:
        url = f"http://127.0.0.1:{port}/"
        assert httpx.get(url, timeout=5).text == "first"
        time.sleep(0.5)  # the watcher is up before the file changes
        _write_app(app_file, "second")
        deadline = time.monotonic() + 20
        seen = None
        while time.monotonic() < deadline:
            try:
                seen = httpx.get(url, timeout=2).text
            except httpx.HTTPError:
                seen = None  # restarting
            if seen == "second":
                break
            time.sleep(0.2)
        assert seen == "second", log.read_text(errors="replace")
    finally:
        _stop(process)
    output = log.read_text(errors="replace")
    assert "devapp.py changed; restarting" in output
    assert "reloading on changes in" in output


def test_debug_shows_tracebacks_to_loopback_clients_only(tmp_path: Path) -> None:
    app_file = tmp_path / "debugapp.py"
    _write_app(app_file, "ok")
    log = tmp_path / "serve.log"
    process, port = _serve([*_pegboard_command(), "serve", str(app_file), "--debug"], log)
    try:
        url = f"http://127.0.0.1:{port}/boom"
        local = httpx.get(url, timeout=5)
        assert local.status_code == 500
        assert "Traceback" in local.text and "the secret detail" in local.text
        # The same request as a proxy on this host would pass it on: not shown.
        proxied = httpx.get(url, headers={"X-Forwarded-For": "203.0.113.9"}, timeout=5)
        assert proxied.status_code == 500
        assert "the secret detail" not in proxied.text
    finally:
        _stop(process)
    assert "debug mode: tracebacks are shown to loopback clients" in log.read_text()


def test_without_debug_no_traceback_reaches_the_client(tmp_path: Path) -> None:
    app_file = tmp_path / "plainapp.py"
    _write_app(app_file, "ok")
    log = tmp_path / "serve.log"
    process, port = _serve([*_pegboard_command(), "serve", str(app_file)], log)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/boom", timeout=5)
        assert response.status_code == 500
        assert "the secret detail" not in response.text
    finally:
        _stop(process)
