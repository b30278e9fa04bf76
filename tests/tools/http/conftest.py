"""Fixtures for the pegboard-http tests."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import waitress.server


class ForwardingServer:
    """A waitress server that passes X-Forwarded-* and Forwarded through to the app.

    The core's ``live_server`` strips them (waitress's
    ``clear_untrusted_proxy_headers``), which would hide them from the proxy
    tool; this server leaves the trust decision to the tool, as a deployment
    behind a reverse proxy must.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._server: Any = waitress.server.create_server(
            app,
            host="127.0.0.1",
            port=0,
            threads=2,
            clear_untrusted_proxy_headers=False,
            asyncore_loop_timeout=0.05,  # stop() returns quickly
        )
        self.url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with contextlib.suppress(OSError):
            self._server.run()

    def __enter__(self) -> ForwardingServer:
        self.app.start()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.close()
        self._thread.join(timeout=5)
        self.app.stop()


@pytest.fixture
def forwarding_server() -> Iterator[Callable[[Any], ForwardingServer]]:
    """Factory: serve an app over a real socket with forwarding headers kept."""
    servers: list[ForwardingServer] = []

    def factory(app: Any) -> ForwardingServer:
        server = ForwardingServer(app).__enter__()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.__exit__()


class Records(logging.Handler):
    """Collects the records of one logger during a test."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]


@pytest.fixture
def log_records() -> Iterator[Callable[[str], Records]]:
    """Factory: ``log_records("pegboard.access")`` gathers that logger's records."""
    attached: list[tuple[logging.Logger, Records, int]] = []

    def factory(name: str) -> Records:
        logger = logging.getLogger(name)
        handler = Records()
        attached.append((logger, handler, logger.level))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        return handler

    yield factory
    for logger, handler, level in attached:
        logger.removeHandler(handler)
        logger.setLevel(level)
