"""The memory store: bounded whatever the number of clients, idle keys evicted, thread-safe."""

from __future__ import annotations

import gc
import logging
import threading
import time
import tracemalloc

from pegboard_ratelimit import Limit, MemoryStore

PER_HOUR = ((Limit(100, 3600, "ip").interval, Limit(100, 3600, "ip").capacity),)
PER_SECOND = ((Limit(1, 1, "ip").interval, Limit(1, 1, "ip").capacity),)


def _fill(store: MemoryStore, first: int, count: int, rates=PER_HOUR) -> None:
    for n in range(first, first + count):
        store.hit(
            [f"pegboard:ratelimit:0123456789abcdef:10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"],
            [rates],
        )


def _measure(count: int, max_keys: int) -> tuple[int, int]:
    """(bytes the store holds after ``count`` distinct clients, keys it holds)."""
    gc.collect()
    tracemalloc.start()
    try:
        store = MemoryStore(max_keys)
        before = tracemalloc.get_traced_memory()[0]
        _fill(store, 0, count)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held, len(store)


def test_the_store_is_bounded_by_max_keys_whatever_the_number_of_clients(caplog):
    caplog.set_level(logging.WARNING, "pegboard_ratelimit")
    at_bound, keys_at_bound = _measure(5_000, max_keys=5_000)
    flooded, keys_flooded = _measure(25_000, max_keys=5_000)
    assert keys_at_bound == keys_flooded == 5_000
    # 5 times the clients, the same memory (give or take the hash table's slack)...
    assert flooded < at_bound * 1.25, (at_bound, flooded)
    # ...and a few hundred bytes a key: 5,000 keys well under 2 MB.
    assert at_bound / 5_000 < 400, at_bound
    # Keys still counting were forgotten to stay in bounds: said once, with the fix.
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1
    assert "raise tools.ratelimit.max_keys" in warnings[0]


def test_idle_keys_leave_as_traffic_flows():
    store = MemoryStore(max_keys=1_000_000)
    _fill(store, 0, 3_000, PER_SECOND)
    assert len(store) == 3_000
    time.sleep(1.05)  # every key has paid its one-second debt: idle
    _fill(store, 10_000, 3_000, PER_SECOND)
    # Each request looked at the two oldest keys: the 3,000 idle ones are gone.
    assert len(store) <= 3_000 + 2


def test_a_key_that_still_owes_is_kept_while_idle_ones_around_it_go():
    store = MemoryStore(max_keys=1_000_000)
    store.hit(["owing"], [PER_HOUR])  # owes 36 s, not idle for a while
    _fill(store, 0, 100, PER_SECOND)
    time.sleep(1.05)
    _fill(store, 1_000, 100, PER_SECOND)
    assert len(store) <= 100 + 1 + 2
    # "owing" is still counted: its second request sees one used already.
    admitted, results, _ = store.hit(["owing"], [PER_HOUR])
    assert admitted and results[0][0] == 98


def test_threads_never_spend_more_than_the_count_between_them():
    store = MemoryStore(max_keys=100)
    admitted = []
    start = threading.Barrier(8)

    def client() -> None:
        start.wait()
        for _ in range(50):
            if store.hit(["shared"], [PER_HOUR])[0]:
                admitted.append(1)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 100  # 400 tries, a burst of 100 allowed
