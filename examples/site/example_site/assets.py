"""Static asset URLs: plain names mapped to their content-hashed files.

``build_static.py`` writes ``static-manifest.json``; pages link the hashed
name (``/static/app.681700e7.css``), which the static tool serves with
``Cache-Control: max-age=31536000, immutable``.
"""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST = Path(__file__).resolve().parent.parent / "static-manifest.json"


def load_manifest(path: Path = MANIFEST) -> dict[str, str]:
    """``{"app.css": "app.681700e7.css"}``, read once when the app is built."""
    manifest: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def static_url(manifest: dict[str, str], name: str) -> str:
    """The URL of an asset: its hashed name when it has one."""
    return "/static/" + manifest.get(name, name)
