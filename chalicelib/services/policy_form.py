"""The policy editor's form and the policy document, both ways, as pure functions.

The form is flat text, as a browser posts it: one field per setting, and numbered rows for the
lists (`rule-0-sku`, `reason-2-code`, `shipping-1-amount`), each row with a `remove` box and
two spare rows left empty to add entries without JavaScript. Reading a form gives the policy
document (what the admin API's PUT takes, so the same model validates both) and the problems
only the form can have (a word where a number goes, an amount with too many decimals); each
problem is named by the form field it belongs to, and a problem of the document (a path such as
`rules[1].window_days`) is turned into the form field it came from.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..domain.currency import is_known_currency
from ..domain.errors import ValidationError
from ..domain.money import Money
from ..domain.policy import Policy, policy_document
from ..domain.shipping import SHIPPING_REFUND_OCCASIONS

SPARE_ROWS = 2
# More rows than the document allows (200 rules, 50 reasons) plus spares; beyond, rows are ignored.
MAX_ROWS = 250
RULE_FIELDS = ("product_type", "tag", "sku", "returnable", "window_days", "remove")
REASON_FIELDS = ("code", "requires_note", "waive_fees", "accepts_photos", "remove")
SHIPPING_FIELDS = ("currency", "amount", "remove")

# Whole numbers the form holds as text: (form field, document path, may be left empty).
_NUMBERS: tuple[tuple[str, str, bool], ...] = (
    ("window_days", "window_days", False),
    ("exception_grace_days", "exception_grace_days", False),
    ("store_credit_expiry_days", "store_credit_expiry_days", True),
    ("ship_within_days", "ship_within_days", True),
    ("ship_reminder_days_before", "ship_reminder_days_before", True),
    ("max_returns_per_customer_90d", "max_returns_per_customer_90d", True),
    ("approval_link_ttl_hours", "approval_link_ttl_hours", False),
    ("approval_sla_hours", "approval_sla_hours", False),
    ("approval_expiry_hours", "approval_expiry_hours", False),
    ("store_credit_bonus_percent", "resolutions.store_credit_bonus_percent", False),
    ("restocking_percent", "fees.restocking_percent", False),
)
_TEXTS = ("time_zone", "window_starts", "refund_trigger", "merchant_email", "on_approval_timeout",
          # exchanges (issue 19): which variants, when the replacement is made, what if it runs out.
          "exchanges", "exchange_trigger", "exchange_out_of_stock")
_CHECKBOXES: tuple[tuple[str, str], ...] = (
    ("final_sale_returnable", "final_sale_returnable"),
    ("resolutions_refund", "resolutions.refund"),
    ("resolutions_store_credit", "resolutions.store_credit"),
)
# shipping: one checkbox per occasion on which the original shipping is refunded.
SHIPPING_REFUND_CHECKBOXES: tuple[tuple[str, str], ...] = tuple(
    (f"shipping_refund_{occasion}", occasion) for occasion in SHIPPING_REFUND_OCCASIONS
)
# What the model checks of each form field, so its error can say what is expected.
_KINDS: dict[str, str] = {
    "window_days": "days",
    "exception_grace_days": "days",
    "store_credit_expiry_days": "expiry_days",
    "ship_within_days": "ship_days",
    "ship_reminder_days_before": "reminder_days",
    "max_returns_per_customer_90d": "max_returns",
    "approval_link_ttl_hours": "hours",
    "approval_sla_hours": "hours",
    "approval_expiry_hours": "hours",
    "store_credit_bonus_percent": "percent",
    "restocking_percent": "percent",
    "time_zone": "time_zone",
    "merchant_email": "email",
    "window_starts": "choice",
    "refund_trigger": "choice",
    "on_approval_timeout": "choice",
    "resolutions_refund": "resolutions",
    # exchanges (issue 19)
    "exchanges": "choice",
    "exchange_trigger": "choice",
    "exchange_out_of_stock": "choice",
}
# "5", "5.00", "1,500", "1,500.25": money as a person writes it (no sign, no exponent).
_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$")


@dataclass(frozen=True, slots=True)
class PolicyFormReading:
    """A posted form read as a policy document, with the problems found in the form itself.

    `problems` maps a form field to a problem code; the rows lists give, for each entry of the
    document's lists, the form row it came from.
    """

    document: dict[str, Any]
    problems: dict[str, str]
    rule_rows: list[int] = field(default_factory=list)
    reason_rows: list[int] = field(default_factory=list)
    shipping_rows: dict[str, int] = field(default_factory=dict)

    def form_field(self, path: str) -> tuple[str, str]:
        """The form field and problem code for a problem of the document at `path`.

        `rules[1].window_days` -> ("rule-<row>-window_days", "days"); a path the form has no
        field for gives ("", "invalid").
        """
        found = re.fullmatch(r"(rules|reasons)\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?", path)
        if found:
            listed, index, part, sub = found.group(1), int(found.group(2)), found.group(3), found.group(4)
            rows = self.rule_rows if listed == "rules" else self.reason_rows
            row = rows[index] if index < len(rows) else 0
            if listed == "reasons":
                return f"reason-{row}-code", "reason_code"
            if part == "window_days":
                return f"rule-{row}-window_days", "days"
            if part == "match" and sub in ("product_type", "tag", "sku"):
                return f"rule-{row}-{sub}", "criterion"
            return f"rule-{row}-product_type", "rule_match"
        if path == "reasons":
            first = self.reason_rows[0] if self.reason_rows else 0
            return f"reason-{first}-code", "reasons_empty" if not self.reason_rows else "reason_code"
        if path.startswith("fees.return_shipping."):
            currency = path.removeprefix("fees.return_shipping.")
            row = self.shipping_rows.get(currency, 0)
            return f"shipping-{row}-amount", "money"
        if path == "resolutions":
            return "resolutions_refund", "resolutions"
        if path.startswith("original_shipping_refund"):
            return SHIPPING_REFUND_CHECKBOXES[0][0], "invalid"
        for form_name, document_path, _ in _NUMBERS:
            if path == document_path:
                return form_name, _KINDS[form_name]
        if path in _KINDS:
            return path, _KINDS[path]
        return "", "invalid"


def policy_to_form(policy: Policy) -> dict[str, str]:
    """The form's fields filled in from `policy`, with SPARE_ROWS empty rows after each list."""
    document = policy_document(policy)
    form: dict[str, str] = {name: document[name] for name in _TEXTS}
    for form_name, document_path, _ in _NUMBERS:
        value = _at(document, document_path)
        form[form_name] = "" if value is None else str(value)
    for form_name, document_path in _CHECKBOXES:
        if _at(document, document_path):
            form[form_name] = "yes"
    for row, rule in enumerate(policy.rules):
        form[f"rule-{row}-product_type"] = rule.match.product_type or ""
        form[f"rule-{row}-tag"] = rule.match.tag or ""
        form[f"rule-{row}-sku"] = rule.match.sku or ""
        form[f"rule-{row}-returnable"] = "yes" if rule.returnable else "no"
        form[f"rule-{row}-window_days"] = "" if rule.window_days is None else str(rule.window_days)
    form["rule_rows"] = str(len(policy.rules) + SPARE_ROWS)
    for row, reason in enumerate(policy.reasons):
        form[f"reason-{row}-code"] = reason.code
        if reason.requires_note:
            form[f"reason-{row}-requires_note"] = "yes"
        if reason.waive_fees:
            form[f"reason-{row}-waive_fees"] = "yes"
        if reason.accepts_photos:
            form[f"reason-{row}-accepts_photos"] = "yes"
    form["reason_rows"] = str(len(policy.reasons) + SPARE_ROWS)
    for row, fee in enumerate(policy.fees.return_shipping):
        form[f"shipping-{row}-currency"] = fee.currency
        form[f"shipping-{row}-amount"] = money_text(fee)
    form["shipping_rows"] = str(len(policy.fees.return_shipping) + SPARE_ROWS)
    for form_name, occasion in SHIPPING_REFUND_CHECKBOXES:
        if occasion in policy.original_shipping_refund:
            form[form_name] = "yes"
    return form


def money_text(amount: Money) -> str:
    """An amount as a person types it in its currency: 595 USD -> "5.95", 800 JPY -> "800"."""
    return str(amount.to_decimal())


def row_count(form: Mapping[str, str], name: str) -> int:
    """How many rows of a list the form has (`rule_rows`, ...), within MAX_ROWS."""
    text = form.get(name, "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 4:
        return SPARE_ROWS
    return min(int(text), MAX_ROWS)


def read_policy_form(form: Mapping[str, str]) -> PolicyFormReading:
    """The policy document a posted form describes, and the problems of the form itself.

    A field with a problem is left out of the document, so the model checking the document
    reports every other field without repeating it.
    """
    problems: dict[str, str] = {}
    document: dict[str, Any] = {name: form.get(name, "").strip() for name in _TEXTS}
    resolutions: dict[str, Any] = {}
    fees: dict[str, Any] = {}
    nested = {"resolutions": resolutions, "fees": fees}
    for form_name, document_path, optional in _NUMBERS:
        text = form.get(form_name, "").strip()
        target, key = _slot(document, nested, document_path)
        if not text:
            if optional:
                target[key] = None
            else:
                problems[form_name] = "required"
            continue
        number = _whole_number(text)
        if number is None:
            problems[form_name] = _KINDS[form_name]
        else:
            target[key] = number
    for form_name, document_path in _CHECKBOXES:
        target, key = _slot(document, nested, document_path)
        target[key] = bool(form.get(form_name))

    rules, rule_rows = _read_rules(form, problems)
    reasons, reason_rows = _read_reasons(form, problems)
    shipping, shipping_rows = _read_shipping(form, problems)
    document["rules"] = rules
    document["reasons"] = reasons
    fees["return_shipping"] = shipping
    document["resolutions"] = resolutions
    document["fees"] = fees
    document["original_shipping_refund"] = [
        occasion for form_name, occasion in SHIPPING_REFUND_CHECKBOXES if form.get(form_name)
    ]
    return PolicyFormReading(document, problems, rule_rows, reason_rows, shipping_rows)


def _read_rules(form: Mapping[str, str], problems: dict[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    rules: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in range(row_count(form, "rule_rows")):
        values = {name: form.get(f"rule-{row}-{name}", "").strip() for name in RULE_FIELDS}
        if values["remove"] or not (values["product_type"] or values["tag"] or values["sku"] or values["window_days"]):
            continue  # removed, or a spare row left empty
        match = {name: values[name] for name in ("product_type", "tag", "sku") if values[name]}
        returnable = values["returnable"] != "no"
        rule: dict[str, Any] = {"match": match, "returnable": returnable}
        if values["window_days"]:
            number = _whole_number(values["window_days"])
            if number is None:
                problems[f"rule-{row}-window_days"] = "days"
            elif not returnable:
                problems[f"rule-{row}-window_days"] = "window_not_returnable"
            else:
                rule["window_days"] = number
        rules.append(rule)
        rows.append(row)
    return rules, rows


def _read_reasons(form: Mapping[str, str], problems: dict[str, str]) -> tuple[list[dict[str, Any]], list[int]]:
    reasons: list[dict[str, Any]] = []
    rows: list[int] = []
    seen: set[str] = set()
    for row in range(row_count(form, "reason_rows")):
        values = {name: form.get(f"reason-{row}-{name}", "").strip() for name in REASON_FIELDS}
        if values["remove"] or not values["code"]:
            continue
        code = values["code"]
        if code in seen:
            problems[f"reason-{row}-code"] = "reason_twice"
            continue
        seen.add(code)
        reasons.append({"code": code, "requires_note": bool(values["requires_note"]),
                        "waive_fees": bool(values["waive_fees"]),
                        "accepts_photos": bool(values["accepts_photos"])})
        rows.append(row)
    if not reasons and not any(key.endswith("-code") for key in problems):
        problems["reason-0-code"] = "reasons_empty"
    return reasons, rows


def _read_shipping(form: Mapping[str, str], problems: dict[str, str]) -> tuple[dict[str, int], dict[str, int]]:
    shipping: dict[str, int] = {}
    rows: dict[str, int] = {}
    for row in range(row_count(form, "shipping_rows")):
        values = {name: form.get(f"shipping-{row}-{name}", "").strip() for name in SHIPPING_FIELDS}
        if values["remove"] or not (values["currency"] or values["amount"]):
            continue
        currency = values["currency"].upper()
        if not is_known_currency(currency):
            problems[f"shipping-{row}-currency"] = "currency"
            continue
        if currency in shipping or currency in rows:
            problems[f"shipping-{row}-currency"] = "currency_twice"
            continue
        rows[currency] = row
        if not values["amount"]:
            problems[f"shipping-{row}-amount"] = "required"
            continue
        try:
            shipping[currency] = minor_units(values["amount"], currency)
        except ValidationError:
            problems[f"shipping-{row}-amount"] = "money_decimals" if _AMOUNT.match(values["amount"]) else "money"
    return shipping, rows


def minor_units(text: str, currency: str) -> int:
    """An amount typed in major units ("5.95" USD, "1,500" JPY) as integer minor units.

    Raises ValidationError for anything else, or for more decimals than the currency has
    (`minor_unit_exponent`): "5.955" USD and "500.5" JPY are not amounts of money.
    """
    written = text.strip()
    if not _AMOUNT.match(written):
        raise ValidationError(f"{text!r} is not an amount", fields=("amount",))
    amount = Money.from_decimal(Decimal(written.replace(",", "")), currency)
    return amount.minor


def _whole_number(text: str) -> int | None:
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        return None
    return int(text)


def _at(document: Mapping[str, Any], path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        value = value[part]
    return value


def _slot(document: dict[str, Any], nested: dict[str, dict[str, Any]], path: str) -> tuple[dict[str, Any], str]:
    head, _, tail = path.partition(".")
    return (nested[head], tail) if tail else (document, head)
