"""Where profiles are kept: a folder of HTML call trees and ``.pstats`` aggregates.

Each profiled request that pyinstrument recorded leaves ``<id>.html`` and
``<id>.json`` (what the listing shows); only the newest ``keep`` are kept.
Each process keeps one cProfile ``Profile`` that every cProfile-profiled
request adds to, as CherryPy's ``ProfileAggregator`` does, and writes it to
``aggregate-<pid>.pstats`` after each such request; the page merges the
files of every worker process. Several processes may share the folder.
"""

from __future__ import annotations

import contextlib
import cProfile
import json
import os
import re
import stat
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pegboard

__all__ = ["ProfileInfo", "ProfileStore", "Stores", "default_folder"]

#: The names the store writes, and the only ones the page serves.
PROFILE_NAME = re.compile(r"\A[0-9]{19,20}-[0-9]+-[0-9]+\Z")
AGGREGATE_NAME = re.compile(r"\Aaggregate-[0-9]+\.pstats\Z")
_PATH_LIMIT = 300


def default_folder() -> Path:
    """``pegboard-profiles-<user id>`` in the system's temporary folder."""
    getuid = getattr(os, "getuid", None)
    owner = str(getuid()) if getuid is not None else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"pegboard-profiles-{owner}"


@dataclass(frozen=True)
class ProfileInfo:
    """What the listing shows of one profiled request."""

    id: str
    time: float
    method: str
    path: str
    route: str
    status: int
    duration_ms: float
    trigger: str
    pid: int


class ProfileStore:
    """One folder of profiles; the process's cProfile aggregate goes there too."""

    def __init__(self, folder: Path, keep: int) -> None:
        self.folder = folder
        self.keep = keep
        self._lock = threading.Lock()
        self._seq = 0
        #: the process-wide cProfile aggregate (one profiled request at a time adds to it)
        self.aggregate = cProfile.Profile()
        self.aggregated_requests = 0

    def open(self) -> None:
        """Create the folder (private to this user); refuse one another user owns."""
        folder = self.folder
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = folder.lstat()
        except OSError as exc:
            raise pegboard.ConfigError(
                f"cannot create the profiles folder {str(folder)!r}: {exc.strerror}",
                key="tools.profiler.folder",
            ) from None
        if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
            raise pegboard.ConfigError(
                f"the profiles folder {str(folder)!r} is not a folder (a link or a file); "
                "name another in tools.profiler.folder",
                key="tools.profiler.folder",
            )
        getuid = getattr(os, "getuid", None)
        if getuid is not None and info.st_uid != getuid():
            raise pegboard.ConfigError(
                f"the profiles folder {str(folder)!r} belongs to another user; name a folder of "
                "your own in tools.profiler.folder",
                key="tools.profiler.folder",
            )

    def new_id(self) -> str:
        """A unique, sortable profile id: ``<time ns>-<pid>-<sequence>``."""
        with self._lock:
            self._seq += 1
            seq = self._seq
        return f"{time.time_ns():020d}-{os.getpid()}-{seq}"

    # -- writing -------------------------------------------------------------

    def save_html(self, info: ProfileInfo, html: str) -> None:
        """Keep one request's call tree, then drop the oldest beyond ``keep``."""
        meta = asdict(info)
        meta["path"] = info.path[:_PATH_LIMIT]
        self._write(self.folder / f"{info.id}.html", html.encode("utf-8"))
        self._write(self.folder / f"{info.id}.json", json.dumps(meta).encode("utf-8"))
        self._prune()

    def save_aggregate(self) -> None:
        """Write this process's aggregate to ``aggregate-<pid>.pstats`` (replacing it)."""
        path = self.folder / f"aggregate-{os.getpid()}.pstats"
        tmp = path.with_suffix(".tmp")
        with self._lock:
            self.aggregate.dump_stats(str(tmp))
            self.aggregated_requests += 1
        os.replace(tmp, path)

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)

    def _prune(self) -> None:
        ids = sorted(p.stem for p in self.folder.glob("*.json") if PROFILE_NAME.match(p.stem))
        for old in ids[: max(len(ids) - self.keep, 0)]:
            for suffix in (".json", ".html"):
                with contextlib.suppress(FileNotFoundError):  # another process pruned it first
                    (self.folder / f"{old}{suffix}").unlink()

    # -- reading -------------------------------------------------------------

    def profiles(self) -> list[ProfileInfo]:
        """The kept profiles, newest first."""
        found = []
        for path in self.folder.glob("*.json"):
            if not PROFILE_NAME.match(path.stem):
                continue
            try:
                meta: dict[str, Any] = json.loads(path.read_bytes())
                found.append(ProfileInfo(**meta))
            except (OSError, ValueError, TypeError):
                continue  # pruned meanwhile, or not ours
        found.sort(key=lambda p: p.id, reverse=True)
        return found

    def html_of(self, profile_id: str) -> bytes | None:
        """One kept call tree, or None (an unknown or malformed id)."""
        if not PROFILE_NAME.match(profile_id):
            return None
        try:
            return (self.folder / f"{profile_id}.html").read_bytes()
        except OSError:
            return None

    def aggregate_files(self) -> list[Path]:
        """The ``.pstats`` aggregate of every process that wrote one."""
        files = self.folder.glob("aggregate-*.pstats")
        return sorted(p for p in files if AGGREGATE_NAME.match(p.name))


class Stores:
    """The stores of one app, one per folder (``app.state.profiler``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_folder: dict[Path, ProfileStore] = {}

    def for_folder(self, folder: Path, keep: int) -> ProfileStore:
        with self._lock:
            store = self._by_folder.get(folder)
            if store is None:
                store = self._by_folder[folder] = ProfileStore(folder, keep)
            else:
                store.keep = max(store.keep, keep)
            return store

    def all(self) -> list[ProfileStore]:
        with self._lock:
            return list(self._by_folder.values())
