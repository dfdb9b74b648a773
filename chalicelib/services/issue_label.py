"""Use case: the printable label and packing slip of an approved return, stored and linked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from ..domain.errors import ConflictError, NotFoundError, ValidationError
from ..domain.order import Address, Order, OrderLine
from ..domain.send_by import send_by_date
from ..domain.return_request import (
    APPROVED,
    CANCELLED,
    CREDITED,
    EXPIRED,
    RECEIVED,
    REFUND_FAILED,
    REFUNDED,
    REFUNDING,
    REJECTED,
    ReturnRequest,
)
from ..locales.names import reason_name
from .label_document import (
    DEFAULT_LABEL_SIZE,
    LABEL_SIZES,
    LabelDocument,
    LabelLine,
    LabelSize,
)
from .ports.labels import LabelRenderer, LabelStore
from .ports.orders import OrderRepository
from .ports.policy import PolicyRepository
from .ports.returns import ReturnRepository
from .ports.system import Clock
from .read_return import read_return

# A label exists from approval on; the parcel may still be in transit after the refund.
LABEL_STATUSES: tuple[str, ...] = (APPROVED, RECEIVED, REFUNDING, REFUNDED, CREDITED, REFUND_FAILED)
# A return closed before its parcel came (domain VOID_STATUSES): a label printed earlier must not
# carry a parcel any more. Code and words by status, so the shopper hears why.
VOID_LABELS: dict[str, tuple[str, str]] = {
    CANCELLED: ("return_cancelled", "This return was cancelled, so its label can no longer be used."),
    EXPIRED: ("return_expired", "This return expired because its parcel didn't reach the store in time, "
                                "so its label can no longer be used."),
}
# Why a return has no label to give: voided, or never had one (a declined return: "ready once
# the store has approved" would promise one).
NO_LABEL: dict[str, tuple[str, str]] = {
    **VOID_LABELS,
    REJECTED: ("return_rejected", "The store declined this return, so it has no label."),
}
# How long a download link works: long enough to print, short enough not to be worth sharing.
LINK_LIFETIME = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class LabelSender:
    """What the store prints on every label: its name, its warehouse, its status pages."""

    store_name: str
    return_to: Address
    public_base_url: str

    def status_url(self, rma: str) -> str:
        return f"{self.public_base_url.rstrip('/')}/returns/{rma}"


class IssueLabelDeps(Protocol):
    """What issuing a label needs."""

    @property
    def returns(self) -> ReturnRepository: ...
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def labels(self) -> LabelStore: ...
    @property
    def render_label(self) -> LabelRenderer: ...
    @property
    def label_sender(self) -> LabelSender: ...
    @property
    def policies(self) -> PolicyRepository: ...


def label_key(rma: str, size: LabelSize) -> str:
    """Where the PDF of `rma` in `size` is stored."""
    return f"labels/{rma}/{size}.pdf"


def parse_label_size(size: str | None) -> LabelSize:
    """The label size a query asked for (4x6 when none); ValidationError for any other."""
    if size is None or size == "":
        return DEFAULT_LABEL_SIZE
    for known in LABEL_SIZES:
        if size.lower() == known:
            return known
    raise ValidationError(f"size must be one of {', '.join(LABEL_SIZES)}", fields=("size",),
                          code="invalid_size")


def issue_label(deps: IssueLabelDeps, request: ReturnRequest, *,
                size: LabelSize = DEFAULT_LABEL_SIZE, order: Order | None = None) -> str:
    """Render and store the label of `request` unless it is stored already; return its key.

    Call it when a return becomes approved (directly or by the merchant) so the first download
    is a redirect only; a label missing later (expired, deleted) is rendered again on demand.
    `order`: the return's order when the caller holds it (not read again).
    """
    if request.status in NO_LABEL:
        code, message = NO_LABEL[request.status]
        raise ConflictError(message, code=code)
    if request.status not in LABEL_STATUSES:
        raise ConflictError(
            "The label is ready once the store has approved this return.", code="label_not_ready"
        )
    key = label_key(request.rma, size)
    if not deps.labels.exists(key):
        deps.labels.put_pdf(key, deps.render_label(label_document(deps, request, order=order), size))
    return key


def label_url(deps: IssueLabelDeps, rma: str, *, order_number: str,
              size: LabelSize = DEFAULT_LABEL_SIZE) -> str:
    """A 15-minute download link to the label of return `rma` of order `order_number`.

    Another order's return is NotFoundError, exactly as a missing one. The return is read
    eventually consistent first (half the read units); only a copy that shows no label to give
    (none yet, or not approved yet: it may predate the approval a moment ago) is read again
    consistently before the shopper is told no.
    """
    try:
        request: ReturnRequest | None = read_return(deps, rma, order_number=order_number, consistent=False)
    except NotFoundError:
        request = None
    if request is None or request.status not in LABEL_STATUSES:
        request = read_return(deps, rma, order_number=order_number)
    key = issue_label(deps, request, size=size)
    return deps.labels.presigned_url(key, expires_in=LINK_LIFETIME)


def label_document(deps: IssueLabelDeps, request: ReturnRequest, *, order: Order | None = None) -> LabelDocument:
    """What the label of `request` says, from its order (read unless given) and the store's settings."""
    if order is None or order.number != request.order_number:
        order = deps.orders.get(request.order_number)
    if order is None:
        raise NotFoundError("We couldn't find that return.", code="return_not_found")
    sender = deps.label_sender
    locale = request.locale
    lines = []
    for line in request.lines:
        ordered: OrderLine | None = order.line(line.line_id)
        lines.append(LabelLine(
            title=ordered.title if ordered else line.line_id,
            sku=ordered.sku if ordered else "",
            quantity=line.quantity,
            reason=reason_name(line.reason, locale),
        ))
    return LabelDocument(
        rma=request.rma, order_number=order.number, store_name=sender.store_name,
        return_to=sender.return_to, ship_from=order.shipping_address,
        customer_name=order.customer_name, status_url=sender.status_url(request.rma),
        locale=locale, lines=tuple(lines), generated_on=deps.clock.now().date(),
        # Eventually consistent (pattern 11): the send-by date follows the policy in force.
        send_by=send_by_date(request, deps.policies.current(consistent=False)),
    )
