"""The emails' status links: one return of one order, one purpose, 60 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.adapters.signed_tokens import SignedTokens
from chalicelib.domain.errors import AuthenticationError
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.quote import Selection, quote
from chalicelib.domain.return_request import ReturnRequest
from chalicelib.services.status_links import (
    STATUS_LINK_TTL,
    open_status_link,
    plain_status_url,
    status_link_token,
    status_url,
)
from tests.builders import an_order

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TOKENS = SignedTokens(lambda: "unit-test-key")


def a_return(rma: str = "R-7Q4K-9M2P", number: str = "1001") -> ReturnRequest:
    order = an_order(number=number)
    selections = (Selection("L1", 1, "too_small"),)
    return ReturnRequest.request(rma=rma, order=order, selections=selections, at=NOW, needs_approval=False,
                                 quote=quote(order, selections, DEFAULT_POLICY, resolution="refund"))


def test_a_link_names_the_return_and_opens_its_order_for_sixty_days() -> None:
    assert STATUS_LINK_TTL == timedelta(days=60)
    token = status_link_token(TOKENS, a_return(), now=NOW)
    for later in (timedelta(0), timedelta(days=30), timedelta(days=59, hours=23)):
        assert open_status_link(TOKENS, token, rma="R-7Q4K-9M2P", now=NOW + later) == "1001"
    # As people type it: any case.
    assert open_status_link(TOKENS, token, rma="r-7q4k-9m2p", now=NOW) == "1001"
    with pytest.raises(AuthenticationError) as expired:
        open_status_link(TOKENS, token, rma="R-7Q4K-9M2P", now=NOW + timedelta(days=60))
    assert expired.value.code == "token_expired"


@pytest.mark.parametrize("case", ["another return", "tampered", "another purpose", "another key", "not a token"])
def test_anything_but_a_genuine_link_for_this_return_is_refused(case: str) -> None:
    token = status_link_token(TOKENS, a_return(), now=NOW)
    presented, rma = {
        "another return": (token, "R-0000-0000"),
        "tampered": (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "R-7Q4K-9M2P"),
        "another purpose": (TOKENS.issue('{"o":"1001","r":"R-7Q4K-9M2P"}', purpose="shopper", now=NOW,
                                        ttl=timedelta(days=1)), "R-7Q4K-9M2P"),
        "another key": (status_link_token(SignedTokens(lambda: "other-key"), a_return(), now=NOW), "R-7Q4K-9M2P"),
        "not a token": ("hello", "R-7Q4K-9M2P"),
    }[case]
    with pytest.raises(AuthenticationError) as refused:
        open_status_link(TOKENS, presented, rma=rma, now=NOW)
    assert refused.value.code == "invalid_token"


def test_the_email_address_carries_the_token_and_the_plain_one_does_not() -> None:
    url = status_url(TOKENS, a_return(), base_url="https://returns.example/", now=NOW)
    assert url.startswith("https://returns.example/returns/R-7Q4K-9M2P?link=v1.")
    assert plain_status_url("https://returns.example/", "R-7Q4K-9M2P") == "https://returns.example/returns/R-7Q4K-9M2P"
