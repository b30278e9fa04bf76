"""A restart forgets the in-process nonce counts; it must not reopen replays."""

from __future__ import annotations

from pegboard_auth_digest import nonces

from .conftest import digest_challenges


class Clock:
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_a_header_captured_before_a_restart_is_stale_after_it(
    monkeypatch, digest_app, make_client, challenge_of, mufasa
):
    clock = Clock()
    monkeypatch.setattr(nonces, "_clock", clock)
    before = make_client(digest_app())
    header = mufasa.header(challenge_of(before), "GET", "/")
    assert before.get("/", headers={"Authorization": header}).status == 200
    clock.now += 5
    # The same site started again (same key): the counts of the first run are gone.
    after = make_client(digest_app())
    replay = after.get("/", headers={"Authorization": header})
    assert replay.status == 401
    assert all(c["stale"] == "true" for c in digest_challenges(replay))
    # The client retries with the fresh nonce of that answer and gets in.
    fresh = digest_challenges(replay)[0]
    retry = mufasa.header(fresh, "GET", "/")
    assert after.get("/", headers={"Authorization": retry}).status == 200
