"""A small site on disk, with things that must never be served next to it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import pegboard
import pegboard_static

SECRET = b"OUTSIDE-THE-ROOT-7f3c"
SIBLING_SECRET = b"SIBLING-FOLDER-91ab"
HIDDEN_SECRET = b"HIDDEN-FILE-55de"


@dataclass
class Site:
    base: Path
    public: Path
    outside: Path
    sibling: Path
    big: bytes


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """``public/`` (the root), ``outside/`` and ``public2/`` beside it, symlinks out of it."""
    public = tmp_path / "public"
    outside = tmp_path / "outside"
    sibling = tmp_path / "public2"
    for folder in (public / "sub" / "deep", outside, sibling, public / ".git"):
        folder.mkdir(parents=True)
    (tmp_path / "secret.txt").write_bytes(SECRET)
    (outside / "secret.txt").write_bytes(SECRET)
    (sibling / "x.txt").write_bytes(SIBLING_SECRET)
    (public / ".env").write_bytes(HIDDEN_SECRET)
    (public / ".git" / "config").write_bytes(HIDDEN_SECRET)
    (public / "a.txt").write_bytes(b"hello, static world\n")
    (public / "style.css").write_bytes(b"body { color: red }\n")
    (public / "app.3f9a0c1be2.js").write_bytes(b"console.log(1)\n")
    (public / "report-20240101.txt").write_bytes(b"dated, not hashed\n")
    (public / "empty.txt").write_bytes(b"")
    (public / "photo.PNG").write_bytes(b"\x89PNG fake")
    (public / "noext").write_bytes(b"no extension")
    (public / "sub" / "index.html").write_bytes(b"<h1>sub index</h1>\n")
    (public / "sub" / "page.txt").write_bytes(b"page\n")
    (public / "sub" / "deep" / "leaf.txt").write_bytes(b"leaf\n")
    big = os.urandom(300_000)
    (public / "big.bin").write_bytes(big)
    os.symlink(outside / "secret.txt", public / "out-link.txt")
    os.symlink(outside, public / "out-dir")
    os.symlink(tmp_path, public / "up-dir")
    os.symlink(public / "a.txt", public / "in-link.txt")
    os.symlink(public / ".env", public / "env-link.txt")
    return Site(tmp_path, public, outside, sibling, big)


@pytest.fixture
def static_app(make_app: Callable[..., Any], site: Site) -> Callable[..., pegboard.App]:
    """``static_app(**options)``: staticdir on ``/static`` serving ``site.public``."""

    def factory(section: str = "/static", **options: Any) -> pegboard.App:
        keys = {"tools.staticdir.on": True, "tools.staticdir.dir": str(site.public)}
        keys.update({f"tools.staticdir.{name}": value for name, value in options.items()})
        app: pegboard.App = make_app({section: keys}, discover=False, plugins=[pegboard_static])
        return app

    return factory


@pytest.fixture
def static_client(static_app: Callable[..., pegboard.App], make_client: Callable[..., Any]) -> Any:
    """A validating client for ``static_app()`` with default options."""
    return make_client(static_app())


def parse_byteranges(content_type: str, body: bytes) -> list[tuple[str, str, bytes]]:
    """``[(part Content-Type, Content-Range, data), ...]`` from a multipart/byteranges body."""
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=", 1)[1].encode("ascii")
    delimiter = b"--" + boundary
    assert body.endswith(delimiter + b"--\r\n")
    parts = []
    chunks = body[: -len(delimiter + b"--\r\n")].split(delimiter)
    assert chunks[0] == b""
    for chunk in chunks[1:]:
        assert chunk.startswith(b"\r\n")
        head, _, data = chunk[2:].partition(b"\r\n\r\n")
        assert data.endswith(b"\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n"))
        parts.append((fields["Content-Type"], fields["Content-Range"], data[:-2]))
    return parts


@pytest.fixture
def byteranges() -> Callable[[str, bytes], list[tuple[str, str, bytes]]]:
    """The multipart/byteranges parser (a fixture: test modules cannot import conftest)."""
    return parse_byteranges
