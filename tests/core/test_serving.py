"""pegboard.serving: real servers in a subprocess, real HTTP, real signals."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pegboard import serving
from pegboard.serving.bodies import BufferedBodies

CORE_SRC = Path(__file__).resolve().parents[2] / "core" / "src"
INSTALLED = serving.available_servers()

# The app under test: start()/stop() leave marker files named after the pid, and
# stop() also records how many requests were still in flight when it ran.
APP_MODULE = textwrap.dedent(
    """
    import os, threading, time

    MARKS = os.environ["PB_MARKS"]

    def _mark(name, text=""):
        with open(os.path.join(MARKS, f"{name}-{os.getpid()}"), "w") as f:
            f.write(text)

    class App:
        def __init__(self):
            self.inflight = 0
            self.lock = threading.Lock()

        def start(self):
            _mark("start")
            if os.environ.get("PB_FAIL_START"):
                raise RuntimeError("start failed on purpose")

        def stop(self):
            _mark("stop", str(self.inflight))

        def __call__(self, environ, start_response):
            with self.lock:
                self.inflight += 1
            try:
                if environ["PATH_INFO"] == "/slow":
                    _mark("slow-begun")
                    time.sleep(float(environ["QUERY_STRING"] or "1"))
                body = f"pid={os.getpid()}".encode()
                if environ["PATH_INFO"] == "/cpus":  # where this request thread may run
                    body += f" cpus={sorted(os.sched_getaffinity(0))}".encode()
                start_response("200 OK", [("Content-Type", "text/plain"),
                                          ("Content-Length", str(len(body)))])
                return [body]
            finally:
                with self.lock:
                    self.inflight -= 1

    def load():
        return App()
    """
)

RUNNER = (
    "import os, sys, pb_serving_app\n"
    "from pegboard import serving\n"
    "serving.serve(pb_serving_app.load, host='127.0.0.1', port=int(sys.argv[1]),\n"
    "              workers=int(sys.argv[2]), threads=4, server=sys.argv[3],\n"
    "              cpu_affinity=bool(os.environ.get('PB_CPU_AFFINITY')))\n"
)

servers = pytest.mark.parametrize("server", INSTALLED)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    """A `serve` subprocess and what it left behind."""

    proc: subprocess.Popen[bytes]
    url: str
    marks: Path
    log: Path

    def files(self, prefix: str) -> dict[int, str]:
        """pid -> content of the marker files named ``prefix-<pid>``."""
        return {
            int(p.name.rsplit("-", 1)[1]): p.read_text()
            for p in self.marks.iterdir()
            if p.name.rsplit("-", 1)[0] == prefix
        }

    def wait_for(self, prefix: str, count: int, timeout: float = 10.0) -> dict[int, str]:
        deadline = time.monotonic() + timeout
        while len(found := self.files(prefix)) < count:
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, f"no {count} {prefix!r} marks\n{self.output()}"
            time.sleep(0.02)
        return found

    def stop(self, sig: signal.Signals, group: bool = False) -> int:
        """Send ``sig`` (to the whole process group, as Ctrl-C does, if ``group``)."""
        if group:
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not exit after {sig.name}\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def run(tmp_path: Path) -> Iterator[object]:
    started: list[Running] = []
    (tmp_path / "pb_serving_app.py").write_text(APP_MODULE)

    def _start(server: str, workers: int, env_extra: dict[str, str]) -> Running:
        marks = tmp_path / f"marks{len(started)}"
        marks.mkdir()
        log = tmp_path / f"serve{len(started)}.log"
        port = _free_port()
        env = dict(os.environ, PB_MARKS=str(marks), **env_extra)
        env["PYTHONPATH"] = os.pathsep.join([str(CORE_SRC), str(tmp_path)])
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-c", RUNNER, str(port), str(workers), server],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for the Ctrl-C case
            )
        running = Running(proc, f"http://127.0.0.1:{port}", marks, log)
        started.append(running)
        return running

    def _run(server: str, workers: int = 1, wait: bool = True, **env_extra: str) -> Running:
        for _ in range(3):  # another process may take the free port first
            running = _start(server, workers, env_extra)
            if not wait:
                return running
            if _wait_for_port(running):
                return running
            if "in use" not in running.output():
                pytest.fail(f"serve exited early\n{running.output()}")
        pytest.fail("no free port")

    yield _run
    for running in started:  # only the processes this fixture started
        if running.proc.poll() is None:
            os.killpg(running.proc.pid, signal.SIGKILL)
            running.proc.wait()


def _wait_for_port(running: Running, timeout: float = 15.0) -> bool:
    """True once the server answers; False if it exited first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(running.url + "/", timeout=1).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        if running.proc.poll() is not None:
            return False
        assert time.monotonic() < deadline, f"port never answered\n{running.output()}"
        time.sleep(0.02)


def _assert_clean_stop(running: Running, code: int, workers: int = 1) -> None:
    assert code == 0, running.output()
    starts = running.files("start")
    stops = running.files("stop")
    assert len(starts) == workers, running.output()
    assert stops.keys() == starts.keys(), running.output()  # each process stopped once
    assert all(v == "0" for v in stops.values()), stops  # after the in-flight requests


@servers
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serves_then_stops_cleanly_on_signal(run, server: str, sig: signal.Signals) -> None:
    running = run(server)
    for _ in range(3):
        response = httpx.get(running.url + "/hello", timeout=5)
        assert response.status_code == 200
        assert response.text.startswith("pid=")
    served_by = int(response.text.removeprefix("pid="))
    assert running.files("start").keys() == {served_by}
    assert not running.files("stop")
    _assert_clean_stop(running, running.stop(sig))


@servers
def test_in_flight_request_finishes_before_stop(run, server: str) -> None:
    running = run(server)
    result: dict[str, httpx.Response] = {}
    client = threading.Thread(
        target=lambda: result.setdefault("r", httpx.get(running.url + "/slow?1", timeout=10))
    )
    client.start()
    running.wait_for("slow-begun", 1)
    code = running.stop(signal.SIGTERM)
    client.join(timeout=10)
    assert result["r"].status_code == 200
    _assert_clean_stop(running, code)


@pytest.mark.skipif("granian" not in INSTALLED, reason="granian not installed")
def test_two_workers_each_load_start_and_stop(run) -> None:
    running = run("granian", workers=2)
    starts = running.wait_for("start", 2)
    assert running.proc.pid not in starts  # the app lives in the workers, not the parent
    with httpx.Client(timeout=5) as client:
        pids = {int(client.get(running.url + "/").text.removeprefix("pid=")) for _ in range(20)}
    assert pids <= starts.keys()
    _assert_clean_stop(running, running.stop(signal.SIGTERM), workers=2)


@pytest.mark.skipif("granian" not in INSTALLED, reason="granian not installed")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_signal_to_the_whole_process_group_with_two_workers(run, sig: signal.Signals) -> None:
    """What a terminal's Ctrl-C does, or systemd's default stop: parent and workers at once."""
    running = run("granian", workers=2)
    running.wait_for("start", 2)
    _assert_clean_stop(running, running.stop(sig, group=True), workers=2)


@servers
def test_start_failure_exits_non_zero(run, server: str) -> None:
    running = run(server, wait=False, PB_FAIL_START="1")
    try:
        code = running.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve kept running after start() failed\n{running.output()}")
    assert code != 0
    assert "start failed on purpose" in running.output()
    assert not running.files("stop")


def _never() -> serving.WSGIApp:
    pytest.fail("the app must not be loaded")


def test_unknown_server_is_a_value_error_naming_the_installed_ones() -> None:
    with pytest.raises(ValueError, match="nope") as excinfo:
        serving.serve(_never, server="nope")
    for name in INSTALLED:
        assert name in str(excinfo.value)


def test_available_servers_default_first() -> None:
    assert set(INSTALLED) <= {"granian", "waitress"}
    if "granian" in INSTALLED:
        assert INSTALLED[0] == serving.DEFAULT_SERVER == "granian"


@pytest.mark.skipif("waitress" not in INSTALLED, reason="waitress not installed")
def test_waitress_refuses_several_workers() -> None:
    with pytest.raises(ValueError, match="workers"):
        serving.serve(_never, server="waitress", workers=2)


@pytest.mark.skipif("waitress" not in INSTALLED, reason="waitress not installed")
def test_waitress_refuses_body_readers_it_would_not_use() -> None:
    with pytest.raises(ValueError, match="body_readers"):
        serving.serve(_never, server="waitress", readers=4)


def test_default_body_readers_are_one_per_thread_and_at_least_four() -> None:
    assert serving.body_readers(8) == 8
    assert serving.body_readers(1) == 4
    assert serving.body_readers(32) == 32


class _Greeter:
    def __call__(self, environ: dict[str, object], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"from the class"]


class _InheritsCall(_Greeter):
    pass


def _function_app(environ: dict[str, object], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"from a function"]


def _with_own_attribute() -> _Greeter:
    # The interpreter ignores __call__ set on an instance: so must BufferedBodies.
    greeter = _Greeter()
    greeter.__call__ = _function_app  # type: ignore[method-assign]
    return greeter


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (_function_app, b"from a function"),
        (_Greeter(), b"from the class"),
        (_InheritsCall(), b"from the class"),
        (_with_own_attribute(), b"from the class"),
        (functools.partial(_function_app), b"from a function"),
    ],
    ids=["function", "instance", "inherited __call__", "instance attribute", "partial"],
)
@pytest.mark.parametrize("with_body", [False, True], ids=["GET", "POST with a body"])
def test_buffered_bodies_calls_any_wsgi_callable_as_the_interpreter_would(
    app: Any, expected: bytes, with_body: bool
) -> None:
    wrapped = BufferedBodies(app, body_timeout=5, max_body_size=1024, readers=1, threads=1)
    environ: dict[str, object] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    if with_body:
        environ.update(
            REQUEST_METHOD="POST", CONTENT_LENGTH="5", **{"wsgi.input": io.BytesIO(b"hello")}
        )
    statuses: list[str] = []
    body = wrapped.wsgi(environ, lambda status, headers, exc_info=None: statuses.append(status))
    assert (statuses, b"".join(body)) == (["200 OK"], expected)
    assert app(environ, lambda *args: None) == [expected]  # the app on its own agrees


affinity = pytest.mark.skipif(
    not serving.affinity_supported(), reason="CPU affinity is Linux's (sched_setaffinity)"
)


def _cpus_by_worker(running: Running, requests: int = 40) -> dict[int, set[tuple[int, ...]]]:
    """pid -> the CPU sets its request threads reported, over ``requests`` requests."""
    seen: dict[int, set[tuple[int, ...]]] = {}
    with httpx.Client(timeout=5) as client:
        for _ in range(requests):
            pid, cpus = client.get(running.url + "/cpus").text.split(" cpus=")
            seen.setdefault(int(pid.removeprefix("pid=")), set()).add(tuple(json.loads(cpus)))
    return seen


def _main_thread_cpus(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(line for line in status.splitlines() if line.startswith("Cpus_allowed_list"))


def _cpus_of_every_thread(pid: int) -> dict[str, str]:
    """thread name -> its allowed CPUs, for every thread of process ``pid``."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            lines = (task / "status").read_text().splitlines()
            name = next(line for line in lines if line.startswith("Name:")).split()[-1]
            allowed = next(line for line in lines if line.startswith("Cpus_allowed_list"))
            found[f"{name} ({task.name})"] = allowed.split()[-1]
    return found


@affinity
@servers
def test_without_cpu_affinity_a_worker_may_run_anywhere(run, server: str) -> None:
    running = run(server)
    allowed = tuple(sorted(os.sched_getaffinity(0)))
    seen = _cpus_by_worker(running, 8)
    assert seen and all(cpus == {allowed} for cpus in seen.values()), seen
    _assert_clean_stop(running, running.stop(signal.SIGTERM))


@affinity
@pytest.mark.skipif("granian" not in INSTALLED, reason="granian not installed")
def test_cpu_affinity_keeps_each_granian_worker_on_its_own_cpu(run) -> None:
    """Worker N on the N-th allowed CPU: its request threads, and the process itself."""
    running = run("granian", workers=2, PB_CPU_AFFINITY="1")
    starts = running.wait_for("start", 2)
    allowed = sorted(os.sched_getaffinity(0))
    expected = {(allowed[0],), (allowed[1 % len(allowed)],)}
    seen = _cpus_by_worker(running)
    assert seen.keys() <= starts.keys()
    assert all(len(cpus) == 1 for cpus in seen.values()), seen  # each thread on one CPU
    assert set().union(*seen.values()) <= expected, seen
    for pid in starts:
        cpu = _main_thread_cpus(pid).split()[-1]
        assert (int(cpu),) in expected, _main_thread_cpus(pid)
        # every thread, including the ones the worker had before it was pinned
        every = _cpus_of_every_thread(pid)
        assert set(every.values()) == {cpu}, every
    if len(allowed) > 1:  # two CPUs: the two workers do not share one
        assert len({_main_thread_cpus(pid) for pid in starts}) == 2
    _assert_clean_stop(running, running.stop(signal.SIGTERM), workers=2)


@affinity
@pytest.mark.skipif("waitress" not in INSTALLED, reason="waitress not installed")
def test_cpu_affinity_keeps_waitress_on_the_first_allowed_cpu(run) -> None:
    running = run("waitress", PB_CPU_AFFINITY="1")
    seen = _cpus_by_worker(running, 8)
    assert list(seen.values()) == [{(min(os.sched_getaffinity(0)),)}], seen
    _assert_clean_stop(running, running.stop(signal.SIGTERM))


def test_cpu_affinity_where_the_system_has_none_is_a_value_error(monkeypatch) -> None:
    monkeypatch.setattr(serving, "affinity_supported", lambda: False)
    with pytest.raises(ValueError, match=r"server\.cpu_affinity.*remove the setting"):
        serving.serve(_never, cpu_affinity=True)


def test_bad_counts_are_value_errors() -> None:
    with pytest.raises(ValueError):
        serving.serve(_never, workers=0)
