"""Soak: the example site under `pegboard serve` while its backends die and clients misbehave.

Two `pegboard serve` processes run the example site: one keeps sessions in
Redis (and its page cache there too), the other in PostgreSQL. Well-behaved
clients each keep a session and count their visits (the home page increments
a counter in the session and shows it), read cached and static pages and the
JSON API; hostile clients send slow bodies, slow headers and malformed
requests. Meanwhile Redis and PostgreSQL are killed (SIGKILL) and restarted,
again and again. At the end it reports:

- requests served, and every 5xx other than the 503s a dead store should give;
- lost session updates: a visit counter that went back after the server had
  acknowledged it (a 503 is not a loss: the client was told it failed);
- resident memory of each server at the start and the end;
- the recovery time after each restart: from the store being back to the
  first session request answered 200.

    uv run python bench/soak.py --minutes 5           # the documented run
    uv run python bench/soak.py --seconds 20 --check  # the short run CI does

``--check`` exits 1 when anything but intended 503s went wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pegboard.testing.backends import BackendServer, free_port, start_postgresql, start_redis

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "examples" / "site" / "app.py"
VISITS = re.compile(r'id="visits">(\d+)<')


@dataclass
class Tally:
    """What the clients of one server saw."""

    name: str
    statuses: Counter[int] = field(default_factory=Counter)
    unexpected: list[str] = field(default_factory=list)
    lost_updates: int = 0
    counted: int = 0
    recoveries: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, what: str, outage: bool) -> None:
        with self.lock:
            self.statuses[status] += 1
            intended = status == 503 and outage
            if status >= 500 and not intended:
                self.unexpected.append(f"{status} {what}")


class Site:
    """One `pegboard serve` of the example site, with an overlay config."""

    def __init__(self, name: str, overlay: str, folder: Path) -> None:
        self.name = name
        self.port = free_port()
        self.config = folder / f"{name}.toml"
        self.config.write_text(overlay, encoding="utf-8")
        self.log = folder / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        #: the store this site's sessions live in is down, or back but not yet
        #: reconnected to (the first session request since has not succeeded):
        #: its 503s are intended, and so are those of requests that started then
        self.outage = threading.Event()
        self.outage_ended = 0.0
        #: when the store came back and no session request has succeeded since
        self.back_since: float | None = None

    def in_outage(self, started: float) -> bool:
        """Whether a request that started at ``started`` may get a store's 503."""
        return self.outage.is_set() or started <= self.outage_ended

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        pegboard = Path(sys.executable).with_name("pegboard")
        argv = [str(pegboard), "serve", str(SITE), "--config", str(self.config)]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [*argv, "--port", str(self.port)], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start:\n{self.log.read_text()[-2000:]}")

    def rss_kib(self) -> int:
        """Resident memory of the server and its worker processes, in KiB."""
        assert self.process is not None
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            total += int(match.group(1)) if match else 0
        return total

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
            found.extend(_children(int(entry.name)))
    return found


def visitor(site: Site, tally: Tally, stop: threading.Event, seed: int) -> None:
    """A well-behaved client: its own session, counting its visits, and other pages."""
    rng = random.Random(seed)
    acknowledged = 0
    with httpx.Client(base_url=site.url, timeout=10) as client:
        while not stop.is_set():
            roll = rng.random()
            path = "/" if roll < 0.6 else "/report" if roll < 0.75 else "/api/notes"
            if roll >= 0.9:
                path = "/static/robots.txt" if roll < 0.95 else "/about/"
            started = time.monotonic()
            try:
                response = client.get(path)
            except httpx.HTTPError as exc:
                tally.unexpected.append(f"{type(exc).__name__} on {path}")
                time.sleep(0.05)
                continue
            tally.record(response.status_code, f"GET {path}", site.in_outage(started))
            if path != "/" or response.status_code != 200:
                continue
            found = VISITS.search(response.text)
            if found is None:
                tally.unexpected.append("home page without a visit count")
                continue
            count = int(found.group(1))
            with tally.lock:
                tally.counted += 1
                if count <= acknowledged:
                    tally.lost_updates += acknowledged + 1 - count
                if site.back_since is not None and started >= site.back_since:
                    tally.recoveries.append(time.monotonic() - site.back_since)
                    site.back_since = None
                    site.outage_ended = time.monotonic()
                    site.outage.clear()
            acknowledged = count


def hostile(site: Site, tally: Tally, stop: threading.Event) -> None:
    """Malformed and slow requests, one after another: each must be a 4xx or a close."""
    bad_requests = [
        b"GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n",
        b"GET /static/robots.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes="
        + b"9" * 5000
        + b"-\r\n\r\n",
        b"POST /api/notes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json; "
        b"charset=rot13\r\nContent-Length: 2\r\n\r\n{}",
        b"POST /api/notes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 9\r\n\r\n{"text":',
        b"GET /?a=%FF HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        b"GARBAGE\r\n\r\n",
    ]
    while not stop.is_set():
        for raw in bad_requests:
            started = time.monotonic()
            status = _raw(site.port, raw)
            if status is not None:
                tally.record(status, f"malformed {raw[:30]!r}", site.in_outage(started))
        # A slow body: a few bytes, a pause, then hang up (never the whole body).
        with socket.create_connection(("127.0.0.1", site.port), timeout=5) as sock:
            sock.sendall(
                b"POST /api/notes HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
            stop.wait(1.0)
        stop.wait(0.2)


def _raw(port: int, request: bytes) -> int | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(request)
            head = sock.recv(200)
    except OSError:
        return None
    match = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    return int(match.group(1)) if match else None


def chaos(
    store: BackendServer,
    site: Site,
    stop: threading.Event,
    period: float,
    down: float,
    offset: float,
    log: list[str],
) -> None:
    """Kill the store every ``period`` seconds, keep it down ``down`` seconds, restart it."""
    if stop.wait(offset):
        return
    while not stop.is_set():
        site.outage.set()
        store.kill()
        log.append(f"{time.strftime('%H:%M:%S')} killed {store.name}")
        stop.wait(down)
        took = store.restart()
        site.back_since = time.monotonic()  # the outage ends at the first session served
        log.append(f"{time.strftime('%H:%M:%S')} {store.name} back after {took:.2f} s")
        if stop.wait(max(period - down, 1.0)):
            return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, help="how long to run (default 5)")
    length.add_argument("--seconds", type=float, help="how long to run, in seconds")
    parser.add_argument("--clients", type=int, default=8, help="well-behaved clients per site")
    parser.add_argument("--period", type=float, help="seconds between kills of each store")
    parser.add_argument("--check", action="store_true", help="exit 1 on anything unintended")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    duration = args.seconds if args.seconds else (args.minutes or 5) * 60
    period = args.period or max(duration / 3, 10.0)
    down = min(4.0, period / 3)

    folder = Path(tempfile.mkdtemp(prefix="pegboard-soak-"))
    redis = start_redis(folder / "redis", persistent=True)
    postgres = start_postgresql(folder / "pg")
    sites = [
        Site(
            "redis",
            f'["/"]\ntools.sessions.storage_type = "redis"\ntools.sessions.url = "{redis.url}"\n'
            f'tools.sessions.backend_timeout = 1.0\n\n["/report"]\n'
            f'tools.caching.backend = "redis"\ntools.caching.url = "{redis.url}"\n',
            folder,
        ),
        Site(
            "postgresql",
            f'["/"]\ntools.sessions.storage_type = "postgresql"\n'
            f'tools.sessions.dsn = "{postgres.url}"\ntools.sessions.backend_timeout = 1.0\n',
            folder,
        ),
    ]
    stores = {"redis": redis, "postgresql": postgres}
    tallies = {site.name: Tally(site.name) for site in sites}
    events: list[str] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        for site in sites:
            site.start()
        time.sleep(1.0)
        for site in sites:  # warm up: the first requests compile, load and fill caches
            httpx.get(site.url + "/", timeout=10)
        rss_start = {site.name: site.rss_kib() for site in sites}
        began = time.monotonic()
        for index, site in enumerate(sites):
            tally = tallies[site.name]
            for n in range(args.clients):
                threads.append(threading.Thread(target=visitor, args=(site, tally, stop, n)))
            threads.append(threading.Thread(target=hostile, args=(site, tally, stop)))
            threads.append(
                threading.Thread(
                    target=chaos,
                    args=(
                        stores[site.name],
                        site,
                        stop,
                        period,
                        down,
                        2.0 + index * period / 2,
                        events,
                    ),
                )
            )
        for thread in threads:
            thread.start()
        stop.wait(duration)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        elapsed = time.monotonic() - began if "began" in locals() else 0.0
        rss_end = {site.name: site.rss_kib() for site in sites if site.process}
        for site in sites:
            site.stop()
        redis.stop()
        postgres.stop()

    figures = {
        "seconds": round(elapsed, 1),
        "events": events,
        "sites": {
            name: {
                "requests": sum(t.statuses.values()),
                "statuses": dict(sorted(t.statuses.items())),
                "unexpected": t.unexpected[:20],
                "unexpected_count": len(t.unexpected),
                "session_updates_checked": t.counted,
                "lost_session_updates": t.lost_updates,
                "recovery_seconds": [round(r, 2) for r in t.recoveries],
                "rss_kib_start": rss_start.get(name),
                "rss_kib_end": rss_end.get(name),
            }
            for name, t in tallies.items()
        },
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    failed = any(
        s["unexpected_count"] or s["lost_session_updates"] for s in figures["sites"].values()
    )
    if args.check and failed:
        print("soak: something unintended happened (see above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
