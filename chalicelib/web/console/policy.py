"""The policy editor (owners only): `/console/policy` with its preview, and the version history.

Every setting of the policy is a form field; lists (rules, reasons, return-shipping fees) are
numbered rows with a remove box and spare empty rows (services/policy_form.py). The form is
checked by the admin API's own model (web/schemas/policy.py), so the editor accepts exactly what
a PUT accepts. "Preview changes" runs the dry run on the candidate and shows which recent orders'
lines it would judge differently, with a Save button carrying the same values. Saving is a
conditional write on the version the form was opened at: a version saved meanwhile by another
owner is refused with the form kept as typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice.app import Response

from ...domain.errors import NotFoundError, StaleWriteError, ValidationError
from ...domain.money import Money
from ...domain.policy import Policy, Reason, Rule, RuleMatch
from ...domain.policy_diff import PolicyChange, diff_policies
from ...domain.staff import Permission
from ...locales import N_
from ...services.dry_run_policy import STATUSES, DryRun, dry_run_policy
from ...services.manage_policy import read_policy, read_policy_version, recent_policy_versions, save_policy_edit
from ...services.policy_form import (
    SHIPPING_REFUND_CHECKBOXES,
    PolicyFormReading,
    money_text,
    policy_to_form,
    read_policy_form,
    row_count,
)
from ..schemas.base import parse
from ..schemas.policy import PolicyIn
from . import console_pages
from .visit import FORM, ConsoleVisit, console_view

HISTORY_PAGE = 100

# The words of each setting (also the diff's field names).
LABELS: dict[str, str] = {
    "window_days": N_("Return window (days)"),
    "window_starts": N_("The window starts"),
    "exception_grace_days": N_("Days after the window a shopper may still ask for an exception"),
    "time_zone": N_("Store time zone"),
    "final_sale_returnable": N_("Final-sale items can be returned"),
    "resolutions_refund": N_("Offer a refund to the original payment"),
    "resolutions_store_credit": N_("Offer store credit"),
    "store_credit_bonus_percent": N_("Store-credit bonus (percent)"),
    "store_credit_expiry_days": N_("Store credit expires after (days)"),
    "refund_trigger": N_("When the money goes back"),
    "restocking_percent": N_("Restocking fee (percent of the item's price)"),
    "merchant_email": N_("Email for exception requests"),
    "approval_sla_hours": N_("Decide exception requests within (hours)"),
    "approval_link_ttl_hours": N_("Approve and decline links work for (hours)"),
    "approval_expiry_hours": N_("An undecided request times out after (hours)"),
    "on_approval_timeout": N_("When a request times out"),
    "ship_within_days": N_("The parcel must arrive within (days after approval)"),
    "ship_reminder_days_before": N_("Remind the shopper to send the parcel (days before the send-by date)"),
    "max_returns_per_customer_90d": N_("Returns a shopper may start in 90 days before each needs approval"),
    # shipping: the original-shipping occasions, and the setting's name in the diff.
    "shipping_refund_whole_order": N_("Refund the original shipping when the whole order comes back"),
    "shipping_refund_fee_waiving_reasons": N_("Refund the original shipping when the reason waives fees "
                                              "(damaged, wrong item)"),
    "shipping_refund_eu_withdrawal": N_("Refund the original shipping as the EU right of withdrawal requires"),
    "original_shipping_refund": N_("Original shipping is refunded"),
    "product_type": N_("Product type"),
    "tag": N_("Tag"),
    "sku": N_("SKU"),
    "returnable": N_("Returnable"),
    "rule_window_days": N_("Own window (days)"),
    "remove": N_("Remove"),
    "code": N_("Reason code"),
    "requires_note": N_("The shopper must add a note"),
    "waive_fees": N_("No fees for this reason"),
    "accepts_photos": N_("The shopper may add photos"),
    "currency": N_("Currency"),
    "amount": N_("Return-shipping fee"),
    "rules": N_("Rules"),
    "reasons": N_("Return reasons"),
    "return_shipping": N_("Return-shipping fees"),
    # exchanges (issue 19)
    "exchanges": N_("Exchanges for another variant"),
    "exchange_trigger": N_("When the replacement order is made"),
    "exchange_out_of_stock": N_("If the replacement runs out before it is sent"),
}
HINTS: dict[str, str] = {
    "exception_grace_days": N_("In these days the shopper can ask, and you decide. 0: no exceptions."),
    "time_zone": N_("An IANA name such as Asia/Tokyo: return windows count calendar days there."),
    "store_credit_expiry_days": N_("Leave empty: store credit never expires."),
    "ship_within_days": N_("Leave empty: approved returns never expire."),
    "ship_reminder_days_before": N_("One email, in the shopper's language. Leave empty: no reminder."),
    "max_returns_per_customer_90d": N_("Leave empty for no limit; 0 makes every return need approval."),
    "shipping_refund_eu_withdrawal": N_("For addresses in the EU, Iceland, Liechtenstein and Norway: when the "
                                        "whole order comes back within 14 days of delivery. Tick none: the "
                                        "original shipping is never refunded."),
    "approval_sla_hours": N_("Requests waiting longer show as overdue in the inbox and reports."),
    "rules": N_("A rule matches items by product type, tag or SKU (every one filled in must match) and "
                "either makes them not returnable or gives them a window of their own. The most "
                "specific rule decides. Fill in an empty row to add a rule."),
    "reasons": N_("Codes are lower-case letters, digits and _, such as too_small. Fill in an empty row to add "
                  "a reason."),
    "return_shipping": N_("One fee per order currency, typed as you write money: 5.00 in USD, 800 in JPY. "
                          "Orders in a currency without a fee pay no return shipping."),
    # exchanges (issue 19)
    "exchanges": N_("Shoppers may choose another size or colour of the same product instead of money back. "
                    "Only variants in stock are offered."),
    "exchange_out_of_stock": N_("The shopper is told, and gets this instead of the replacement."),
}
# Each setting's section of the form.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Return window"), ("window_days", "window_starts", "exception_grace_days", "time_zone",
                           "final_sale_returnable")),
    (N_("Refunds and store credit"), ("resolutions_refund", "resolutions_store_credit", "store_credit_bonus_percent",
                                      "store_credit_expiry_days", "refund_trigger")),
    (N_("Fees"), ("restocking_percent",)),
    (N_("Exception requests"), ("merchant_email", "approval_sla_hours", "approval_link_ttl_hours",
                                "approval_expiry_hours", "on_approval_timeout")),
    (N_("Limits and expiry"), ("ship_within_days", "ship_reminder_days_before", "max_returns_per_customer_90d")),
    (N_("Original shipping"), tuple(name for name, _ in SHIPPING_REFUND_CHECKBOXES)),
    # exchanges (issue 19)
    (N_("Exchanges"), ("exchanges", "exchange_trigger", "exchange_out_of_stock")),
)
CHECKBOXES = frozenset({"final_sale_returnable", "resolutions_refund", "resolutions_store_credit",
                        *(name for name, _ in SHIPPING_REFUND_CHECKBOXES)})
NUMBERS = frozenset({"window_days", "exception_grace_days", "store_credit_bonus_percent", "store_credit_expiry_days",
                     "restocking_percent", "approval_sla_hours", "approval_link_ttl_hours", "approval_expiry_hours",
                     "ship_within_days", "ship_reminder_days_before", "max_returns_per_customer_90d"})
CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "window_starts": (("delivered", N_("When the order is delivered")),
                      ("fulfilled", N_("When the order ships")),
                      ("placed", N_("When the order is placed"))),
    "refund_trigger": (("on_receipt", N_("When the parcel is received")),
                       ("on_approval", N_("As soon as the return is approved"))),
    "on_approval_timeout": (("reject", N_("Decline the return")),
                            ("approve", N_("Approve the return"))),
    # exchanges (issue 19)
    "exchanges": (("same_price", N_("Only for variants at the same price")),
                  ("any_price", N_("For any variant: the shopper pays or gets back the price difference")),
                  ("off", N_("No exchanges: money back only"))),
    "exchange_trigger": (("on_receipt", N_("When the parcel is received")),
                         ("on_approval", N_("As soon as the return is approved"))),
    "exchange_out_of_stock": (("refund", N_("A refund to the original payment")),
                              ("store_credit", N_("Store credit"))),
}
PROBLEMS: dict[str, str] = {
    "required": N_("Fill this in."),
    "days": N_("Enter a whole number of days from 0 to 3650."),
    "expiry_days": N_("Enter a number of days from 1 to 3650, or leave it empty so store credit never expires."),
    "ship_days": N_("Enter a number of days from 1 to 365, or leave it empty so approved returns never expire."),
    "reminder_days": N_("Enter a number of days from 1 to 30, or leave it empty to send no reminder."),
    "max_returns": N_("Enter a whole number from 0 to 10000, or leave it empty for no limit."),
    "hours": N_("Enter a whole number of hours from 1 to 8784."),
    "percent": N_("Enter a whole number from 0 to 100."),
    "time_zone": N_("Enter a time zone name such as Asia/Tokyo or America/New_York."),
    "email": N_("Enter an email address, such as returns@example.com."),
    "choice": N_("Choose one of the options."),
    "resolutions": N_("Offer at least one: a refund or store credit."),
    "rule_match": N_("A rule needs a product type, a tag or a SKU."),
    "criterion": N_("Use 1 to 100 characters."),
    "window_not_returnable": N_("Items a rule makes not returnable have no window: leave the days empty or make "
                                "them returnable."),
    "reason_code": N_("Use lower-case letters, digits and _ (up to 40), starting with a letter."),
    "reason_twice": N_("This reason code is already in the list."),
    "reasons_empty": N_("Keep at least one return reason."),
    "currency": N_("Enter a three-letter currency code such as USD or JPY."),
    "currency_twice": N_("This currency already has a fee."),
    "money": N_("Enter an amount such as 5.00, or 500 in a currency without decimals."),
    "money_decimals": N_("This currency doesn't have that many decimals."),
    "invalid": N_("This value is not allowed."),
}
VERDICTS = {
    "returnable": N_("Returnable"),
    "needs_approval": N_("Needs approval"),
    "not_returnable": N_("Not returnable"),
}
VERDICT_REASONS = {
    "within_window": N_("within the window"),
    "abuse_limit": N_("over the 90-day limit"),
    "window_passed": N_("after the window"),
    "window_closed": N_("too late for an exception"),
    "final_sale": N_("final sale"),
    "rule_not_returnable": N_("a rule says not returnable"),
    "not_delivered_yet": N_("not delivered yet"),
    "not_shipped_yet": N_("not shipped yet"),
    "fully_returned": N_("already returned"),
    "already_requested": N_("already in a return"),
}
# The diff's names of settings, by the domain's dotted names.
DIFF_NAMES = {
    "resolutions.refund": "resolutions_refund",
    "resolutions.store_credit": "resolutions_store_credit",
    "resolutions.store_credit_bonus_percent": "store_credit_bonus_percent",
    "fees.restocking_percent": "restocking_percent",
    "fees.return_shipping": "return_shipping",
}
# shipping: each occasion in a diff, in words.
SHIPPING_REFUND_WORDS = {
    "whole_order": N_("when the whole order comes back"),
    "fee_waiving_reasons": N_("when the reason waives fees"),
    "eu_withdrawal": N_("as the EU right of withdrawal requires"),
}
EMPTY_MEANS = {
    "store_credit_expiry_days": N_("Never expires"),
    "ship_within_days": N_("Never expires"),
    "ship_reminder_days_before": N_("No reminder"),
    "max_returns_per_customer_90d": N_("No limit"),
}


# --- pages --------------------------------------------------------------------------------------

@console_view(console_pages, "/console/policy", permission=Permission.EDIT_POLICY, methods=["GET"])
def get_policy(visit: ConsoleVisit) -> Response:
    """The editor, filled in with the policy in force."""
    current = read_policy(visit.deps.policies)
    saved = visit.query.get("saved", "")
    notice = visit._("Version %(version)s is saved and in force.", version=saved) if saved.isdigit() else None
    return _editor(visit, policy_to_form(current), opened_at=current.version, notice=notice)


@console_view(console_pages, "/console/policy/preview", permission=Permission.EDIT_POLICY, methods=["POST"],
              content_types=FORM)
def post_preview(visit: ConsoleVisit) -> Response:
    """What the submitted policy would change, judged over recent orders; nothing is stored."""
    form = visit.form()
    opened_at = _opened_at(form)
    candidate, errors = _checked(visit, form)
    if candidate is None:
        return _editor(visit, form, opened_at=opened_at, errors=errors, status=400)
    current = read_policy(visit.deps.policies)
    result = dry_run_policy(visit.deps, candidate)
    normalized = policy_to_form(candidate)
    changes = _described_changes(visit, diff_policies(current, candidate))
    # A version saved since the form was opened: the preview compares with it, and says so, so
    # the Save under it is made on the version the owner has now seen (a later one is refused).
    behind = {"opened_at": opened_at, "newer": current.version} if current.version != opened_at else None
    return _editor(visit, normalized, opened_at=current.version, preview=_preview(visit, result, changes),
                   saving=list(normalized.items()), behind=behind)


@console_view(console_pages, "/console/policy", permission=Permission.EDIT_POLICY, methods=["POST"],
              content_types=FORM)
def post_policy(visit: ConsoleVisit) -> Response:
    """Save the submitted policy as the next version, if nobody saved one since the form was opened."""
    form = visit.form()
    opened_at = _opened_at(form)
    candidate, errors = _checked(visit, form)
    if candidate is None:
        return _editor(visit, form, opened_at=opened_at, errors=errors, status=400)
    try:
        stored = save_policy_edit(visit.deps, candidate, opened_at=opened_at, saved_by=visit.actor)
    except StaleWriteError:
        newer = read_policy(visit.deps.policies).version
        return _editor(visit, form, opened_at=newer, status=409, stale={"opened_at": opened_at, "newer": newer})
    return visit.redirect(f"/console/policy?saved={stored.version}")


@console_view(console_pages, "/console/policy/versions", permission=Permission.EDIT_POLICY, methods=["GET"])
def get_versions(visit: ConsoleVisit) -> Response:
    """The stored versions, newest first, with who saved each and a way to compare two."""
    history = recent_policy_versions(visit.deps.policies, HISTORY_PAGE)
    versions = [
        {"version": stored.policy.version, "saved_at": _moment(stored.saved_at),
         "saved_by": stored.saved_by.removeprefix("staff:") if stored.saved_by else ""}
        for stored in history
    ]
    newest = history[0].policy.version if history else 0
    return visit.page("policy_versions.html", versions=versions, newest=newest,
                      numbers=[v["version"] for v in versions] + [0])


@console_view(console_pages, "/console/policy/versions/diff", permission=Permission.EDIT_POLICY, methods=["GET"])
def get_diff(visit: ConsoleVisit) -> Response:
    """What changed from version `from` to version `to`, setting by setting and entry by entry."""
    query = visit.query
    old_number, new_number = _version_number(query.get("from")), _version_number(query.get("to"))
    old = read_policy_version(visit.deps.policies, old_number)
    new = read_policy_version(visit.deps.policies, new_number)
    changes = _described_changes(visit, diff_policies(old, new))
    newest = read_policy(visit.deps.policies).version
    return visit.page("policy_diff.html", old_version=old_number, new_version=new_number, changes=changes,
                      numbers=list(range(newest, -1, -1))[:HISTORY_PAGE + 1])


# --- the form -----------------------------------------------------------------------------------

def _opened_at(form: dict[str, str]) -> int:
    text = form.get("opened_at", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 8 else 0


def _version_number(text: str | None) -> int:
    if not text or not text.isascii() or not text.isdigit() or len(text) > 8:
        raise NotFoundError("there is no such policy version", code="policy_version_not_found")
    return int(text)


def _checked(visit: ConsoleVisit, form: dict[str, str]) -> tuple[Policy | None, dict[str, str]]:
    """The candidate policy of a posted form, or None and each problem's words by form field."""
    reading = read_policy_form(form)
    problems = dict(reading.problems)
    try:
        candidate: Policy | None = parse(PolicyIn, reading.document).to_domain(0)
    except ValidationError as error:
        candidate = None
        for path in error.fields:
            name, problem = reading.form_field(path)
            problems.setdefault(name, problem)
    if problems:
        return None, {name: visit._(PROBLEMS[problem]) for name, problem in problems.items()}
    return candidate, {}


def _editor(visit: ConsoleVisit, form: dict[str, str], *, opened_at: int, errors: dict[str, str] | None = None,
            status: int = 200, notice: str | None = None, preview: dict[str, Any] | None = None,
            saving: list[tuple[str, str]] | None = None, stale: dict[str, int] | None = None,
            behind: dict[str, int] | None = None) -> Response:
    errors = errors or {}
    labels = {name: visit._(words) for name, words in LABELS.items()}
    sections = [
        {"title": visit._(title), "fields": [_setting(visit, name, form, errors, labels) for name in names]}
        for title, names in SECTIONS
    ]
    rules = [_row(visit, "rule", row, ("product_type", "tag", "sku", "returnable", "window_days", "remove"), form,
                  errors) for row in range(row_count(form, "rule_rows"))]
    reasons = [_row(visit, "reason", row, ("code", "requires_note", "waive_fees", "accepts_photos", "remove"), form,
                    errors)
               for row in range(row_count(form, "reason_rows"))]
    shipping = [_row(visit, "shipping", row, ("currency", "amount", "remove"), form, errors)
                for row in range(row_count(form, "shipping_rows"))]
    summary = [{"id": f"field-{name}", "message": message, "label": _summary_label(visit, name, labels)}
               for name, message in sorted(errors.items(), key=lambda item: _order(item[0]))]
    return visit.page("policy.html", status=status, notice=notice, sections=sections, rules=rules, reasons=reasons,
                      shipping=shipping, labels=labels, hints={k: visit._(v) for k, v in HINTS.items()},
                      summary=summary, opened_at=opened_at, preview=preview, saving=saving, stale=stale, behind=behind,
                      rule_rows=len(rules), reason_rows=len(reasons), shipping_rows=len(shipping))


def _setting(visit: ConsoleVisit, name: str, form: dict[str, str], errors: dict[str, str],
             labels: dict[str, str]) -> dict[str, Any]:
    kind = "checkbox" if name in CHECKBOXES else "choice" if name in CHOICES else (
        "number" if name in NUMBERS else "email" if name == "merchant_email" else "text")
    return {
        "name": name, "id": f"field-{name}", "kind": kind, "label": labels[name], "value": form.get(name, ""),
        "hint": visit._(HINTS[name]) if name in HINTS else "", "error": errors.get(name, ""),
        "choices": [{"value": value, "label": visit._(words)} for value, words in CHOICES.get(name, ())],
    }


def _row(visit: ConsoleVisit, prefix: str, row: int, names: tuple[str, ...], form: dict[str, str],
         errors: dict[str, str]) -> dict[str, Any]:
    cells = {}
    for name in names:
        key = f"{prefix}-{row}-{name}"
        cells[name] = {"name": key, "id": f"field-{key}", "value": form.get(key, ""), "error": errors.get(key, "")}
    return {"number": row + 1, "cells": cells, "has_error": any(cell["error"] for cell in cells.values())}


def _summary_label(visit: ConsoleVisit, name: str, labels: dict[str, str]) -> str:
    parts = name.split("-")
    if len(parts) == 3:
        prefix, row, field = parts
        if prefix == "rule":
            label = labels["rule_window_days"] if field == "window_days" else labels[field]
            return visit._("Rule %(number)s: %(field)s", number=int(row) + 1, field=label)
        if prefix == "reason":
            return visit._("Reason %(number)s: %(field)s", number=int(row) + 1, field=labels[field])
        return visit._("Fee %(number)s: %(field)s", number=int(row) + 1, field=labels[field])
    return labels.get(name, name)


def _order(name: str) -> tuple[int, int, str]:
    """Errors in the order of the form: the settings' sections, then rules, reasons, fees."""
    flat = [field for _, names in SECTIONS for field in names]
    if name in flat:
        return (0, flat.index(name), "")
    parts = name.split("-")
    if len(parts) == 3 and parts[1].isdigit():
        return ({"rule": 1, "reason": 2, "shipping": 3}.get(parts[0], 4), int(parts[1]), parts[2])
    return (5, 0, name)


# --- the preview and the diff -------------------------------------------------------------------

def _preview(visit: ConsoleVisit, result: DryRun, changes: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "orders_judged": result.orders_judged,
        "lines_judged": result.lines_judged,
        "lines_changed": result.lines_changed,
        "current_version": result.current_version,
        "counts": [
            {"status": visit._(VERDICTS[status]), "before": result.current_counts[status],
             "after": result.candidate_counts[status]}
            for status in STATUSES
        ],
        "examples": [
            {"order_number": change.order_number, "line_id": change.before.line_id,
             "before": _verdict(visit, change.before.status, change.before.reason_code),
             "after": _verdict(visit, change.after.status, change.after.reason_code)}
            for change in result.examples
        ],
        "changes": changes,
    }


def _verdict(visit: ConsoleVisit, status: str, reason_code: str) -> str:
    return visit._("%(status)s (%(reason)s)", status=visit._(VERDICTS[status]),
                   reason=visit._(VERDICT_REASONS[reason_code]))


def _described_changes(visit: ConsoleVisit, changes: list[PolicyChange]) -> list[dict[str, str]]:
    """Each change in words: what, which entry, old → new."""
    described = []
    for change in changes:
        name = DIFF_NAMES.get(change.field, change.field)
        described.append({
            "field": visit._(LABELS[name]),
            "entry": _entry(visit, change.entry),
            "kind": change.kind,
            "before": _value(visit, name, change.before) if change.kind != "added" else "",
            "after": _value(visit, name, change.after) if change.kind != "removed" else "",
        })
    return described


def _entry(visit: ConsoleVisit, entry: object) -> str:
    if isinstance(entry, RuleMatch):
        parts = [visit._("%(field)s: %(value)s", field=visit._(LABELS[name]), value=value)
                 for name, value in (("product_type", entry.product_type), ("tag", entry.tag), ("sku", entry.sku))
                 if value is not None]
        return "; ".join(parts)
    return "" if entry is None else str(entry)


def _value(visit: ConsoleVisit, name: str, value: object) -> str:
    if isinstance(value, Rule):
        if not value.returnable:
            return visit._("Not returnable")
        if value.window_days is None:
            return visit._("Returnable within the policy's window")
        return visit._("Returnable within %(days)s days", days=value.window_days)
    if isinstance(value, Reason):
        note = visit._("note required") if value.requires_note else visit._("no note needed")
        fees = visit._("no fees") if value.waive_fees else visit._("fees apply")
        photos = visit._("photos welcome") if value.accepts_photos else visit._("no photos")
        return f"{note}; {fees}; {photos}"
    if isinstance(value, Money):
        return f"{money_text(value)} {value.currency}"
    if isinstance(value, bool):
        return visit._("Yes") if value else visit._("No")
    if value is None:
        return visit._(EMPTY_MEANS.get(name, N_("Not set")))
    if name == "original_shipping_refund" and isinstance(value, tuple):
        words = [visit._(SHIPPING_REFUND_WORDS[occasion]) for occasion in value if occasion in SHIPPING_REFUND_WORDS]
        return "; ".join(words) if words else visit._("Never refunded")
    if name in CHOICES:
        return next((visit._(words) for choice, words in CHOICES[name] if choice == value), str(value))
    return str(value)


def _moment(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""
