"""The policy editor's form read as the policy document, and filled in from a policy."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.money import Money
from chalicelib.domain.policy import DEFAULT_POLICY, Fees, Policy, Reason, Rule, RuleMatch
from chalicelib.services.policy_form import minor_units, policy_to_form, read_policy_form
from chalicelib.web.schemas.policy import parse_policy


def round_trip(policy: Policy) -> Policy:
    reading = read_policy_form(policy_to_form(policy))
    assert reading.problems == {}
    return parse_policy(reading.document, version=0)


def test_a_policy_comes_back_from_its_own_form_unchanged() -> None:
    policy = Policy(
        window_days=14, time_zone="Asia/Tokyo", store_credit_expiry_days=365, ship_within_days=None,
        max_returns_per_customer_90d=None, final_sale_returnable=True,
        rules=(Rule(RuleMatch(product_type="gift_card"), returnable=False),
               Rule(RuleMatch(tag="swimwear", sku="SW-1"), window_days=7)),
        reasons=(Reason("too_small"), Reason("damaged", requires_note=True, waive_fees=True)),
        fees=Fees(restocking_percent=5, return_shipping=(Money(800, "JPY"), Money(595, "USD"))),
    )
    assert round_trip(policy) == policy
    assert round_trip(DEFAULT_POLICY) == DEFAULT_POLICY


def test_each_list_gets_two_empty_rows_to_add_entries() -> None:
    form = policy_to_form(DEFAULT_POLICY)
    assert form["rule_rows"] == "3" and form["reason_rows"] == "8" and form["shipping_rows"] == "2"
    assert "rule-1-sku" not in form


def test_filling_an_empty_row_adds_an_entry_and_ticking_remove_drops_one() -> None:
    form = policy_to_form(DEFAULT_POLICY)
    form["rule-1-tag"] = "swimwear"
    form["rule-1-window_days"] = "7"
    form["reason-0-remove"] = "yes"
    form["reason-6-code"] = "arrived_late"
    form["shipping-0-currency"] = "usd"
    form["shipping-0-amount"] = "5.95"
    policy = round_trip_form(form)
    assert policy.rules[1] == Rule(RuleMatch(tag="swimwear"), window_days=7)
    assert [r.code for r in policy.reasons][0] == "too_large"
    assert policy.reasons[-1].code == "arrived_late"
    assert policy.fees.return_shipping == (Money(595, "USD"),)


def round_trip_form(form: dict[str, str]) -> Policy:
    reading = read_policy_form(form)
    assert reading.problems == {}
    return parse_policy(reading.document, version=0)


@pytest.mark.parametrize(("typed", "currency", "minor"), [
    ("5", "USD", 500), ("5.00", "USD", 500), ("1,250.5", "USD", 125050), ("800", "JPY", 800),
    ("1,500", "JPY", 1500), ("1.250", "KWD", 1250),
])
def test_money_is_typed_in_major_units_and_kept_in_minor_units(typed: str, currency: str, minor: int) -> None:
    assert minor_units(typed, currency) == minor


@pytest.mark.parametrize(("typed", "currency"), [("5.955", "USD"), ("500.5", "JPY"), ("-5", "USD"),
                                                 ("5e2", "USD"), ("five", "USD"), ("1,50", "USD")])
def test_what_is_not_an_amount_of_that_currency_is_refused(typed: str, currency: str) -> None:
    with pytest.raises(ValidationError):
        minor_units(typed, currency)


def test_the_forms_own_problems_are_named_by_form_field() -> None:
    form = policy_to_form(DEFAULT_POLICY)
    form.update({"window_days": "thirty", "approval_sla_hours": "", "shipping-0-currency": "JPY",
                 "shipping-0-amount": "500.5", "shipping-1-currency": "XYZ", "shipping-1-amount": "1",
                 "rule-0-window_days": "7", "reason-1-code": "too_small"})
    assert read_policy_form(form).problems == {
        "window_days": "days",
        "approval_sla_hours": "required",
        "shipping-0-amount": "money_decimals",
        "shipping-1-currency": "currency",
        "rule-0-window_days": "window_not_returnable",
        "reason-1-code": "reason_twice",
    }


def test_a_problem_of_the_document_points_at_the_row_it_came_from() -> None:
    form = policy_to_form(DEFAULT_POLICY)
    # Row 0 removed, row 1 filled: the document's rules[0] is the form's row 1.
    form["rule-0-remove"] = "yes"
    form["rule-1-sku"] = "X-1"
    form["reason-2-remove"] = "yes"
    reading = read_policy_form(form)
    assert reading.form_field("rules[0].window_days") == ("rule-1-window_days", "days")
    assert reading.form_field("rules[0].match.sku") == ("rule-1-sku", "criterion")
    assert reading.form_field("reasons[2].code") == ("reason-3-code", "reason_code")
    assert reading.form_field("merchant_email") == ("merchant_email", "email")
    assert reading.form_field("resolutions.store_credit_bonus_percent") == ("store_credit_bonus_percent", "percent")
    assert reading.form_field("resolutions") == ("resolutions_refund", "resolutions")


def test_optional_settings_left_empty_mean_none() -> None:
    form = policy_to_form(DEFAULT_POLICY)
    form.update({"ship_within_days": "", "max_returns_per_customer_90d": "", "store_credit_expiry_days": ""})
    policy = round_trip_form(form)
    assert policy.ship_within_days is None and policy.max_returns_per_customer_90d is None
    assert policy.store_credit_expiry_days is None


def test_removing_every_reason_is_a_problem_of_the_first_row() -> None:
    form = policy_to_form(DEFAULT_POLICY)
    for row in range(6):
        form[f"reason-{row}-remove"] = "yes"
    assert read_policy_form(form).problems == {"reason-0-code": "reasons_empty"}


def test_the_send_by_reminder_is_days_before_or_empty_for_none() -> None:
    form = policy_to_form(DEFAULT_POLICY)
    assert form["ship_reminder_days_before"] == "3"
    form["ship_reminder_days_before"] = "5"
    assert round_trip_form(form).ship_reminder_days_before == 5
    form["ship_reminder_days_before"] = ""
    assert round_trip_form(form).ship_reminder_days_before is None
    # Out of range, the document's check names this field and says what it takes.
    form["ship_reminder_days_before"] = "45"
    reading = read_policy_form(form)
    assert reading.document["ship_reminder_days_before"] == 45
    assert reading.form_field("ship_reminder_days_before") == ("ship_reminder_days_before", "reminder_days")
