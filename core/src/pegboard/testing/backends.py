"""Throw-away Redis, Memcached and PostgreSQL servers for tests.

Each ``start_*`` function runs the real server binary on a free loopback
port, keeps its data under the given directory and returns once the server
answers a protocol-level ping. Nothing here imports a client library: the
readiness checks speak the wire protocols over raw sockets.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Self

__all__ = [
    "BackendServer",
    "BackendUnavailable",
    "find_binary",
    "free_port",
    "postgres_bindir",
    "start_memcached",
    "start_postgresql",
    "start_redis",
]

#: Directories searched after ``PATH`` (sbin is often missing from a user's PATH).
SEARCH_DIRS: tuple[str, ...] = ("/usr/local/sbin", "/usr/sbin", "/sbin")
#: Debian/Ubuntu keep one directory per PostgreSQL major version here.
POSTGRES_ROOTS: tuple[str, ...] = ("/usr/lib/postgresql",)
#: The PostgreSQL binaries that must come from one installation.
POSTGRES_BINARIES: frozenset[str] = frozenset({"postgres", "initdb", "pg_ctl"})
#: Superuser and database named in the PostgreSQL URL.
POSTGRES_USER = "postgres"
POSTGRES_DB = "postgres"
#: Seconds a server gets to answer before start-up is declared failed.
DEFAULT_TIMEOUT = 20.0
#: Attempts made when the picked port was taken before the server bound it.
_PORT_ATTEMPTS = 3
_UNIX_PATH_MAX = 107

_HINT = "install it (Debian: apt-get install {package}; see .ci/install-backends)"


class BackendUnavailable(Exception):
    """The server binary needed for a backend is not installed."""


@dataclass
class BackendServer:
    """A running throw-away server; stop it with :meth:`stop` or ``with``."""

    name: str
    host: str
    port: int
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    data_dir: Path
    _stop_signal: int = field(default=signal.SIGTERM, repr=False)
    _log_file: IO[bytes] | None = field(default=None, repr=False)
    _owned_dirs: list[Path] = field(default_factory=list, repr=False)
    _spawn: Callable[[], subprocess.Popen[bytes]] | None = field(default=None, repr=False)
    _ping: Callable[[str, int], bool] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        """Whether the server process is still alive."""
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server, kill it after *timeout* s, and wait for it."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(self._stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        # Only directories this module created itself (never the caller's).
        while self._owned_dirs:
            shutil.rmtree(self._owned_dirs.pop(), ignore_errors=True)
        _LIVE.pop(id(self), None)

    def kill(self) -> None:
        """SIGKILL the server process (no goodbye to its clients); its data stays."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            self.process.wait()

    def restart(self, *, kill: bool = True, timeout: float = DEFAULT_TIMEOUT) -> float:
        """Kill (or stop) the server and start it again on the same port with the same data.

        Returns the seconds until it answered again. For resilience tests: what
        the server kept depends on it (PostgreSQL keeps its tables; Redis keeps
        its keys only when started with ``persistent=True``).
        """
        if self._spawn is None or self._ping is None:
            raise RuntimeError(f"{self.name} was not started by the test kit; cannot restart it")
        if kill:
            self.kill()
        elif self.process.poll() is None:
            self.process.send_signal(self._stop_signal)
            self.process.wait(timeout)
        began = time.monotonic()
        self.process = self._spawn()
        deadline = began + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                if self._ping(self.host, self.port):
                    return time.monotonic() - began
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not come back on port {self.port}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last *lines* lines the server wrote to its log."""
        return _tail(self.log_path, lines)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_LIVE: dict[int, BackendServer] = {}


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE.values()):
        server.stop(timeout=5.0)


# --------------------------------------------------------------------------
# Finding binaries


def _which(name: str) -> str | None:
    path = os.environ.get("PATH", "")
    dirs = [d for d in path.split(os.pathsep) if d] + list(SEARCH_DIRS)
    return shutil.which(name, path=os.pathsep.join(dirs))


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", path.name))


def postgres_bindir() -> Path | None:
    """The directory of one PostgreSQL installation holding all its binaries.

    ``PATH`` (following symlinks, so ``/usr/local/bin/postgres`` pointing
    into ``/usr/lib/postgresql/15/bin`` counts as that installation) wins,
    then ``/usr/lib/postgresql/*/bin``, newest major version first.
    """
    candidates: list[Path] = []
    found = _which("postgres")
    if found is not None:
        candidates.append(Path(found).resolve().parent)
        candidates.append(Path(found).parent)
    for root in POSTGRES_ROOTS:
        versions = [p for p in Path(root).glob("*/bin") if p.is_dir()]
        candidates.extend(sorted(versions, key=lambda p: _version_key(p.parent), reverse=True))
    for bindir in candidates:
        if all(os.access(bindir / b, os.X_OK) for b in POSTGRES_BINARIES):
            return bindir
    return None


def find_binary(name: str) -> str | None:
    """Path of the executable *name*, or ``None`` when it is not installed.

    ``postgres``, ``initdb`` and ``pg_ctl`` always come from the same
    installation (see :func:`postgres_bindir`).
    """
    if name in POSTGRES_BINARIES:
        bindir = postgres_bindir()
        return None if bindir is None else str(bindir / name)
    return _which(name)


def _require(name: str, package: str) -> str:
    found = find_binary(name)
    if found is None:
        raise BackendUnavailable(f"{name} not found: " + _HINT.format(package=package))
    return found


# --------------------------------------------------------------------------
# Helpers


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listened on a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def _recv_line(sock: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = sock.recv(256)
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def _flags(prefix: str, options: dict[str, str]) -> list[str]:
    """``{"port": "1"}`` -> ``["--port", "1"]`` for *prefix* ``--``."""
    return [arg for key, value in options.items() for arg in (prefix + key, value)]


def _redis_ping(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.sendall(b"PING\r\n")
        return _recv_line(sock).startswith(b"+PONG")


def _memcached_ping(host: str, port: int) -> bool:
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.sendall(b"version\r\n")
        return _recv_line(sock).startswith(b"VERSION ")


def _postgres_ping(host: str, port: int) -> bool:
    """Log in over the v3 protocol; true once the server says ReadyForQuery."""
    params = f"user\0{POSTGRES_USER}\0database\0{POSTGRES_DB}\0\0".encode()
    startup = struct.pack("!ii", 8 + len(params), 196608) + params
    with socket.create_connection((host, port), timeout=2.0) as sock:
        sock.sendall(startup)
        while True:
            kind, length = struct.unpack("!ci", _recv_exact(sock, 5))
            _recv_exact(sock, length - 4)
            if kind == b"E":  # e.g. "the database system is starting up"
                return False
            if kind == b"Z":
                sock.sendall(b"X\0\0\0\4")  # Terminate
                return True


def _unprivileged() -> pwd.struct_passwd | None:
    """The account to run servers as when we are root, else ``None``."""
    if os.geteuid() != 0:
        return None
    wanted = os.environ.get("PEGBOARD_BACKEND_USER")
    for name in ([wanted] if wanted else []) + ["nobody", "postgres"]:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise BackendUnavailable("running as root and no unprivileged user (nobody) to run servers as")


def _ids(user: pwd.struct_passwd | None) -> tuple[int | None, int | None, list[int] | None]:
    """``user``, ``group`` and ``extra_groups`` for :class:`subprocess.Popen`."""
    if user is None:
        return None, None, None
    return user.pw_uid, user.pw_gid, []


def _launch(
    name: str,
    argv_for_port: Callable[[int], Sequence[str]],
    ping: Callable[[str, int], bool],
    *,
    url_for_port: Callable[[int], str],
    log_path: Path,
    data_dir: Path,
    timeout: float,
    user: pwd.struct_passwd | None = None,
    stop_signal: int = signal.SIGTERM,
    owned_dirs: list[Path] | None = None,
    host: str = "127.0.0.1",
    cwd: Path | None = None,
) -> BackendServer:
    """Start a server on a free port and wait until *ping* succeeds."""
    uid, gid, groups = _ids(user)
    for attempt in range(_PORT_ATTEMPTS):
        port = free_port(host)
        log_file = open(log_path, "ab")  # noqa: SIM115 - owned by the server

        def spawn(port: int = port, log_file: IO[bytes] = log_file) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                list(argv_for_port(port)),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=cwd or data_dir,
                user=uid,
                group=gid,
                extra_groups=groups,
            )

        process = spawn()
        server = BackendServer(
            name=name,
            host=host,
            port=port,
            url=url_for_port(port),
            process=process,
            log_path=log_path,
            data_dir=data_dir,
            _stop_signal=stop_signal,
            _log_file=log_file,
            _owned_dirs=list(owned_dirs or []),
            _spawn=spawn,
            _ping=ping,
        )
        _LIVE[id(server)] = server
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            try:
                if ping(host, port):
                    return server
            except OSError:
                pass
            time.sleep(0.05)
        exited = process.poll() is not None
        tail = _tail(log_path, 30)
        if exited and attempt + 1 < _PORT_ATTEMPTS and "in use" in tail.lower():
            server._owned_dirs = []  # keep them for the next attempt
            server.stop()
            continue
        server.stop()
        if exited:
            why = f"exited with code {process.returncode}"
        else:
            why = f"did not answer in {timeout:g} s"
        raise RuntimeError(f"{name} on {host}:{port} {why}; log {log_path}:\n{tail}")
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------
# The servers


def start_redis(
    tmpdir: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT, persistent: bool = False
) -> BackendServer:
    """Start ``redis-server``; ``url`` is ``redis://HOST:PORT/0``.

    Without persistence by default; ``persistent=True`` writes every command
    to an append-only file first, so the keys survive :meth:`BackendServer.restart`.
    """
    binary = _require("redis-server", "redis-server")
    base = Path(tmpdir)
    base.mkdir(parents=True, exist_ok=True)

    def argv(port: int) -> list[str]:
        options = {
            "port": str(port),
            "bind": "127.0.0.1",
            "save": "",
            "appendonly": "yes" if persistent else "no",
            "appendfsync": "always" if persistent else "everysec",
            "dir": str(base),
            "daemonize": "no",
            "logfile": "",
        }
        return [binary, *_flags("--", options)]

    return _launch(
        "redis",
        argv,
        _redis_ping,
        url_for_port=lambda port: f"redis://127.0.0.1:{port}/0",
        log_path=base / "redis.log",
        data_dir=base,
        timeout=timeout,
    )


def start_memcached(
    tmpdir: str | os.PathLike[str], *, memory_mb: int = 64, timeout: float = DEFAULT_TIMEOUT
) -> BackendServer:
    """Start ``memcached`` (TCP only); ``url`` is ``HOST:PORT``."""
    binary = _require("memcached", "memcached")
    base = Path(tmpdir)
    base.mkdir(parents=True, exist_ok=True)

    def argv(port: int) -> list[str]:
        options = {"l": "127.0.0.1", "p": str(port), "U": "0", "m": str(memory_mb)}
        return [binary, *_flags("-", options), "-t", "2", "-v"]

    return _launch(
        "memcached",
        argv,
        _memcached_ping,
        url_for_port=lambda port: f"127.0.0.1:{port}",
        log_path=base / "memcached.log",
        data_dir=base,
        timeout=timeout,
        user=_unprivileged(),  # memcached refuses root without -u
    )


def _traversable_by_others(path: Path) -> bool:
    for part in [path, *path.parents]:
        try:
            if not part.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def _postgres_url(port: int) -> str:
    return f"postgresql://{POSTGRES_USER}@127.0.0.1:{port}/{POSTGRES_DB}"


def start_postgresql(
    tmpdir: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT
) -> BackendServer:
    """Run ``initdb`` and ``postgres`` (trust auth, loopback, fsync off; commits survive a kill).

    ``url`` is ``postgresql://postgres@127.0.0.1:PORT/postgres``. As root the
    cluster belongs to an unprivileged user (``nobody``, or
    ``$PEGBOARD_BACKEND_USER``) and lives in a private directory under the
    system temp dir, removed by :meth:`BackendServer.stop`; logs stay in
    *tmpdir*.
    """
    bindir = postgres_bindir()
    if bindir is None:
        raise BackendUnavailable("postgres/initdb not found: " + _HINT.format(package="postgresql"))
    base = Path(tmpdir)
    base.mkdir(parents=True, exist_ok=True)
    user = _unprivileged()
    uid, gid, groups = _ids(user)
    owned: list[Path] = []
    if user is None:
        root = base
    else:
        # pytest's temp dirs are 0700 root: the server user could not enter them.
        tmp = Path(tempfile.gettempdir())
        parent = tmp if _traversable_by_others(tmp) else Path("/tmp")
        root = Path(tempfile.mkdtemp(prefix="pegboard-pg-", dir=parent))
        owned.append(root)
        os.chmod(root, 0o700)
        os.chown(root, user.pw_uid, user.pw_gid)
    data = root / "data"
    sockets = root / "run"
    if len(str(sockets)) + len("/.s.PGSQL.65535") >= _UNIX_PATH_MAX:
        socket_dir = ""  # path too long for a unix socket: TCP only
    else:
        socket_dir = str(sockets)
    log_path = base / "postgresql.log"

    initdb_options = {
        "pgdata": str(data),
        "username": POSTGRES_USER,
        "auth": "trust",
        "encoding": "UTF8",
        "locale": "C",
    }
    try:
        with open(base / "initdb.log", "wb") as initdb_log:
            result = subprocess.run(
                [str(bindir / "initdb"), *_flags("--", initdb_options), "--no-sync"],
                stdin=subprocess.DEVNULL,
                stdout=initdb_log,
                stderr=subprocess.STDOUT,
                cwd=root,
                check=False,
                timeout=max(timeout, 60.0),
                user=uid,
                group=gid,
                extra_groups=groups,
            )
        if result.returncode != 0:
            raise RuntimeError(
                f"initdb exited with code {result.returncode}; log {base / 'initdb.log'}:\n"
                + _tail(base / "initdb.log", 30)
            )
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        if socket_dir:
            sockets.mkdir()
            if user is not None:
                os.chown(sockets, user.pw_uid, user.pw_gid)
    except BaseException:
        for d in owned:
            shutil.rmtree(d, ignore_errors=True)
        raise

    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": socket_dir,
        # fsync off: nothing is flushed to disk; a commit still reaches the OS before it
        # is acknowledged (synchronous_commit stays on), so a killed server keeps it.
        "fsync": "off",
        "full_page_writes": "off",
        "logging_collector": "off",
        "max_connections": "50",
    }

    def argv(port: int) -> list[str]:
        configs = [f"{key}={value}" for key, value in settings.items()]
        return [
            str(bindir / "postgres"),
            *_flags("-", {"D": str(data), "p": str(port)}),
            *[arg for config in configs for arg in ("-c", config)],
        ]

    try:
        return _launch(
            "postgresql",
            argv,
            _postgres_ping,
            url_for_port=_postgres_url,
            log_path=log_path,
            data_dir=data,
            cwd=root,
            timeout=timeout,
            user=user,
            stop_signal=signal.SIGINT,  # "fast" shutdown: does not wait for clients
            owned_dirs=owned,
        )
    except BaseException:
        for d in owned:
            shutil.rmtree(d, ignore_errors=True)
        raise
