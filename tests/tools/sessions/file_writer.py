"""Writes large file sessions in a loop until killed, for the atomic-replace test.

Usage: ``python file_writer.py STORAGE_PATH SESSION_ID``. Each request stores
one character repeated 2 MB, a different one each time; a record that is
whole holds one character only. Prints "ready" after the first write.
"""

from __future__ import annotations

import itertools
import string
import sys
from typing import Any

import pegboard
from pegboard.testing import Client


def main() -> None:
    path, session_id = sys.argv[1], sys.argv[2]
    app = pegboard.App(
        {
            "/": {
                "tools.sessions.on": True,
                "tools.sessions.storage_type": "file",
                "tools.sessions.storage_path": path,
            }
        }
    )

    @app.route("/write/{char}")
    def write(req: Any, resp: Any, char: str) -> str:
        req.session["blob"] = char * 2_000_000
        return "ok"

    client = Client(app, validate=False)
    client.get("/write/a", headers={"Cookie": f"session_id={session_id}"})
    cookie = client.cookie("session_id")
    print(cookie, flush=True)
    for char in itertools.cycle(string.ascii_letters):
        client.get(f"/write/{char}", headers={"Cookie": f"session_id={cookie}"})


if __name__ == "__main__":
    main()
