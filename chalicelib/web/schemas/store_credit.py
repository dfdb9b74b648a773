"""The storefront's spend of store credit."""

from __future__ import annotations

import pydantic


class RedeemIn(pydantic.BaseModel):
    """The storefront's spend of store credit."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    email: str
    currency: str
    amount: int
    idempotency_key: str
