"""Issuing labels with fakes: rendered once per size, only from approval on, never for another order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import ConflictError, NotFoundError, ValidationError
from chalicelib.domain.order import Address
from chalicelib.services.issue_label import (
    LabelSender,
    issue_label,
    label_key,
    label_url,
    parse_label_size,
)
from chalicelib.services.label_document import LabelDocument, LabelSize
from chalicelib.services.request_return import request_return
from chalicelib.web.schemas.orders import OrderIn
from tests.documents import an_order_document
from tests.unit.services.test_request_return import NOW, Deps, one


@dataclass
class MemoryLabelStore:
    """A LabelStore in a dict; links name the key and their lifetime."""

    stored: dict[str, bytes] = field(default_factory=dict)

    def exists(self, key: str) -> bool:
        return key in self.stored

    def put_pdf(self, key: str, pdf: bytes) -> None:
        self.stored[key] = pdf

    def presigned_url(self, key: str, *, expires_in: timedelta) -> str:
        return f"memory://{key}?expires={int(expires_in.total_seconds())}"


@dataclass
class Renderer:
    drawn: list[tuple[LabelDocument, str]] = field(default_factory=list)

    def __call__(self, document: LabelDocument, size: LabelSize) -> bytes:
        self.drawn.append((document, size))
        return b"%PDF-" + size.encode()


@dataclass
class LabelDeps(Deps):
    labels: MemoryLabelStore = field(default_factory=MemoryLabelStore)
    render_label: Renderer = field(default_factory=Renderer)
    label_sender: LabelSender = field(default_factory=lambda: LabelSender(
        "Retour Demo Store", Address("Returns", "1 Dock", "Reno", "89501", "US"),
        "https://returns.example"))


@pytest.fixture
def deps() -> LabelDeps:
    deps = LabelDeps()
    deps.orders.save(OrderIn.model_validate(an_order_document()).to_domain(), now=NOW)
    return deps


def test_an_approved_return_gets_a_15_minute_link_to_its_label_rendered_once(deps: LabelDeps) -> None:
    created = request_return(deps, order_number="1001", selections=one(), resolution="refund")

    first = label_url(deps, created.rma, order_number="1001", size="4x6")
    again = label_url(deps, created.rma, order_number="1001", size="4x6")

    assert first == again == f"memory://labels/{created.rma}/4x6.pdf?expires=900"
    assert len(deps.render_label.drawn) == 1
    document, size = deps.render_label.drawn[0]
    assert size == "4x6"
    assert document.status_url == f"https://returns.example/returns/{created.rma}"
    assert document.customer_name == "山田 愛子" and document.locale == "ja"
    assert [(l.sku, l.quantity, l.reason) for l in document.lines] == [("TEE-NAVY-M", 1, "サイズが小さい")]
    assert document.generated_on == NOW.date()


def test_each_size_is_its_own_pdf(deps: LabelDeps) -> None:
    created = request_return(deps, order_number="1001", selections=one(), resolution="refund")

    for size in ("4x6", "a4", "letter"):
        issue_label(deps, created, size=size)  # type: ignore[arg-type]

    assert sorted(deps.labels.stored) == sorted(label_key(created.rma, s) for s in ("4x6", "a4", "letter"))  # type: ignore[arg-type]


def test_a_return_awaiting_the_merchant_has_no_label_yet(deps: LabelDeps) -> None:
    deps.clock.at = NOW + timedelta(days=20)
    created = request_return(deps, order_number="1001", selections=one(), resolution="refund")

    with pytest.raises(ConflictError):
        label_url(deps, created.rma, order_number="1001", size="4x6")
    assert deps.labels.stored == {}


def test_an_expired_returns_label_is_refused_saying_why_even_once_printed(deps: LabelDeps) -> None:
    created = request_return(deps, order_number="1001", selections=one(), resolution="refund")
    label_url(deps, created.rma, order_number="1001", size="4x6")  # printed while approved
    deps.returns.save(created.expire(at=NOW + timedelta(days=31), actor="system:return_expiry"), new_events=1,
                      now=NOW + timedelta(days=31))

    for size in ("4x6", "a4"):
        with pytest.raises(ConflictError) as refused:
            label_url(deps, created.rma, order_number="1001", size=size)  # type: ignore[arg-type]
        assert refused.value.code == "return_expired"
        assert "expired" in refused.value.message and "can no longer be used" in refused.value.message
    assert len(deps.render_label.drawn) == 1


def test_another_orders_return_is_not_found(deps: LabelDeps) -> None:
    created = request_return(deps, order_number="1001", selections=one(), resolution="refund")

    with pytest.raises(NotFoundError):
        label_url(deps, created.rma, order_number="9999", size="4x6")
    assert deps.render_label.drawn == []


@pytest.mark.parametrize(("asked", "size"), [(None, "4x6"), ("", "4x6"), ("A4", "a4"), ("letter", "letter")])
def test_sizes_are_read_from_the_query(asked: str | None, size: str) -> None:
    assert parse_label_size(asked) == size


def test_an_unknown_size_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        parse_label_size("a3")
    assert refused.value.fields == ("size",)
