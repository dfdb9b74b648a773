"""CSAT: the shopper's rating of a return, asked once a day after it resolved."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from .errors import ConflictError, RetourError, ValidationError

RATINGS = (1, 2, 3, 4, 5)
# The score is the share of answers that rated 4 or 5.
SATISFIED = frozenset({4, 5})
MAX_COMMENT = 1000


@dataclass(frozen=True, slots=True)
class CsatAnswer:
    """One shopper's answer about one return (at most one per return)."""

    rma: str
    rating: int
    comment: str
    # The reasons of the return's lines (codes), for the report's "by reason".
    reasons: tuple[str, ...]
    answered_at: datetime
    locale: str


@dataclass(frozen=True, slots=True)
class CsatSurvey:
    """A survey email sent about one return (the response rate's denominator)."""

    rma: str
    sent_at: datetime
    reasons: tuple[str, ...]
    locale: str




def _(message: str) -> str:
    """Marks a message for extraction (the one catalog); translated where it is shown."""
    return message


# Ratings in words, for the email's links and the page's choices.
RATING_WORDS = {
    1: _("Very poor"),
    2: _("Poor"),
    3: _("Okay"),
    4: _("Good"),
    5: _("Excellent"),
}


def parse_rating(text: str | None) -> int:
    """The rating a form or link names ("1" to "5"); ValidationError for anything else."""
    value = (text or "").strip()
    if value not in {str(r) for r in RATINGS}:
        raise ValidationError("choose a rating from 1 to 5", code="invalid_rating", fields=("rating",))
    return int(value)


def readable_text(text: str | None) -> str:
    """`text` as a person reads it: newlines as `\\n`, no control character but newline and tab,
    a lone surrogate (no character at all, and unstorable) as U+FFFD; trimmed."""
    return "".join(
        "\ufffd" if "\ud800" <= c <= "\udfff" else c
        for c in (text or "").replace("\r\n", "\n")
        if c in "\n\t" or (c >= " " and c != "\x7f")
    ).strip()


def clean_comment(text: str | None) -> str:
    """The comment as stored (readable_text); ValidationError past MAX_COMMENT characters."""
    comment = readable_text(text)
    if len(comment) > MAX_COMMENT:
        raise ValidationError(f"the comment is longer than {MAX_COMMENT} characters",
                              code="comment_too_long", fields=("comment",))
    return comment


def reasons_of(codes: Iterable[str]) -> tuple[str, ...]:
    """The return's reason codes, each once, in the order its lines give them."""
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True, slots=True)
class Score:
    """Satisfied answers (rated 4 or 5) out of all answers; exact, never a float."""

    satisfied: int
    answers: int

    @property
    def share(self) -> Fraction | None:
        """The share of satisfied answers (None without answers)."""
        return Fraction(self.satisfied, self.answers) if self.answers else None

    @property
    def basis_points(self) -> int | None:
        """The share in basis points (10,000 = everyone satisfied), rounded half up."""
        if not self.answers:
            return None
        return (self.satisfied * 20_000 + self.answers) // (self.answers * 2)


@dataclass(frozen=True, slots=True)
class ReasonCsat:
    """CSAT of the returns that named one reason (a return with two reasons counts in both)."""

    reason: str
    score: Score
    surveys: int

    @property
    def answers(self) -> int:
        return self.score.answers

    @property
    def response_rate(self) -> Fraction | None:
        return Fraction(self.score.answers, self.surveys) if self.surveys else None


@dataclass(frozen=True, slots=True)
class CsatSummary:
    """What the reports show of a period's surveys and answers."""

    score: Score
    surveys: int
    # Answers per rating, 1 to 5, every rating present (0 when nobody chose it).
    by_rating: dict[int, int]
    # By reason code, most surveyed first (then by code).
    by_reason: tuple[ReasonCsat, ...]
    # Newest first.
    # The answers that carry a comment, newest first.
    comments: tuple[CsatAnswer, ...]

    @property
    def answers(self) -> int:
        return self.score.answers

    @property
    def response_rate(self) -> Fraction | None:
        """Answers per survey sent in the period (None when none was sent).

        An answer given in the period to a survey of the period before counts too, so the rate
        of a short period may pass 1; over a long one it is the share of shoppers who answered.
        """
        return Fraction(self.score.answers, self.surveys) if self.surveys else None


def _score(ratings: Iterable[int]) -> Score:
    values = list(ratings)
    return Score(satisfied=sum(1 for r in values if r in SATISFIED), answers=len(values))


def summarize(answers: Iterable[CsatAnswer], surveys: Iterable[CsatSurvey]) -> CsatSummary:
    """The score, response rate, ratings, reasons and comments of a period's answers and surveys."""
    answers, surveys = list(answers), list(surveys)
    by_rating = dict.fromkeys(RATINGS, 0)
    for answer in answers:
        by_rating[answer.rating] = by_rating.get(answer.rating, 0) + 1
    reason_ratings: dict[str, list[int]] = {}
    reason_surveys: dict[str, int] = {}
    for answer in answers:
        for reason in reasons_of(answer.reasons):
            reason_ratings.setdefault(reason, []).append(answer.rating)
    for survey in surveys:
        for reason in reasons_of(survey.reasons):
            reason_surveys[reason] = reason_surveys.get(reason, 0) + 1
    reasons = sorted(set(reason_ratings) | set(reason_surveys),
                     key=lambda code: (-reason_surveys.get(code, 0), code))
    comments = sorted(
        (a for a in answers if a.comment.strip()),
        key=lambda c: (c.answered_at, c.rma), reverse=True,
    )
    return CsatSummary(
        score=_score(a.rating for a in answers),
        surveys=len(surveys),
        by_rating=by_rating,
        by_reason=tuple(ReasonCsat(code, _score(reason_ratings.get(code, ())), reason_surveys.get(code, 0))
                        for code in reasons),
        comments=tuple(comments),
    )


class SurveyNotSentError(RetourError):
    """The survey email could not be handed to the mail service (the caller may try again later)."""


class AlreadyAnsweredError(ConflictError):
    """The return's survey was answered already: the first answer stays."""

    def __init__(self, rma: str) -> None:
        super().__init__(f"return {rma} was rated already", code="csat_already_answered")
        self.rma = rma
