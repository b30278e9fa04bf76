"""Type-checked, not run: pegboard_etags' decorator keeps the handler's type; its options are typed."""

from __future__ import annotations

from typing import assert_type

import pegboard_etags
from pegboard import Request, Response


def version(req: Request) -> str | None:
    return "v1"


@pegboard_etags.validator(version)
def article(req: Request, resp: Response, id: int) -> dict[str, int]:
    return {"id": id}


def uses(req: Request, resp: Response) -> None:
    assert_type(article(req, resp, 1), dict[str, int])
    assert_type(pegboard_etags.to_entity_tag("v1"), str)
    assert_type(pegboard_etags.http_date(0.0), str)


options = pegboard_etags.EtagsOptions(autotags=True, validator=version)
assert_type(options.autotags, bool)
assert_type(options.validator, pegboard_etags.Validator | None)
