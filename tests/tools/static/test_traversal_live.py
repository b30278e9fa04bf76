"""The traversal corpus: 200+ hostile paths sent raw by curl to a live server.

``curl --path-as-is`` sends every path exactly as written (no dot-segment
removal), one curl process for the whole corpus over keep-alive. Every
answer must be a 4xx and no body may contain a byte of the marker files
placed outside the root, in the sibling folder ``public2/`` or in dotfiles.
"""

from __future__ import annotations

import itertools
import subprocess

SECRETS = (b"OUTSIDE-THE-ROOT-7f3c", b"SIBLING-FOLDER-91ab", b"HIDDEN-FILE-55de")

# Ways to write "..": plain, percent-encoded (any case, partly), double and
# triple encoded, overlong UTF-8, IIS %u, with NUL or control bytes.
DOTS = [
    "..",
    "%2e%2e",
    "%2E%2E",
    ".%2e",
    "%2e.",
    "%252e%252e",
    "%25252e%25252e",
    "%c0%ae%c0%ae",
    "%e0%80%ae%e0%80%ae",
    "%c0%2e%c0%2e",
    "%u002e%u002e",
    "..%00",
    "%2e%2e%00",
    ".%00.",
    "..%01",
]
# Ways to write "/": plain, encoded, double encoded, backslash (raw and
# encoded), overlong UTF-8 slash and backslash, doubled, with "./".
SEPARATORS = [
    "/",
    "%2f",
    "%2F",
    "%252f",
    "\\",
    "%5c",
    "%5C",
    "%255c",
    "%c0%af",
    "%c1%9c",
    "%e0%80%af",
    "//",
    "/./",
]
TARGETS = ["secret.txt", "public2/x.txt", "outside/secret.txt"]


def corpus(base: str) -> list[str]:
    """Hostile request paths (deduplicated, in a fixed order)."""
    paths: list[str] = []
    for dot in DOTS:
        for sep in SEPARATORS:
            paths.append(f"/static{sep}{dot}{sep}secret.txt")
            paths.append(f"/static/sub{sep}{dot}{sep}{dot}{sep}public2{sep}x.txt")
    for target in TARGETS:
        for up in (1, 2, 3, 6):
            paths.append("/static/" + "../" * up + target)
            paths.append("/static/sub/" + "..%2f" * (up + 1) + target)
            paths.append("/static/" + "%2e%2e/" * up + target)
    absolute = f"{base}/secret.txt"
    paths += [
        f"/static/{absolute}",
        f"/static/{absolute.replace('/', '%2f')}",
        f"/static/{absolute.replace('/', '%252f')}",
        f"/static/file://{absolute}",
        "/static/%2fetc%2fpasswd",
        "/static//etc/passwd",
        "/static/\\etc\\passwd",
        "/static/C:%5cwindows%5cwin.ini",
    ]
    # Symlinks that point out of the root, directly and through folders.
    paths += [
        "/static/out-link.txt",
        "/static/%6fut-link.txt",
        "/static/out-link.txt%00.png",
        "/static/out-link.txt/",
        "/static/out-dir/secret.txt",
        "/static/out-dir/",
        "/static/up-dir/secret.txt",
        "/static/up-dir/public2/x.txt",
        "/static/up-dir/outside/secret.txt",
        "/static/up-dir/public/.env",
        "/static/sub/../out-link.txt",
        "/static/env-link.txt",
    ]
    # The sibling folder whose name starts like the root's.
    paths += [
        "/static/../public2/x.txt",
        "/static/..%2fpublic2%2fx.txt",
        "/static%2f..%2fpublic2/x.txt",
        "/static/./../public2/x.txt",
        "/static2/x.txt",
        "/static/../static2/x.txt",
        "/public2/x.txt",
    ]
    # Dotfiles and dot-folders.
    paths += [
        "/static/.env",
        "/static/%2eenv",
        "/static/%252eenv",
        "/static/.git/config",
        "/static/%2egit/config",
        "/static/sub/../.env",
        "/static/.%2fenv",
        "/static/.env%00",
        "/static/.env/",
    ]
    # Tricks from other servers' advisories: path parameters, NUL truncation,
    # look-alike dots (U+FF0E, U+2025), trailing dots and spaces, a query.
    paths += [
        "/static/..;/secret.txt",
        "/static/..;x=1/secret.txt",
        "/static/a.txt%00/../../secret.txt",
        "/static/%ef%bc%8e%ef%bc%8e/secret.txt",
        "/static/%e2%80%a5/secret.txt",
        "/static/.. /secret.txt".replace(" ", "%20"),
        "/static/.../secret.txt",
        "/static/..../secret.txt",
        "/static/..?/secret.txt",
        "/static/%2e%2e?x=/../secret.txt",
        "/static/sub/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..%2fetc/passwd",
    ]
    return list(dict.fromkeys(paths))


# Legitimate requests in the same curl run: proof that the harness sees bodies.
CONTROLS = {
    "/static/a.txt": b"hello, static world\n",
    "/static/%61.txt": b"hello, static world\n",
    "/static//sub/page.txt": b"page\n",
    "/static/in-link.txt": b"hello, static world\n",
}

_MARK = "\n@@END@@ %{http_code}\n"


def _curl_all(base_url: str, paths: list[str]) -> list[tuple[int, bytes]]:
    urls = [base_url + p for p in paths]
    done = subprocess.run(
        [
            "curl",
            "--path-as-is",
            "--globoff",
            "--silent",
            "--max-time",
            "20",
            "--write-out",
            _MARK,
            *urls,
        ],
        capture_output=True,
        timeout=60,
        check=False,
    )
    pieces = done.stdout.split(b"\n@@END@@ ")
    results = []
    for piece, nxt in itertools.pairwise(pieces):
        body = piece.split(b"\n", 1)[1] if results else piece
        results.append((int(nxt.split(b"\n", 1)[0]), body))
    assert len(results) == len(urls), done.stderr.decode()
    return results


def test_traversal_corpus_over_a_real_socket(static_app, live_server, site):
    server = live_server(static_app())
    hostile = corpus(str(site.base))
    assert len(hostile) >= 200
    results = _curl_all(server.url, [*CONTROLS, *hostile])
    for (path, expected), (status, body) in zip(CONTROLS.items(), results, strict=False):
        assert (status, body) == (200, expected), path
    statuses: dict[int, int] = {}
    for path, (status, body) in zip(hostile, results[len(CONTROLS) :], strict=True):
        statuses[status] = statuses.get(status, 0) + 1
        assert 400 <= status < 500, f"{path} -> {status}"
        for secret in SECRETS:
            assert secret not in body, f"{path} leaked {secret!r}"
    # Both kinds of refusal occur: 400 for hostile syntax, 404 for what is not served.
    assert statuses.get(400, 0) > 100
    assert statuses.get(404, 0) > 10
