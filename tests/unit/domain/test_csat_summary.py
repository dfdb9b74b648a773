"""CSAT's arithmetic: the score (share of 4 and 5), the response rate, ratings, reasons and
comments of a period; and what a rating and a comment may be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from chalicelib.domain.csat import (
    MAX_COMMENT,
    CsatAnswer,
    CsatSurvey,
    Score,
    clean_comment,
    parse_rating,
    reasons_of,
    summarize,
)
from chalicelib.domain.errors import ValidationError

AT = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)


def answer(rma: str, rating: int, *reasons: str, comment: str = "", minutes: int = 0) -> CsatAnswer:
    return CsatAnswer(rma=rma, rating=rating, comment=comment, reasons=reasons or ("too_small",),
                      answered_at=AT + timedelta(minutes=minutes), locale="en")


def survey(rma: str, *reasons: str) -> CsatSurvey:
    return CsatSurvey(rma=rma, sent_at=AT, reasons=reasons or ("too_small",), locale="en")


def test_the_score_is_the_share_of_answers_rated_4_or_5_and_the_rate_answers_per_survey() -> None:
    answers = [answer("R1", 5), answer("R2", 4), answer("R3", 3), answer("R4", 1)]
    surveys = [survey(f"R{i}") for i in range(1, 9)]
    summary = summarize(answers, surveys)
    assert summary.score == Score(satisfied=2, answers=4)
    assert summary.score.share == Fraction(1, 2)
    assert summary.score.basis_points == 5000
    assert (summary.answers, summary.surveys) == (4, 8)
    assert summary.response_rate == Fraction(1, 2)
    assert summary.by_rating == {1: 1, 2: 0, 3: 1, 4: 1, 5: 1}


def test_basis_points_round_half_up_and_an_empty_period_has_no_score() -> None:
    assert Score(satisfied=2, answers=3).basis_points == 6667
    assert Score(satisfied=1, answers=3).basis_points == 3333
    assert Score(satisfied=1, answers=8).basis_points == 1250
    assert Score(satisfied=1, answers=16000).basis_points == 1  # 0.625 bp rounds up
    empty = summarize([], [])
    assert empty.score.share is None and empty.score.basis_points is None
    assert empty.response_rate is None
    assert empty.by_rating == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert empty.by_reason == () and empty.comments == ()


def test_each_reason_has_its_score_answers_and_surveys_and_a_return_with_two_counts_in_both() -> None:
    answers = [answer("R1", 5, "damaged"), answer("R2", 2, "damaged", "wrong_item"), answer("R3", 4, "too_small")]
    surveys = [survey("R1", "damaged"), survey("R2", "damaged", "wrong_item"), survey("R3", "too_small"),
               survey("R4", "too_small"), survey("R5", "too_small")]
    by_reason = {r.reason: r for r in summarize(answers, surveys).by_reason}
    # Most surveyed first.
    assert [r.reason for r in summarize(answers, surveys).by_reason] == ["too_small", "damaged", "wrong_item"]
    assert (by_reason["damaged"].score, by_reason["damaged"].surveys) == (Score(1, 2), 2)
    assert (by_reason["wrong_item"].score, by_reason["wrong_item"].surveys) == (Score(0, 1), 1)
    assert by_reason["too_small"].answers == 1
    assert by_reason["too_small"].response_rate == Fraction(1, 3)


def test_comments_come_newest_first_with_their_rating_and_reasons_and_blank_ones_are_left_out() -> None:
    answers = [answer("R1", 2, "damaged", comment="Box was crushed", minutes=1),
               answer("R2", 5, comment="Quick refund, thanks", minutes=30),
               answer("R3", 4, comment="   ", minutes=50),
               answer("R4", 3, minutes=60)]
    comments = summarize(answers, []).comments
    assert [(c.rma, c.rating, c.comment, c.reasons) for c in comments] == [
        ("R2", 5, "Quick refund, thanks", ("too_small",)),
        ("R1", 2, "Box was crushed", ("damaged",)),
    ]


def test_a_reason_named_twice_by_one_return_counts_once() -> None:
    assert reasons_of(["too_small", "damaged", "too_small"]) == ("too_small", "damaged")
    [only] = summarize([answer("R1", 5, "too_small", "too_small")], [survey("R1", "too_small", "too_small")]).by_reason
    assert (only.answers, only.surveys) == (1, 1)


@pytest.mark.parametrize("text", ["", "0", "6", "4.5", "five", " ", None, "١"])
def test_a_rating_is_one_of_1_to_5(text: str | None) -> None:
    with pytest.raises(ValidationError) as raised:
        parse_rating(text)
    assert raised.value.fields == ("rating",)


def test_ratings_and_comments_as_stored() -> None:
    assert [parse_rating(str(r)) for r in range(1, 6)] == [1, 2, 3, 4, 5]
    assert parse_rating(" 4 ") == 4
    assert clean_comment("  fine\r\nthanks  ") == "fine\nthanks"
    assert clean_comment(None) == ""
    assert clean_comment("ok\x00\x1b[31m\ud800 fine\tthanks") == "ok[31m\ufffd fine\tthanks"
    assert len(clean_comment("あ" * MAX_COMMENT)) == MAX_COMMENT
    with pytest.raises(ValidationError) as raised:
        clean_comment("あ" * (MAX_COMMENT + 1))
    assert raised.value.fields == ("comment",)
