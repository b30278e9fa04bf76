"""Figures shared between the worker processes of one server, through a folder.

``pegboard serve --workers N`` compiles the app in its own process, then
starts N worker processes that each load the app again. The first compile in
a process that is not such a worker creates a private temporary folder and
names it in the environment (``PEGBOARD_STATS_DIR``, with the creating
process's id in ``PEGBOARD_STATS_OWNER``); the workers inherit both, so they
find the folder, and the creator removes it when it exits. A process is taken
for a worker of that folder only when it is a ``multiprocessing`` child of
its creator (granian's workers are), so a server started from a test or from
another server gets a folder of its own. Other servers (gunicorn, uWSGI) set
``tools.stats.directory`` to a folder they clear before starting.

Each worker writes its snapshot to ``<folder>/<pid>.json`` every
``flush_interval`` seconds and when it stops; a report adds the live figures
of the process answering it to the files of the others. Pausing a namespace
writes ``control.json``, which every worker reads at each flush.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["ENV_DIR", "ENV_OWNER", "Exchange", "Flusher", "resolve_directory"]

ENV_DIR = "PEGBOARD_STATS_DIR"
ENV_OWNER = "PEGBOARD_STATS_OWNER"
CONTROL = "control.json"
#: A snapshot file larger than this is not one of ours: it is skipped, not read.
MAX_FILE_BYTES = 32 * 1024 * 1024

_log = logging.getLogger("pegboard.stats")
_setup_lock = threading.Lock()


def _remove(path: str, owner: int) -> None:
    if os.getpid() == owner:  # not in a forked child that inherited the handler
        shutil.rmtree(path, ignore_errors=True)


def resolve_directory(configured: str | None) -> tuple[Path, bool]:
    """The folder the workers share, and whether this process shares it.

    A configured folder is always shared. Otherwise a process that is a
    worker of the folder's creator shares it, and any other process becomes
    the creator of a fresh one, which it keeps to itself (a single process
    has nothing to share) but names for the workers it may start.
    """
    if configured is not None:
        return Path(configured), True
    with _setup_lock:
        owner, path = os.environ.get(ENV_OWNER), os.environ.get(ENV_DIR)
        parent = multiprocessing.parent_process()
        if owner and path and parent is not None and str(parent.pid) == owner:
            return Path(path), True
        if owner != str(os.getpid()) or not path:
            path = tempfile.mkdtemp(prefix="pegboard-stats-")
            os.environ[ENV_DIR] = path
            os.environ[ENV_OWNER] = str(os.getpid())
            atexit.register(_remove, path, os.getpid())
        return Path(path), False


class Exchange:
    """This process's side of a shared folder: write its snapshot, read the others'."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pid = os.getpid()

    def write(self, snapshot: dict[str, Any]) -> None:
        """Replace this process's file atomically (readers never see half a file)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        final = self.directory / f"{self.pid}.json"
        temporary = self.directory / f".{self.pid}.json.tmp"
        temporary.write_text(json.dumps(snapshot, separators=(",", ":")), encoding="utf-8")
        os.replace(temporary, final)

    def others(self) -> list[dict[str, Any]]:
        """The last snapshot of every other process, skipping files that are not ours."""
        found = []
        try:
            names = sorted(os.listdir(self.directory))
        except FileNotFoundError:
            return []
        for name in names:
            stem, dot, suffix = name.partition(".")
            if not (dot and suffix == "json" and stem.isdigit()) or int(stem) == self.pid:
                continue
            path = self.directory / name
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    continue
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # gone, or being replaced: the next read finds it
            if isinstance(data, dict) and data.get("pid") == int(stem):
                found.append(data)
        return found

    def read_control(self) -> dict[str, Any]:
        try:
            data = json.loads((self.directory / CONTROL).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def write_control(self, control: dict[str, Any]) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = self.directory / f".{CONTROL}.{self.pid}.tmp"
        temporary.write_text(json.dumps(control), encoding="utf-8")
        os.replace(temporary, self.directory / CONTROL)


class Flusher:
    """A daemon thread that runs ``tick()`` every ``interval`` seconds until stopped."""

    def __init__(self, tick: Callable[[], None], interval: float) -> None:
        self.tick = tick
        self.interval = interval
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="pegboard-stats", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def run(self) -> None:
        while not self.stopping.wait(self.interval):
            try:
                self.tick()
            except Exception:
                _log.exception("writing the statistics for the other workers failed")

    def stop(self) -> None:
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
        with contextlib.suppress(Exception):
            self.tick()  # the last figures, for the workers still running
