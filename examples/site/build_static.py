"""Build the example site's static folder from ``assets/``.

Each file in ``assets/`` is copied to ``static/<stem>.<hash>.<ext>``, its name
carrying a hash of its content (so it can be cached for a year, ``immutable``);
``static-manifest.json`` maps the plain name to the hashed one for the pages;
then ``pegboard compress`` writes the ``.br`` and ``.gz`` siblings of every
file in ``static/``. The results are committed, so a fresh clone serves them
without a build step::

    python examples/site/build_static.py
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

from pegboard_static.compress import compress_tree

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "assets"
STATIC = HERE / "static"
MANIFEST = HERE / "static-manifest.json"
#: The codings written next to each file (what ``pegboard compress --formats`` takes).
FORMATS = ("br", "gz")


def content_hash(data: bytes) -> str:
    """At least 8 hex digits of SHA-256, with at least one letter in them.

    The static tool marks a name immutable when its hash part has a letter
    (so version numbers and dates are not taken for hashes).
    """
    digest = hashlib.sha256(data).hexdigest()
    size = 8
    while not re.search("[a-f]", digest[:size]):
        size += 1
    return digest[:size]


def hashed_name(name: str, data: bytes) -> str:
    """``app.css`` -> ``app.3f2a1c9b.css``."""
    stem, dot, ext = name.partition(".")
    return f"{stem}.{content_hash(data)}{dot}{ext}"


def build() -> dict[str, str]:
    """Write the hashed copies, drop the stale ones, compress; return the manifest."""
    STATIC.mkdir(exist_ok=True)
    manifest: dict[str, str] = {}
    for source in sorted(p for p in ASSETS.iterdir() if p.is_file()):
        data = source.read_bytes()
        target = STATIC / hashed_name(source.name, data)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)  # an unchanged file keeps its mtime
        manifest[source.name] = target.name
        stem, dot, ext = source.name.partition(".")
        old = re.compile(rf"{re.escape(stem)}\.[0-9a-f]{{8,64}}{re.escape(dot + ext)}(\.br|\.gz)?")
        for path in STATIC.iterdir():
            if old.fullmatch(path.name) and not path.name.startswith(target.name):
                path.unlink()
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    report = compress_tree(str(STATIC), FORMATS)
    for written in report.written:
        print(f"wrote {Path(written).relative_to(HERE)}")
    return manifest


if __name__ == "__main__":
    for name, hashed in build().items():
        print(f"{name} -> static/{hashed}")
    sys.exit(0)
