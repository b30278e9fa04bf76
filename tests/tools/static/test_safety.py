"""Nothing outside the root, no dotfiles, no symlink escapes: checked in-process.

The same rules over a real socket with curl and a 200+ variant corpus are in
test_traversal_live.py.
"""

from __future__ import annotations

import pytest

SECRET = b"OUTSIDE-THE-ROOT-7f3c"
HIDDEN = b"HIDDEN-FILE-55de"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/sub/../../secret.txt",
        "/static/./a.txt",
        "/static/%2e%2e/secret.txt",  # the client decodes once: PATH_INFO holds ".."
        "/static/%252e%252e/secret.txt",  # double-encoded: a literal "%2e%2e" segment
        "/static/%25252e%25252e/secret.txt",
        "/static/..%255csecret.txt",
        "/static/%252fetc/passwd",
        "/static/sub%255c..%255c..%255csecret.txt",
        "/static/a.txt%2500.html",
        "/static/a.txt%00.html",
        "/static/..%5csecret.txt",
        "/static/%5c..%5csecret.txt",
        "/static/%01a.txt",
    ],
)
def test_traversal_and_control_characters_get_400(static_client, path):
    result = static_client.get(path)
    assert result.status == 400
    assert SECRET not in result.body


def test_overlong_utf8_dots_are_rejected_by_the_core(static_client):
    # %c0%ae is an overlong "."; it is not valid UTF-8, so the core answers 400.
    result = static_client.get("/static/%c0%ae%c0%ae/secret.txt")
    assert result.status == 400
    assert SECRET not in result.body


def test_sibling_folder_with_the_same_prefix_is_not_inside(static_app, make_client, site):
    # CherryPy 18 serves /static/../static2/x; a string-prefix check would too.
    client = make_client(static_app())
    assert client.get("/static/../public2/x.txt").status == 400
    # A section that is a string prefix of another path does not claim it.
    assert client.get("/static2/x.txt").status == 404
    assert client.get("/staticx.txt").status == 404


def test_double_slashes_stay_inside(static_client):
    result = static_client.get("/static//a.txt")
    assert result.status == 200
    assert result.body == b"hello, static world\n"
    assert static_client.get("/static///" + "tmp/secret.txt").status == 404


@pytest.mark.parametrize(
    "path", ["/static/out-link.txt", "/static/out-dir/secret.txt", "/static/up-dir/secret.txt"]
)
def test_symlinks_that_leave_the_root_are_refused(static_client, path):
    result = static_client.get(path)
    assert result.status == 404
    assert SECRET not in result.body


def test_symlinks_inside_the_root_are_served(static_client):
    result = static_client.get("/static/in-link.txt")
    assert result.status == 200
    assert result.body == b"hello, static world\n"


def test_follow_symlinks_serves_what_links_point_to(static_app, make_client):
    client = make_client(static_app(follow_symlinks=True))
    assert client.get("/static/out-link.txt").body == SECRET
    assert client.get("/static/out-dir/secret.txt").body == SECRET
    # Following symlinks never makes ".." acceptable.
    assert client.get("/static/../secret.txt").status == 400


@pytest.mark.parametrize(
    "path", ["/static/.env", "/static/.git/config", "/static/env-link.txt", "/static/%2eenv"]
)
def test_dotfiles_are_hidden(static_client, path):
    result = static_client.get(path)
    assert result.status in (400, 404)
    assert HIDDEN not in result.body


def test_show_hidden_serves_dotfiles(static_app, make_client):
    client = make_client(static_app(show_hidden=True))
    assert client.get("/static/.env").body == HIDDEN
    assert client.get("/static/.git/config").body == HIDDEN


def test_missing_files_fall_through_to_404(static_client):
    assert static_client.get("/static/nope.txt").status == 404
    assert static_client.get("/static/sub/deep/nope").status == 404


def test_a_folder_without_index_or_listing_is_not_served(static_client):
    assert static_client.get("/static/sub/deep/").status == 404


def test_staticdir_on_the_root_section(static_app, make_client):
    client = make_client(static_app(section="/"))
    assert client.get("/a.txt").body == b"hello, static world\n"
    assert client.get("/../secret.txt").status == 400
    assert client.get("/out-link.txt").status == 404
