"""A real HTTP server on a free port, in a background thread, for tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from typing import Any

__all__ = ["LiveServer"]


class LiveServer:
    """Serves a WSGI app on 127.0.0.1 with waitress until ``stop()``.

    ``url`` is ``http://127.0.0.1:PORT``. The app's ``start()``/``stop()``
    run around the server's life when the app has them.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1", threads: int = 4) -> None:
        import waitress.server

        self.app = app
        self.host = host
        self._server: Any = waitress.server.create_server(
            app,
            host=host,
            port=0,
            threads=threads,
            # Forwarding headers reach the app; the proxy tool decides whom to trust.
            clear_untrusted_proxy_headers=False,
            # PERF: waitress polls its loop this often; the default (1 s) makes stop() slow.
            asyncore_loop_timeout=0.05,
        )
        self.port: int = self._server.effective_port
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(
            target=self._run, name=f"live-server-{self.port}", daemon=True
        )

    def _run(self) -> None:
        with contextlib.suppress(OSError):  # the socket was closed by stop()
            self._server.run()

    def start(self) -> LiveServer:
        if hasattr(self.app, "start"):
            self.app.start()
        self._thread.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.01)
        raise RuntimeError(f"the live server did not start on {self.url}")

    def stop(self) -> None:
        self._server.close()
        # Keep-alive connections (a browser's) would keep waitress's loop running.
        for channel in list(getattr(self._server, "_map", {}).values()):
            with contextlib.suppress(OSError):
                channel.close()
        self._thread.join(timeout=10)
        if hasattr(self.app, "stop"):
            self.app.stop()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
