"""The ``flatten`` tool: a streamed body of nested iterables becomes a flat stream of bytes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pegboard

__all__ = ["FlattenOptions", "FlattenTool", "Flattened"]


def _close(obj: Any) -> None:
    close = getattr(obj, "close", None)
    if close is not None:
        close()


class Flattened:
    """Iterates a body whose chunks may be iterables (generators of generators...).

    ``str`` chunks are encoded as UTF-8, like the core does. Nesting depth is
    not limited by Python's recursion limit (an explicit stack is used), and
    ``close()`` closes every iterable still open, innermost first.
    """

    def __init__(self, body: Iterable[Any]) -> None:
        self._outer = body
        self._stack: list[Iterator[Any]] = [iter(body)]

    def __iter__(self) -> Flattened:
        return self

    def __next__(self) -> bytes:
        stack = self._stack
        while stack:
            try:
                chunk = next(stack[-1])
            except StopIteration:
                done = stack.pop()
                if stack:
                    _close(done)
                continue
            if isinstance(chunk, bytes):
                return chunk
            if isinstance(chunk, str):
                return chunk.encode("utf-8")
            if isinstance(chunk, (bytearray, memoryview)):
                return bytes(chunk)
            stack.append(iter(chunk))
        raise StopIteration

    def close(self) -> None:
        while len(self._stack) > 1:
            _close(self._stack.pop())
        self._stack.clear()
        _close(self._outer)


class FlattenOptions(pegboard.ToolOptions):
    """The ``flatten`` tool has no options (``on`` and ``priority`` only)."""


class FlattenTool(pegboard.Tool[FlattenOptions]):
    """Flatten a streamed body made of nested iterables, early in before_finalize
    so that later tools (etags, gzip, caching) see plain bytes chunks."""

    hooks = (
        pegboard.HookDoc(
            "before_finalize", 5, "flattens a body of nested iterables, before anything reads it"
        ),
    )

    def __init__(self) -> None:
        super().__init__("flatten", point="before_finalize", priority=5)

    def attach(self, plan: pegboard.PlanBuilder, options: FlattenOptions) -> None:
        plan.add("before_finalize", _flatten, self.priority)


def _flatten(req: pegboard.Request, resp: pegboard.Response) -> None:
    """Wrap a streamed body so that nested iterables come out as flat bytes chunks."""
    stream = resp.stream
    if stream is not None and not isinstance(stream, Flattened):
        resp.stream = Flattened(stream)
