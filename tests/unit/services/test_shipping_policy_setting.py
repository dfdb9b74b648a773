"""The original-shipping setting through the admin API's document, the editor's form and the diff."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.errors import ValidationError
from chalicelib.domain.policy import DEFAULT_POLICY
from chalicelib.domain.policy_diff import PolicyChange, diff_policies
from chalicelib.services.policy_form import policy_to_form, read_policy_form
from chalicelib.web.schemas.policy import parse_policy, policy_to_json
from tests.documents import a_policy_document


def test_the_admin_api_takes_a_list_of_occasions_and_gives_it_back() -> None:
    policy = parse_policy(a_policy_document(original_shipping_refund=["eu_withdrawal", "fee_waiving_reasons"]),
                          version=1)

    # Kept in one order (whole_order, fee_waiving_reasons, eu_withdrawal), so versions compare by meaning.
    assert policy.original_shipping_refund == ("fee_waiving_reasons", "eu_withdrawal")
    assert policy_to_json(policy)["original_shipping_refund"] == ["fee_waiving_reasons", "eu_withdrawal"]


def test_a_document_without_the_setting_never_refunds_the_shipping() -> None:
    assert parse_policy({}, version=1).original_shipping_refund == ()


@pytest.mark.parametrize("value", [["always"], ["whole_order", "whole_order"], "whole_order", [1], None])
def test_the_admin_api_refuses_a_bad_list_naming_the_field(value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_policy(a_policy_document(original_shipping_refund=value), version=1)

    assert any(name.startswith("original_shipping_refund") for name in refused.value.fields)


def test_the_editor_shows_one_box_per_occasion_ticked_as_the_policy_says() -> None:
    form = policy_to_form(replace(DEFAULT_POLICY, original_shipping_refund=("whole_order",)))

    assert form.get("shipping_refund_whole_order") == "yes"
    assert "shipping_refund_eu_withdrawal" not in form
    assert "shipping_refund_fee_waiving_reasons" not in form


def test_ticking_boxes_in_the_editor_sets_the_occasions() -> None:
    form = policy_to_form(DEFAULT_POLICY)
    form["shipping_refund_eu_withdrawal"] = "yes"
    form["shipping_refund_fee_waiving_reasons"] = "yes"

    reading = read_policy_form(form)
    policy = parse_policy(reading.document, version=0)

    assert reading.problems == {}
    assert policy.original_shipping_refund == ("fee_waiving_reasons", "eu_withdrawal")


def test_unticking_every_box_means_never() -> None:
    form = policy_to_form(replace(DEFAULT_POLICY, original_shipping_refund=("eu_withdrawal",)))
    del form["shipping_refund_eu_withdrawal"]

    assert parse_policy(read_policy_form(form).document, version=0).original_shipping_refund == ()


def test_the_diff_names_the_setting_with_its_old_and_new_occasions() -> None:
    new = replace(DEFAULT_POLICY, original_shipping_refund=("eu_withdrawal",))

    assert diff_policies(DEFAULT_POLICY, new) == [
        PolicyChange("original_shipping_refund", "changed", (), ("eu_withdrawal",))]
