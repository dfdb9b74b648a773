"""One notifier per recipient: each email reaches the mailer that writes it, arguments intact."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.ses_notifiers import SESMerchantNotifier, SESShopperNotifier


class Recorder:
    """Any mailer: records each call by name."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args, kwargs))
        return record


def test_the_shopper_hears_about_their_return_the_decision_and_their_money() -> None:
    mailer, approvals = Recorder(), Recorder()
    shopper = SESShopperNotifier(mailer, approvals)  # type: ignore[arg-type]
    shopper.return_requested("request", "order")  # type: ignore[arg-type]
    shopper.return_cancelled("request", "order")  # type: ignore[arg-type]
    shopper.return_expired("request", "order", ship_within_days=30)  # type: ignore[arg-type]
    shopper.refund_sent("request")  # type: ignore[arg-type]
    shopper.credit_issued("request", balance="balance")  # type: ignore[arg-type]
    shopper.return_decided("request", "order", note="Thanks", counter_terms="")  # type: ignore[arg-type]
    assert [name for name, _, _ in mailer.calls] == [
        "return_requested", "return_cancelled", "return_expired", "refund_sent", "credit_issued",
    ]
    assert mailer.calls[2][2] == {"ship_within_days": 30}
    assert approvals.calls == [("return_decided", ("request", "order"), {"note": "Thanks", "counter_terms": ""})]


def test_the_merchant_hears_about_exceptions_and_refunds_in_trouble() -> None:
    mailer, approvals = Recorder(), Recorder()
    merchant = SESMerchantNotifier(mailer, approvals)  # type: ignore[arg-type]
    merchant.approval_requested("approval", to="m@example.com")  # type: ignore[arg-type]
    merchant.approval_digest(("approval",), to="m@example.com")  # type: ignore[arg-type]
    merchant.refund_failed("request", to="m@example.com", reason="card_declined")  # type: ignore[arg-type]
    merchant.refund_held("request", to="m@example.com", reason="disputed")  # type: ignore[arg-type]
    assert [name for name, _, _ in approvals.calls] == ["approval_requested", "approval_digest"]
    assert mailer.calls == [
        ("refund_failed", ("request",), {"to": "m@example.com", "reason": "card_declined"}),
        ("refund_held", ("request",), {"to": "m@example.com", "reason": "disputed"}),
    ]
