"""htpasswd files: bcrypt ($2y$/$2b$), {SHA} and $apr1$ log in; plaintext is refused at start."""

from __future__ import annotations

import os
import time

import bcrypt
import pytest

import pegboard
import pegboard_auth_basic
from pegboard_auth_basic import HtpasswdFile, apr1_hash
from pegboard_auth_basic.verify_cache import VerifiedCache

# Made with `openssl passwd -apr1 -salt SALT PASSWORD` (OpenSSL 3.0).
APR1_VECTORS = [
    ("pass word", "abcdefgh", "$apr1$abcdefgh$NriZ3KceyQFy368Ufp8U./"),
    ("\u00dcn\u00efc\u00f8d\u00e9", "x./Y9", "$apr1$x./Y9$Hf0oBEC/2OanCr5tUE1vW/"),
    ("long" * 10, "Zz12", "$apr1$Zz12$kStP.7A7hfcR2uUz9RYrz1"),
]
# Made with `printf sekrit | openssl dgst -sha1 -binary | base64`.
SHA_SEKRIT = "{SHA}jULnOMet7lUTJJVUWLXiwLSe5lU="


def bcrypt_hash(password: str, prefix: str = "$2y$", rounds: int = 4) -> str:
    made = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")
    return prefix + made[4:]


@pytest.mark.parametrize(("password", "salt", "expected"), APR1_VECTORS)
def test_apr1_matches_openssl(password, salt, expected):
    assert apr1_hash(password.encode("utf-8"), salt) == expected


@pytest.fixture
def htpasswd_file(tmp_path):
    path = tmp_path / ".htpasswd"
    path.write_text(
        "# made by htpasswd -B, by openssl and by hand\n"
        f"yvonne:{bcrypt_hash('bcrypt-y')}\n"
        f"bob:{bcrypt_hash('bcrypt-b', prefix='$2b$')}\n"
        f"sam:{SHA_SEKRIT}\n"
        f"april:{APR1_VECTORS[0][2]}\n"
        "\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("username", "password"),
    [("yvonne", "bcrypt-y"), ("bob", "bcrypt-b"), ("sam", "sekrit"), ("april", "pass word")],
)
def test_every_supported_format_logs_in(protected, basic, htpasswd_file, username, password):
    client = protected(htpasswd=str(htpasswd_file))
    ok = client.get("/", headers=basic(username, password))
    assert ok.status == 200
    assert ok.text == f"login={username}"
    assert client.get("/", headers=basic(username, password + "x")).status == 401


def test_unknown_user_is_401(protected, basic, htpasswd_file):
    client = protected(htpasswd=str(htpasswd_file))
    assert client.get("/", headers=basic("nobody", "bcrypt-y")).status == 401


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("plain:hunter2", "plaintext"),
        ("des:rqXexS6ZhobKA", "plaintext"),  # crypt(3) DES
        ("sha512:$6$salt$abcdefghijklmnop", "refused"),
        ("shortb:$2y$05$tooshort", "60 characters"),
        ("badsha:{SHA}not-base64!", "{SHA}"),
        ("badapr:$apr1$salt", "$apr1$"),
        ("nocolon", "user:hash"),
    ],
)
def test_unsupported_entries_are_config_errors(make_app, tmp_path, line, words):
    path = tmp_path / "htpasswd"
    path.write_text(f"ok:{SHA_SEKRIT}\n{line}\n", encoding="utf-8")
    app = make_app(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "r",
                "tools.auth_basic.htpasswd": str(path),
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    with pytest.raises(pegboard.ConfigError) as caught:
        app.start()
    message = str(caught.value)
    assert "tools.auth_basic.htpasswd" in message
    assert "line 2" in message
    assert words in message


def test_missing_file_is_a_config_error(make_app, tmp_path):
    app = make_app(
        {
            "/": {
                "tools.auth_basic.on": True,
                "tools.auth_basic.realm": "r",
                "tools.auth_basic.htpasswd": str(tmp_path / "nope"),
            }
        },
        plugins=[pegboard_auth_basic],
        discover=False,
    )
    with pytest.raises(pegboard.ConfigError, match="cannot read htpasswd file"):
        app.start()


def _rewrite(path, text):
    """Write ``text`` and make sure the change is visible even on coarse mtime clocks."""
    before = os.stat(path).st_mtime_ns
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_file_is_read_again_when_it_changes(protected, basic, htpasswd_file):
    client = protected(htpasswd=str(htpasswd_file))
    assert client.get("/", headers=basic("sam", "sekrit")).status == 200
    _rewrite(htpasswd_file, f"newbie:{APR1_VECTORS[1][2]}\n")
    assert client.get("/", headers=basic("newbie", APR1_VECTORS[1][0])).status == 200
    # sam was removed: the cached success must not outlive the entry.
    assert client.get("/", headers=basic("sam", "sekrit")).status == 401


def test_changed_password_invalidates_the_cache_at_once(protected, basic, htpasswd_file):
    client = protected(htpasswd=str(htpasswd_file))
    assert client.get("/", headers=basic("yvonne", "bcrypt-y")).status == 200
    _rewrite(htpasswd_file, f"yvonne:{bcrypt_hash('changed')}\n")
    assert client.get("/", headers=basic("yvonne", "bcrypt-y")).status == 401
    assert client.get("/", headers=basic("yvonne", "changed")).status == 200


def test_file_broken_at_run_time_fails_closed_with_503(protected, basic, htpasswd_file):
    client = protected(htpasswd=str(htpasswd_file))
    assert client.get("/", headers=basic("sam", "sekrit")).status == 200
    _rewrite(htpasswd_file, "sam:sekrit\n")  # someone typed a plaintext entry
    broken = client.get("/", headers=basic("sam", "sekrit"))
    assert broken.status == 503
    assert "password file" in broken.text
    htpasswd_file.unlink()
    assert client.get("/", headers=basic("sam", "sekrit")).status == 503
    htpasswd_file.write_text(f"sam:{SHA_SEKRIT}\n", encoding="utf-8")
    assert client.get("/", headers=basic("sam", "sekrit")).status == 200


def test_bcrypt_is_paid_once_per_cache_lifetime(protected, basic, tmp_path):
    """A cost-10 bcrypt check takes tens of ms; the cached repeat takes well under a millisecond."""
    path = tmp_path / "htpasswd"
    path.write_text(f"slow:{bcrypt_hash('pw', rounds=10)}\n", encoding="utf-8")
    client = protected(htpasswd=str(path))
    started = time.perf_counter()
    assert client.get("/", headers=basic("slow", "pw")).status == 200
    first = time.perf_counter() - started
    started = time.perf_counter()
    assert client.get("/", headers=basic("slow", "pw")).status == 200
    second = time.perf_counter() - started
    assert second < first / 5
    # A wrong password is never answered from the cache.
    assert client.get("/", headers=basic("slow", "pW")).status == 401

    uncached = protected(htpasswd=str(path), cache_ttl=0)
    assert uncached.get("/", headers=basic("slow", "pw")).status == 200
    started = time.perf_counter()
    assert uncached.get("/", headers=basic("slow", "pw")).status == 200
    assert time.perf_counter() - started > second * 5


def test_cache_keeps_no_password_and_expires(monkeypatch):
    cache = VerifiedCache(ttl=30)
    cache.remember("alice", "correct horse", "$2y$stored")
    assert cache.hit("alice", "correct horse", "$2y$stored")
    assert not cache.hit("alice", "correct horsE", "$2y$stored")
    assert not cache.hit("alice", "correct horse", "$2y$other")
    stored = repr(cache._entries)
    assert "correct horse" not in stored
    assert b"correct horse" not in b"".join(mac for mac, _ in cache._entries.values())
    later = time.monotonic() + 31
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert not cache.hit("alice", "correct horse", "$2y$stored")


def test_cache_is_bounded():
    cache = VerifiedCache(ttl=30, max_entries=3)
    for name in "abcde":
        cache.remember(name, "pw", "h")
    assert len(cache) == 3
    assert not cache.hit("a", "pw", "h")
    assert cache.hit("e", "pw", "h")


def test_htpasswd_file_object(htpasswd_file):
    store = HtpasswdFile(htpasswd_file)
    store.load()
    assert len(store) == 4
    assert store.verify("sam", "sekrit")
    assert not store.verify("sam", "Sekrit")


def test_apr1_entry_with_a_non_ascii_salt_never_errors(protected, basic, tmp_path):
    path = tmp_path / "htpasswd"
    salt = "s\u00e9l"
    path.write_text(f"odd:{apr1_hash(b'pw', salt)}\n", encoding="utf-8")
    client = protected(htpasswd=str(path))
    assert client.get("/", headers=basic("odd", "pw")).status == 200
    assert client.get("/", headers=basic("odd", "px")).status == 401
