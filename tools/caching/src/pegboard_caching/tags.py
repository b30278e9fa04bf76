"""Tags a handler gives its response, so that :func:`~pegboard_caching.purge_tag` finds it.

``cache_tags_of(resp).append("posts")`` is the typed way; assigning
``resp.cache_tags = ["posts", "post-1"]`` (any iterable of strings) still works.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pegboard import Response

__all__ = ["cache_tags_of", "response_tags"]

#: the attribute handlers set on the response
ATTRIBUTE = "cache_tags"


def _listed(tags: Any) -> list[str]:
    if isinstance(tags, str):
        return [tags]  # one tag, not one per character
    if isinstance(tags, Iterable):
        return [str(tag) for tag in tags]
    return [str(tags)]


def cache_tags_of(resp: Response) -> list[str]:
    """The tags ``resp`` is stored under (``resp.cache_tags``): a list to add to.

    ::

        cache_tags_of(resp).extend(["articles", f"article-{id}"])
    """
    tags = getattr(resp, ATTRIBUTE, None)
    if type(tags) is list:
        return tags
    listed = [] if tags is None else _listed(tags)
    setattr(resp, ATTRIBUTE, listed)
    return listed


def response_tags(resp: Response) -> list[str]:
    """The tags set on ``resp`` so far, without adding the attribute (for the store)."""
    tags = getattr(resp, ATTRIBUTE, None)
    return [] if not tags else _listed(tags)
