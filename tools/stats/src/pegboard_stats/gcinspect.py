"""The gc and leak inspector: objects by type, and their growth since a snapshot.

What CherryPy's ``gctools`` is for, finding a leak in a running site: take a
snapshot, let requests run, and see which types grew. Counting walks every
object the collector tracks (containers and instances, not str or int), after
a full collection so that garbage waiting for the next one is not counted.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

__all__ = ["GcInspector", "Growth", "count_objects", "growth"]


def _type_name(kind: type) -> str:
    module = kind.__module__
    name = kind.__qualname__
    return name if module == "builtins" else f"{module}.{name}"


def count_objects() -> Counter[str]:
    """How many objects of each type the collector tracks, after a full collection."""
    gc.collect()
    names: dict[type, str] = {}
    counts: Counter[str] = Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        name = names.get(kind)
        if name is None:
            name = names[kind] = _type_name(kind)
        counts[name] += 1
    return counts


@dataclass(frozen=True)
class Growth:
    """One type's objects at the snapshot and now."""

    type: str
    before: int
    after: int

    @property
    def delta(self) -> int:
        return self.after - self.before


def growth(before: Counter[str], after: Counter[str]) -> list[Growth]:
    """The types with more objects ``after`` than ``before``, most grown first."""
    grown = [
        Growth(name, before.get(name, 0), count)
        for name, count in after.items()
        if count > before.get(name, 0)
    ]
    grown.sort(key=lambda g: (-g.delta, g.type))
    return grown


class GcInspector:
    """One process's baseline (the last snapshot) and the reports against it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.baseline: Counter[str] | None = None
        self.taken: float | None = None

    def snapshot(self) -> dict[str, Any]:
        """Count the objects now and keep the counts as the baseline."""
        with self.lock:
            self.baseline = count_objects()
            self.taken = time.time()
            return {"pid": os.getpid(), "taken": self.taken, "objects": self.baseline.total()}

    def report(self, top: int) -> dict[str, Any]:
        """Generations, uncollectable garbage, the most numerous types and the growth."""
        with self.lock:
            counts = count_objects()
            baseline, taken = self.baseline, self.taken
        garbage: Counter[str] = Counter(_type_name(type(obj)) for obj in list(gc.garbage))
        pending = gc.get_count()
        generations = [
            {
                "Generation": number,
                "Collections": stats["collections"],
                "Collected": stats["collected"],
                "Uncollectable": stats["uncollectable"],
                "Pending": pending[number] if number < len(pending) else 0,
                "Threshold": gc.get_threshold()[number] if number < 3 else None,
            }
            for number, stats in enumerate(gc.get_stats())
        ]
        grown = growth(baseline, counts) if baseline is not None else []
        return {
            "pid": os.getpid(),
            "time": time.time(),
            "objects": counts.total(),
            "generations": generations,
            "garbage": [{"Type": name, "Count": n} for name, n in garbage.most_common(top)],
            "types": [
                {
                    "Type": name,
                    "Count": n,
                    "Growth": None if baseline is None else n - baseline.get(name, 0),
                }
                for name, n in counts.most_common(top)
            ],
            "snapshot": taken,
            "growth": [
                {"Type": g.type, "Before": g.before, "After": g.after, "Growth": g.delta}
                for g in grown[:top]
            ],
        }
