"""`/console/store-credit`: find a shopper's store credit by email, read the ledger, and issue or
take back credit (Permission.ADJUST_CREDIT: owners and agents).

Money moves, so an adjustment is two POSTs: the form is checked and shown back for confirmation
(the balance now and after), and only the confirmation records it. The form carries a token made
when the page was shown; it is the adjustment's idempotency key, so a double submit (or a reload
of the confirmation) records it once. Amounts are typed as people write money ("25", "-10.50",
"1,234.56", "¥3,300") and kept in the currency's minor units (domain/typed_amount.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from chalice.app import Response

from ...adapters.babel_formatting import format_money
from ...domain.currency import is_known_currency
from ...domain.errors import ConflictError, ValidationError
from ...domain.money import Money
from ...domain.order import is_plausible_email, normalize_email
from ...domain.staff import Permission
from ...domain.store_credit import EXPIRE, ISSUE, REDEEM, VOID, InsufficientCreditError, StoreCreditAccount, spendable
from ...domain.typed_amount import NOT_AN_AMOUNT, TOO_LARGE, TOO_MANY_DECIMALS, TypedAmountError, parse_typed_amount
from ...locales import N_
from ...services.adjust_store_credit import REASON_MAX, adjust_store_credit, credit_expiry, store_credit_currencies
from ...services.redeem_store_credit import read_store_credit
from . import console_pages
from .visit import FORM, ConsoleVisit, console_view

PATH = "/console/store-credit"
KEY_PREFIX = "console-credit:"

KIND_NAMES = {
    ISSUE: N_("Issued"),
    REDEEM: N_("Spent"),
    EXPIRE: N_("Expired"),
    VOID: N_("Taken back"),
}
AMOUNT_PROBLEMS = {
    NOT_AN_AMOUNT: N_("Enter an amount such as 25.00, or -10.00 to take credit back."),
    TOO_MANY_DECIMALS: N_("That amount has more decimals than %(currency)s has."),
    TOO_LARGE: N_("That amount is too large."),
}


@dataclass
class Adjustment:
    """The adjustment form as posted, and what is wrong with it (errors by field)."""

    email: str
    currency: str
    amount_text: str
    reason: str
    token: str
    amount: Money | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _new_token() -> str:
    return secrets.token_urlsafe(18)


def _currency(text: str | None) -> str:
    return (text or "").strip().upper()


def _found(visit: ConsoleVisit, email: str, chosen: str) -> dict[str, Any]:
    """The shopper's accounts (a balance per currency) and the ledger of `chosen` (or the first)."""
    currencies = store_credit_currencies(visit.deps, email)
    if chosen and chosen not in currencies:
        currencies = sorted({*currencies, chosen})
    current = chosen or (currencies[0] if currencies else "")
    accounts = []
    ledger: StoreCreditAccount | None = None
    for code in currencies:
        account = read_store_credit(visit.deps, email, code)
        if code == current:
            ledger = account
        accounts.append({"currency": code, "balance": spendable(account, now=visit.now), "current": code == current,
                         "href": f"{PATH}?{urlencode({'email': email, 'currency': code})}"})
    entries = []
    if ledger is not None:
        for entry in sorted(ledger.entries, key=lambda e: (e.at, e.id), reverse=True):
            entries.append({"at": entry.at, "kind": visit._(KIND_NAMES.get(entry.kind, entry.kind)), "amount": entry.amount,
                            "reason": entry.reason, "by": _by(visit, entry.kind, entry.actor, entry.rma),
                            "expires_at": entry.expires_at, "id": entry.id})
    return {"accounts": accounts, "current": current, "entries": entries,
            "balance": spendable(ledger, now=visit.now) if ledger is not None else None}


def _by(visit: ConsoleVisit, kind: str, actor: str, rma: str | None) -> str:
    """Who moved the credit: a staff member, a return, the storefront, or the expiry job."""
    if actor:
        return actor
    if rma and kind == ISSUE:
        return visit._("Return %(rma)s", rma=rma)
    if kind == REDEEM:
        return visit._("Storefront checkout")
    if kind == EXPIRE:
        return visit._("Expiry")
    return ""


def _page(visit: ConsoleVisit, *, status: int = 200, email: str = "", find_errors: dict[str, str] | None = None,
          form: Adjustment | None = None, chosen: str = "", notice: str | None = None,
          problem: str = "") -> Response:
    found = _found(visit, email, chosen) if email and not find_errors else None
    if form is None:
        form = Adjustment(email=email, currency=found["current"] if found else chosen, amount_text="", reason="",
                          token=_new_token())
    return visit.page("store_credit.html", status=status, email=email, find_errors=find_errors or {},
                      found=found, form=form, errors=form.errors, notice=notice, problem=problem,
                      reason_max=REASON_MAX)


@console_view(console_pages, PATH, permission=Permission.ADJUST_CREDIT, methods=["GET"])
def get_store_credit(visit: ConsoleVisit) -> Response:
    """The search form; with `?email=`, the balance per currency, the ledger and the adjustment form."""
    typed = visit.query.get("email", "").strip()
    chosen = _currency(visit.query.get("currency"))
    if not typed:
        return _page(visit)
    find_errors: dict[str, str] = {}
    if not is_plausible_email(typed):
        find_errors["email"] = visit._("Enter the shopper's email address, such as name@example.com.")
    if chosen and not is_known_currency(chosen):
        find_errors["currency"] = visit._("Enter a currency as its three-letter code, such as USD or JPY.")
    if find_errors:
        return _page(visit, status=400, email=typed, find_errors=find_errors, chosen=chosen)
    email = normalize_email(typed)
    notice = None
    done = visit.query.get("done", "")
    if done:
        notice = visit._("Recorded. The new entry is at the top of the ledger.")
    return _page(visit, email=email, chosen=chosen, notice=notice)


def _read(visit: ConsoleVisit, posted: dict[str, str]) -> Adjustment:
    """The posted adjustment, checked field by field (the balance is checked against the ledger)."""
    form = Adjustment(email=posted.get("email", "").strip(), currency=_currency(posted.get("currency")),
                      amount_text=posted.get("amount", "").strip(), reason=" ".join(posted.get("reason", "").split()),
                      token=posted.get("token", "").strip())
    if not is_plausible_email(form.email):
        form.errors["email"] = visit._("Enter the shopper's email address, such as name@example.com.")
    else:
        form.email = normalize_email(form.email)
    if not is_known_currency(form.currency):
        form.errors["currency"] = visit._("Enter a currency as its three-letter code, such as USD or JPY.")
    elif not form.amount_text:
        form.errors["amount"] = visit._("Enter the amount to add, or a negative amount to take back.")
    else:
        try:
            minor = parse_typed_amount(form.amount_text, form.currency)
        except TypedAmountError as error:
            form.errors["amount"] = visit._(AMOUNT_PROBLEMS[error.code], currency=form.currency)
        else:
            if minor == 0:
                form.errors["amount"] = visit._("Enter an amount other than zero.")
            else:
                form.amount = Money(minor, form.currency)
    if not form.reason:
        form.errors["reason"] = visit._("Give a reason: it is kept in the ledger with your name.")
    elif len(form.reason) > REASON_MAX:
        form.errors["reason"] = visit._("Keep the reason to %(max)s characters.", max=REASON_MAX)
    if not 8 <= len(form.token) <= 100 or not form.token.isascii():
        form.token = _new_token()
    return form


def _below_zero(visit: ConsoleVisit, form: Adjustment, balance: Money) -> None:
    """The error of a take-back larger than what the shopper has to spend."""
    form.errors["amount"] = visit._("That would take the balance below zero: at most %(balance)s can be taken back.",
                                    balance=_money(visit, balance))


def _money(visit: ConsoleVisit, amount: Money) -> str:
    return format_money(amount, visit.lang)


@console_view(console_pages, f"{PATH}/adjust", permission=Permission.ADJUST_CREDIT, methods=["POST"],
              content_types=FORM)
def post_adjust(visit: ConsoleVisit) -> Response:
    """`step=review`: check the form and ask for confirmation; `step=confirm`: record it once;
    `step=edit`: back to the form with what was typed."""
    posted = visit.form()
    step = posted.get("step", "review")
    form = _read(visit, posted)
    email_ok = "email" not in form.errors
    if step == "edit":
        form.errors = {}
        return _page(visit, email=form.email if email_ok else "", form=form, chosen=form.currency)
    balance = None
    too_much = False
    if email_ok and "currency" not in form.errors:
        balance = spendable(read_store_credit(visit.deps, form.email, form.currency), now=visit.now)
        if form.amount is not None and form.amount.is_negative() and balance < -form.amount:
            too_much = "amount" not in form.errors
            _below_zero(visit, form, balance)
    if form.errors or form.amount is None or balance is None:
        # A confirmed take-back the balance no longer covers (spent since the review) is a conflict.
        status = 409 if too_much and step == "confirm" and set(form.errors) == {"amount"} else 400
        return _page(visit, status=status, email=form.email if email_ok else "", form=form, chosen=form.currency)
    if step != "confirm":
        expires_at = None if form.amount.is_negative() else credit_expiry(visit.deps, now=visit.now)
        return visit.page("store_credit_confirm.html", form=form, amount=form.amount, balance=balance,
                          after=balance + form.amount, plain_amount=str(form.amount.to_decimal()),
                          expires_at=expires_at)
    try:
        adjust_store_credit(visit.deps, email=form.email, currency=form.currency, amount=form.amount.minor,
                            reason=form.reason, actor=visit.actor, idempotency_key=KEY_PREFIX + form.token)
    except InsufficientCreditError:
        latest = spendable(read_store_credit(visit.deps, form.email, form.currency), now=visit.now)
        _below_zero(visit, form, latest)
        return _page(visit, status=409, email=form.email, form=form, chosen=form.currency)
    except ValidationError:
        return _page(visit, status=400, email=form.email, form=form, chosen=form.currency)
    except ConflictError as error:
        if error.code != "idempotency_key_reused":
            raise
        # The form's token was used for another adjustment: show it again with a fresh one.
        form.token = _new_token()
        return _page(visit, status=409, email=form.email, form=form, chosen=form.currency, problem="token_reused")
    return visit.redirect(f"{PATH}?{urlencode({'email': form.email, 'currency': form.currency, 'done': '1'})}")
