"""GCRA: a burst of the count, then the sustained rate, and no window edge to exploit.

These drive the algorithm (``decide``) with explicit times in microseconds,
the way the stores call it, so the guarantees are checked exactly: for any
arrival pattern, the requests admitted in any interval of length ``d`` are
at most ``count + d // interval``. A fixed-window counter admits twice the
count across a window edge; GCRA admits the count, and one more per interval.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pegboard_ratelimit import Limit, MemoryStore, decide, status
from pegboard_ratelimit.gcra import decide_one

SECOND = 1_000_000


def _rates(*limits: Limit):
    return [tuple((x.interval, x.capacity) for x in limits)]


class _Client:
    """One key's TATs, kept between requests as a store keeps them."""

    def __init__(self, *limits: Limit) -> None:
        self.rates = _rates(*limits)
        self.tats: list[int] | None = None

    def send(self, now: int):
        admitted, results, new = decide([self.tats], now, self.rates)
        if admitted:
            assert new is not None
            self.tats = new[0]
        return admitted, results


def test_the_count_passes_at_once_then_one_per_interval():
    client = _Client(Limit(10, 60, "ip"))
    answers = [client.send(0) for _ in range(11)]
    assert [a for a, _ in answers] == [True] * 10 + [False]
    assert [r[0][0] for _, r in answers[:10]] == list(range(9, -1, -1))  # remaining
    _, results = answers[10]
    assert results == [(0, 6 * SECOND)]  # refused: retry in one interval (60 s / 10)
    assert client.send(6 * SECOND - 1)[0] is False
    assert client.send(6 * SECOND)[0] is True
    assert client.send(6 * SECOND)[0] is False


def test_twice_the_count_never_passes_across_a_window_edge():
    # The fixed-window attack: idle until just before the minute turns, then a
    # burst on each side of it. A fixed window would admit 20 here.
    client = _Client(Limit(10, 60, "ip"))
    edge = 60 * SECOND
    times = [edge - SECOND // 10 + i * SECOND // 100 for i in range(20)]  # 59.9 s .. 60.09 s
    admitted = sum(client.send(t)[0] for t in times)
    assert admitted == 10


def test_a_refused_request_spends_nothing_on_the_other_limits():
    client = _Client(Limit(2, 1, "ip"), Limit(3, 60, "ip"))
    assert [client.send(0)[0] for _ in range(5)] == [True, True, False, False, False]
    # 1 s later the per-second limit allows again; the per-minute one still has 1 left,
    # because the three refused requests took nothing from it.
    admitted, results = client.send(SECOND)
    assert admitted is True
    assert results[1][0] == 0
    admitted, results = client.send(SECOND)
    assert admitted is False
    assert results[0][0] >= 1  # the per-second limit had room: it is not the one refusing
    assert results[1] == (0, 20 * SECOND - SECOND)  # the per-minute one: 1 interval after t=0


def test_status_reports_remaining_and_the_time_until_one_more():
    limit = Limit(10, 60, "ip")
    assert status(0, limit.interval, limit.capacity) == (10, 0)  # nothing used
    assert status(limit.interval, limit.interval, limit.capacity) == (9, 6 * SECOND)
    assert status(limit.capacity, limit.interval, limit.capacity) == (0, 6 * SECOND)
    # half an interval paid back: still 9 left, one more in 3 s
    assert status(limit.interval // 2 + limit.interval, limit.interval, limit.capacity) == (
        8,
        3 * SECOND,
    )


@settings(max_examples=200, deadline=None)
@given(
    count=st.integers(1, 20),
    seconds=st.sampled_from([1, 2, 60]),
    gaps=st.lists(st.integers(0, 3 * SECOND), min_size=1, max_size=120),
)
def test_no_interval_admits_more_than_the_count_plus_what_it_earns(count, seconds, gaps):
    limit = Limit(count, seconds, "ip")
    client = _Client(limit)
    now, passed = 0, []
    for gap in gaps:
        now += gap
        if client.send(now)[0]:
            passed.append(now)
    for i in range(len(passed)):
        for j in range(i, len(passed)):
            span = passed[j] - passed[i]
            assert j - i + 1 <= count + span // limit.interval, (i, j, span)


@settings(max_examples=200, deadline=None)
@given(
    limits=st.lists(
        st.tuples(st.integers(1, 8), st.sampled_from([1, 3, 60])), min_size=1, max_size=3
    ),
    gaps=st.lists(st.integers(0, 2 * SECOND), min_size=1, max_size=60),
)
def test_the_memory_store_answers_as_the_reference_algorithm(limits, gaps):
    rates = tuple(
        (Limit(count, seconds, "ip").interval, Limit(count, seconds, "ip").capacity)
        for count, seconds in limits
    )
    clock = [0]
    store = MemoryStore(10, clock=lambda: clock[0] * 1000)  # nanoseconds
    tats = None
    for gap in gaps:
        clock[0] += gap
        expected = decide([tats], clock[0], [rates])
        assert decide_one(tats, clock[0], rates) == expected  # the fast path agrees
        assert store.hit(["key"], [rates]) == expected
        if expected[2] is not None:
            tats = expected[2][0]
