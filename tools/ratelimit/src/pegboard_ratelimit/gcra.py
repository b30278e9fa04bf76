"""GCRA, the generic cell rate algorithm, on integer microseconds.

Each limit keeps one number per key: the theoretical arrival time (TAT), the
moment the key's debt is paid off. A request adds one ``interval`` of debt
(``period / count``) and is admitted when the debt, this request included,
stays within the ``capacity`` (``count`` intervals). So a client may send
``count`` requests at once, then one per ``interval``: there are no windows,
hence no window edge across which twice the limit could pass, and a key is
one integer, whatever its count.

Several limits on one request are all-or-nothing: a request refused by one
of them adds debt to none (a client held back by ``10/second`` does not use
up its ``1000/hour`` meanwhile).

The Redis store runs the same arithmetic in a script (``redis_store.SCRIPT``);
the tests hold the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["Rates", "Verdict", "decide", "decide_one", "status"]

#: (interval, capacity) in microseconds, for each limit counted under one key
Rates = tuple[tuple[int, int], ...]
#: (admitted, (remaining, wait) per limit, new TATs per key or None when refused)
Verdict = tuple[bool, list[tuple[int, int]], "list[list[int]] | None"]


def status(debt: int, interval: int, capacity: int) -> tuple[int, int]:
    """(requests that may still be sent now, microseconds until one more may).

    The wait is 0 when the key owes nothing (the whole count is available):
    the RateLimit field's ``t``, the time within which no more than the
    remaining requests can pass.
    """
    remaining = (capacity - debt) // interval
    if remaining < 0:
        remaining = 0
    if debt <= 0:
        return remaining, 0
    return remaining, debt - capacity + (remaining + 1) * interval


def decide_one(tats: Sequence[int] | None, now: int, rates: Rates) -> Verdict:
    """:func:`decide` for one key (the usual case), with the same answers, faster.

    PERF: no per-key lists, no zip(strict=True), the status arithmetic inlined;
    an admitted request's debt is at least one interval, so its wait needs no test.
    """
    if tats is None or len(tats) != len(rates):
        tats = ()
        debts = [interval for interval, _ in rates]  # a new key: each limit's first request
        admitted = True
    else:
        debts = []
        admitted = True
        for (interval, capacity), tat in zip(rates, tats):  # noqa: B905 - lengths checked
            debt = tat - now
            debt = (debt if debt > 0 else 0) + interval
            if debt > capacity:
                admitted = False
            debts.append(debt)
    if admitted:
        results = []
        new = []
        for (interval, capacity), debt in zip(rates, debts):  # noqa: B905
            remaining = (capacity - debt) // interval
            results.append((remaining, debt - capacity + (remaining + 1) * interval))
            new.append(now + debt)
        return True, results, [new]
    # A refused request adds no debt: report each limit as it stands.
    return False, [status(d - i, i, c) for (i, c), d in zip(rates, debts)], None  # noqa: B905


def decide(stored: Sequence[Sequence[int] | None], now: int, rates: Sequence[Rates]) -> Verdict:
    """Admit one request or not, for each key's stored TATs (None: never seen) and limits.

    Returns whether it is admitted, each limit's (remaining, wait) after it
    (or, when refused, as they stand: the refusing limits show 0 remaining
    and their wait is the time until the request would pass), and the TATs
    to store when admitted.
    """
    admitted = True
    debts: list[list[int]] = []
    for tats, key_rates in zip(stored, rates, strict=True):
        key_debts = []
        usable = tats is not None and len(tats) == len(key_rates)
        for index, (interval, capacity) in enumerate(key_rates):
            debt = tats[index] - now if usable and tats is not None else 0
            if debt < 0:
                debt = 0
            if debt + interval > capacity:
                admitted = False
            key_debts.append(debt)
        debts.append(key_debts)
    results: list[tuple[int, int]] = []
    if not admitted:
        for key_debts, key_rates in zip(debts, rates, strict=True):
            for debt, (interval, capacity) in zip(key_debts, key_rates, strict=True):
                results.append(status(debt, interval, capacity))
        return False, results, None
    new_tats: list[list[int]] = []
    for key_debts, key_rates in zip(debts, rates, strict=True):
        key_tats = []
        for debt, (interval, capacity) in zip(key_debts, key_rates, strict=True):
            debt += interval
            key_tats.append(now + debt)
            results.append(status(debt, interval, capacity))
        new_tats.append(key_tats)
    return True, results, new_tats
