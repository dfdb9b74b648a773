"""The storefront's spend of store credit."""

from __future__ import annotations

import pydantic


class RedeemIn(pydantic.BaseModel):
    """The storefront's spend of store credit: the account by `email` or by its credit `code`."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    email: str | None = None
    code: str | None = None
    currency: str
    amount: int
    idempotency_key: str
