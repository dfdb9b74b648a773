"""Eligibility: judging one order line against a policy at a given instant.

How a line is judged (the first step that applies decides):

1. Nothing left to return: every unit is already returned (`fully_returned`) or part of a
   return still open (`already_requested`) -> not_returnable.
2. A final-sale line under a policy with `final_sale_returnable: false` -> not_returnable
   (`final_sale`).
3. The deciding rule (see `Policy.deciding_rule`) says `returnable: false` -> not_returnable
   (`rule_not_returnable`).
4. The window has not started: `window_starts` is `delivered` (or `fulfilled`) and the order has
   no such date -> not_returnable (`not_delivered_yet` / `not_shipped_yet`).
5. The window, in whole days of the store's time zone: the local date on which the window starts
   is day 0 and the last day is day 0 + `window_days` (the rule's own `window_days` when the
   deciding rule has one). The line is in the window through 23:59:59.999999 local time on its
   last day, whatever the hour of delivery. So a 30-day window for a parcel delivered on
   3 November at 23:30 Tokyo time ends at midnight Tokyo time between 3 and 4 December.
   - in the window -> returnable (`within_window`), unless the shopper already made
     `max_returns_per_customer_90d` or more returns in the last 90 days -> needs_approval
     (`abuse_limit`);
   - up to `exception_grace_days` days after the last day -> needs_approval (`window_passed`,
     with `days_late` >= 1 and `request_until`, the last day an exception can be asked for);
   - later -> not_returnable (`window_closed`).

A `now` before the window start (clock skew between the carrier and us) counts as day 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from .errors import ValidationError
from .order import Order, OrderLine
from .policy import Policy

VerdictStatus = Literal["returnable", "needs_approval", "not_returnable"]
ReasonCode = Literal[
    "within_window",
    "abuse_limit",
    "window_passed",
    "window_closed",
    "final_sale",
    "rule_not_returnable",
    "not_delivered_yet",
    "not_shipped_yet",
    "fully_returned",
    "already_requested",
]
REASON_CODES: tuple[ReasonCode, ...] = (
    "within_window",
    "abuse_limit",
    "window_passed",
    "window_closed",
    "final_sale",
    "rule_not_returnable",
    "not_delivered_yet",
    "not_shipped_yet",
    "fully_returned",
    "already_requested",
)

ParamValue = int | str | date


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement of one order line: may it be returned, why, until when and how many units.

    `returnable_until` is the last day of the return window in the store's time zone whenever the
    window is known (returnable, needs_approval, window_closed), else None. `quantity_available`
    is how many units a new return may hold: 0 when not returnable. `params` feed the message.
    """

    line_id: str
    status: VerdictStatus
    reason_code: ReasonCode
    quantity_available: int
    returnable_until: date | None = None
    params: tuple[tuple[str, ParamValue], ...] = ()
    policy_version: int = 0

    @property
    def message_params(self) -> dict[str, ParamValue]:
        return dict(self.params)

    @property
    def can_be_chosen(self) -> bool:
        """True when the shopper may put this line in a return (directly or as an exception)."""
        return self.status != "not_returnable"


def judge_line(
    order: Order,
    line: OrderLine,
    policy: Policy,
    *,
    now: datetime,
    already_returned: int,
    in_open_returns: int,
    customer_returns_90d: int,
) -> Verdict:
    """Judge `line` of `order` under `policy` at the instant `now` (pure: same inputs, same verdict).

    `already_returned`: units of this line in returns that went through (received, refunded,
    credited); `in_open_returns`: units in returns still pending or approved; both exclude
    rejected, cancelled and expired returns. `customer_returns_90d`: returns the shopper started
    in the 90 days before `now`, across all orders.
    """
    _check_inputs(order, line, now, already_returned, in_open_returns, customer_returns_90d)

    def verdict(
        status: VerdictStatus,
        reason: ReasonCode,
        *,
        until: date | None = None,
        quantity: int = 0,
        params: tuple[tuple[str, ParamValue], ...] = (),
    ) -> Verdict:
        return Verdict(line.id, status, reason, quantity, until, params, policy.version)

    left = line.quantity - already_returned - in_open_returns
    if left <= 0:
        reason: ReasonCode = "already_requested" if in_open_returns > 0 else "fully_returned"
        return verdict("not_returnable", reason)
    if line.final_sale and not policy.final_sale_returnable:
        return verdict("not_returnable", "final_sale")
    rule = policy.deciding_rule(line)
    if rule is not None and not rule.returnable:
        return verdict("not_returnable", "rule_not_returnable")

    starts_at = _window_start(order, policy)
    if starts_at is None:
        unstarted: ReasonCode = (
            "not_shipped_yet" if policy.window_starts == "fulfilled" else "not_delivered_yet"
        )
        return verdict("not_returnable", unstarted)

    zone = policy.zone
    window_days = policy.window_days
    if rule is not None and rule.window_days is not None:
        window_days = rule.window_days
    last_day = starts_at.astimezone(zone).date() + timedelta(days=window_days)
    today = now.astimezone(zone).date()

    if today <= last_day:
        limit = policy.max_returns_per_customer_90d
        if limit is not None and customer_returns_90d >= limit:
            return verdict(
                "needs_approval", "abuse_limit", until=last_day, quantity=left,
                params=(("date", last_day), ("limit", limit)),
            )
        return verdict(
            "returnable", "within_window", until=last_day, quantity=left,
            params=(("date", last_day),),
        )

    days_late = (today - last_day).days
    if days_late <= policy.exception_grace_days:
        request_until = last_day + timedelta(days=policy.exception_grace_days)
        return verdict(
            "needs_approval", "window_passed", until=last_day, quantity=left,
            params=(("days_late", days_late), ("request_until", request_until)),
        )
    return verdict(
        "not_returnable", "window_closed", until=last_day,
        params=(("date", last_day), ("days_late", days_late)),
    )


def judge_order(
    order: Order,
    policy: Policy,
    *,
    now: datetime,
    returned: dict[str, int] | None = None,
    in_open_returns: dict[str, int] | None = None,
    customer_returns_90d: int,
) -> tuple[Verdict, ...]:
    """Judge every line of `order`; the maps give units per line id (missing ids count as 0)."""
    returned = returned or {}
    in_open_returns = in_open_returns or {}
    return tuple(
        judge_line(
            order, line, policy, now=now,
            already_returned=returned.get(line.id, 0),
            in_open_returns=in_open_returns.get(line.id, 0),
            customer_returns_90d=customer_returns_90d,
        )
        for line in order.lines
    )


def _window_start(order: Order, policy: Policy) -> datetime | None:
    if policy.window_starts == "placed":
        return order.placed_at
    if policy.window_starts == "fulfilled":
        return order.fulfilled_at
    return order.delivered_at


def _check_inputs(
    order: Order,
    line: OrderLine,
    now: datetime,
    already_returned: int,
    in_open_returns: int,
    customer_returns_90d: int,
) -> None:
    problems: list[tuple[str, str]] = []
    if order.line(line.id) != line:
        problems.append(("line_id", f"line {line.id!r} is not a line of order {order.number}"))
    if now.tzinfo is None or now.utcoffset() is None:
        # A naive instant has no place in the store's time zone; refusing it beats guessing.
        problems.append(("now", "now must carry a time zone"))
    for name, value in (("already_returned", already_returned), ("in_open_returns", in_open_returns),
                        ("customer_returns_90d", customer_returns_90d)):
        if value < 0:
            problems.append((name, f"{name} must not be negative"))
    if problems:
        raise ValidationError(
            "; ".join(message for _, message in problems),
            fields=tuple(name for name, _ in problems),
        )
