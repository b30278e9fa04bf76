"""`pegboard serve --workers 2`: a scrape counts the requests of every worker process."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from pegboard.testing.backends import free_port
from pegboard_stats.shared import ENV_DIR, ENV_OWNER, resolve_directory

APP = """
import os
import pegboard

app = pegboard.App({
    "/": {"tools.stats.on": True, "tools.stats.flush_interval": 0.2},
    "/metrics": {"tools.stats_metrics.on": True},
    "/stats": {"tools.stats_page.on": True},
})


@app.route("/pid")
def pid(req, resp):
    return str(os.getpid())
"""
START_TIMEOUT = 30.0


def _pegboard() -> list[str]:
    script = Path(sys.executable).with_name("pegboard")
    if script.exists():
        return [str(script)]
    found = shutil.which("pegboard")
    return [found] if found else [sys.executable, "-m", "pegboard.cli"]


def _serve(folder: Path, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in (ENV_DIR, ENV_OWNER)}
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*_pegboard(), "serve", "app.py", "--workers", "2", "--port", str(port)],
            cwd=folder,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**env, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError(f"pegboard serve did not listen:\n{log.read_text(errors='replace')}")


def _scrape(base: str) -> dict[str, float]:
    """(sample name + sorted labels) -> value, from one real scrape, parsed."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    values = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = sample.name + repr(sorted(sample.labels.items()))
            values[key] = sample.value
    return values


def _requests_to_pid(values: dict[str, float]) -> float:
    key = "pegboard_requests_total" + repr(
        sorted({"route": "/pid", "method": "GET", "status": "2xx"}.items())
    )
    return values.get(key, 0.0)


def test_a_scrape_sums_the_requests_of_both_workers(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    log = tmp_path / "serve.log"
    process, port = _serve(tmp_path, log)
    base = f"http://127.0.0.1:{port}"
    try:
        pids: dict[str, int] = {}
        sent = 0
        deadline = time.monotonic() + 60
        # A new connection per request, so that the kernel spreads them over the workers.
        while (len(pids) < 2 or sent < 60) and time.monotonic() < deadline:
            answer = httpx.get(f"{base}/pid", timeout=10)
            assert answer.status_code == 200
            pids[answer.text] = pids.get(answer.text, 0) + 1
            sent += 1
        assert len(pids) == 2, f"one worker answered all {sent} requests: {pids}"
        time.sleep(1.0)  # each worker writes its figures every 0.2 s
        workers_key = "pegboard_stats_workers[]"
        for _ in range(6):  # scrapes land on either worker: each must see the whole total
            values = _scrape(base)
            assert _requests_to_pid(values) == sent, (values, pids)
            assert values[workers_key] == 2
        data = httpx.get(f"{base}/stats/data", timeout=10).json()["pegboard Requests"]
        assert data["Workers"] == 2
        assert data["Routes"]["GET /pid 2xx"]["Requests"] == sent
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in log.read_text(errors="replace")


def _child(queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    path, shared = resolve_directory(None)
    queue.put((str(path), shared))


def test_only_the_workers_of_the_folders_creator_share_it(monkeypatch) -> None:
    monkeypatch.delenv(ENV_DIR, raising=False)
    monkeypatch.delenv(ENV_OWNER, raising=False)
    path, shared = resolve_directory(None)
    assert not shared  # the process that made it keeps its figures in memory
    assert os.environ[ENV_DIR] == str(path) and os.environ[ENV_OWNER] == str(os.getpid())
    assert resolve_directory(None) == (path, False)  # made once
    context = multiprocessing.get_context("fork")  # spawn could not import this test module
    queue = context.Queue()
    child = context.Process(target=_child, args=(queue,))
    child.start()
    child_path, child_shared = queue.get(timeout=30)
    child.join(timeout=30)
    assert (child_path, child_shared) == (str(path), True)
    # a process that inherited the variables from elsewhere makes a folder of its own
    monkeypatch.setenv(ENV_OWNER, "1")
    other, other_shared = resolve_directory(None)
    assert other != path and not other_shared
    configured, configured_shared = resolve_directory(str(path / "configured"))
    assert configured_shared and configured == path / "configured"
