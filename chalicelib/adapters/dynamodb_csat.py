"""CSAT surveys and answers in the single DynamoDB table.

Keys: docs/data-model.md (csat survey, csat answer; patterns 28 to 30). Each return has at most one
survey item and one answer item under `CSAT#{rma}`, both written with `attribute_not_exists(pk)`.
Each is also listed on gsi2 under its UTC month (`CSAT_SURVEYS#{yyyy-mm}` by `sent_at`,
`CSAT_ANSWERS#{yyyy-mm}` by `answered_at`), so a period's surveys and answers are one Query per
month of the period, never a Scan.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from ..domain.csat import CsatAnswer, CsatSurvey
from .dynamodb_items import from_item, is_conditional_check_failure, iso, parse_iso, query_all, to_item
from .recent_months import month_of

SURVEYS = "CSAT_SURVEYS"
ANSWERS = "CSAT_ANSWERS"


def csat_key(rma: str, kind: str) -> dict[str, Any]:
    return {"pk": {"S": f"CSAT#{rma}"}, "sk": {"S": kind}}


def months_between(start: datetime, end: datetime) -> Iterator[str]:
    """The UTC months ("2026-11") that [start, end) touches, oldest first."""
    if end <= start:
        return
    # The end is excluded: a period ending on a month's first instant does not touch that month.
    first, last = start.astimezone(UTC), end.astimezone(UTC) - timedelta(microseconds=1)
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        yield f"{year:04d}-{month:02d}"
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)


def _survey_item(survey: CsatSurvey) -> dict[str, Any]:
    sent = iso(survey.sent_at) or ""
    return {
        "pk": f"CSAT#{survey.rma}", "sk": "SURVEY", "entity": "csat_survey",
        "rma": survey.rma, "sent_at": sent, "reasons": list(survey.reasons), "locale": survey.locale,
        "gsi2pk": f"{SURVEYS}#{month_of(survey.sent_at)}", "gsi2sk": f"{sent}#{survey.rma}",
    }


def _answer_item(answer: CsatAnswer) -> dict[str, Any]:
    answered = iso(answer.answered_at) or ""
    return {
        "pk": f"CSAT#{answer.rma}", "sk": "ANSWER", "entity": "csat_answer",
        "rma": answer.rma, "rating": answer.rating, "comment": answer.comment,
        "reasons": list(answer.reasons), "answered_at": answered, "locale": answer.locale,
        "gsi2pk": f"{ANSWERS}#{month_of(answer.answered_at)}", "gsi2sk": f"{answered}#{answer.rma}",
    }


def _survey_from(record: dict[str, Any]) -> CsatSurvey:
    sent = parse_iso(record["sent_at"])
    assert sent is not None
    return CsatSurvey(rma=record["rma"], sent_at=sent, reasons=tuple(record.get("reasons", ())),
                      locale=record.get("locale", "en"))


def _answer_from(record: dict[str, Any]) -> CsatAnswer:
    answered = parse_iso(record["answered_at"])
    assert answered is not None
    return CsatAnswer(rma=record["rma"], rating=int(record["rating"]), comment=record.get("comment", ""),
                      reasons=tuple(record.get("reasons", ())), answered_at=answered,
                      locale=record.get("locale", "en"))


class DynamoDBCsatStore:
    """CsatSurveyStore on DynamoDB: conditional PutItems, GetItems by RMA, gsi2 by month."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def answers_between(self, start: datetime, end: datetime) -> list[CsatAnswer]:
        return [_answer_from(r) for r in self._listed(ANSWERS, start, end)]

    def surveys_sent_between(self, start: datetime, end: datetime) -> list[CsatSurvey]:
        return [_survey_from(r) for r in self._listed(SURVEYS, start, end)]

    def _listed(self, kind: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        # Sort keys are `{second}#{rma}`: the bare `{end}` sorts before every key of its own
        # second, so BETWEEN (inclusive) on these bounds reads [start, end) exactly.
        found: list[dict[str, Any]] = []
        for month in months_between(start, end):
            found.extend(query_all(self._client, {
                "TableName": self._table, "IndexName": "gsi2",
                "KeyConditionExpression": "gsi2pk = :month AND gsi2sk BETWEEN :start AND :end",
                "ExpressionAttributeValues": {
                    ":month": {"S": f"{kind}#{month}"}, ":start": {"S": iso(start) or ""},
                    ":end": {"S": iso(end) or ""},
                },
            }))
        return found

    def surveyed(self, rmas: Collection[str]) -> set[str]:
        # Eventually consistent (half a read unit each): a survey claimed a moment ago that this
        # misses is still kept from a second send by the claim's own condition.
        found: set[str] = set()
        for rma in dict.fromkeys(rmas):
            response = self._client.get_item(TableName=self._table, Key=csat_key(rma, "SURVEY"),
                                              ProjectionExpression="rma")
            if "Item" in response:
                found.add(rma)
        return found

    def claim_survey(self, survey: CsatSurvey) -> bool:
        return self._put_once(_survey_item(survey))

    def release_survey(self, survey: CsatSurvey) -> None:
        try:
            self._client.delete_item(
                TableName=self._table, Key=csat_key(survey.rma, "SURVEY"),
                ConditionExpression="sent_at = :sent",
                ExpressionAttributeValues={":sent": {"S": iso(survey.sent_at) or ""}},
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise

    def survey_of(self, rma: str) -> CsatSurvey | None:
        record = self._get(rma, "SURVEY")
        return _survey_from(record) if record is not None else None

    def record_answer(self, answer: CsatAnswer) -> bool:
        return self._put_once(_answer_item(answer))

    def answer_of(self, rma: str) -> CsatAnswer | None:
        record = self._get(rma, "ANSWER")
        return _answer_from(record) if record is not None else None

    def _get(self, rma: str, kind: str) -> dict[str, Any] | None:
        response = self._client.get_item(TableName=self._table, Key=csat_key(rma, kind), ConsistentRead=True)
        return from_item(response["Item"]) if "Item" in response else None

    def _put_once(self, item: dict[str, Any]) -> bool:
        try:
            self._client.put_item(TableName=self._table, Item=to_item(item),
                                  ConditionExpression="attribute_not_exists(pk)")
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True


class InMemoryCsatStore:
    """CsatSurveyStore in dicts (unit tests), with DynamoDB's answers and bounds."""

    def __init__(self) -> None:
        self.surveys: dict[str, CsatSurvey] = {}
        self.answers: dict[str, CsatAnswer] = {}
        self._lock = threading.Lock()

    def answers_between(self, start: datetime, end: datetime) -> list[CsatAnswer]:
        low, high = iso(start) or "", iso(end) or ""
        return sorted((a for a in self.answers.values() if low <= (iso(a.answered_at) or "") < high),
                      key=lambda a: (a.answered_at, a.rma))

    def surveys_sent_between(self, start: datetime, end: datetime) -> list[CsatSurvey]:
        low, high = iso(start) or "", iso(end) or ""
        return sorted((s for s in self.surveys.values() if low <= (iso(s.sent_at) or "") < high),
                      key=lambda s: (s.sent_at, s.rma))

    def surveyed(self, rmas: Collection[str]) -> set[str]:
        return {rma for rma in rmas if rma in self.surveys}

    def claim_survey(self, survey: CsatSurvey) -> bool:
        with self._lock:
            if survey.rma in self.surveys:
                return False
            self.surveys[survey.rma] = survey
            return True

    def release_survey(self, survey: CsatSurvey) -> None:
        with self._lock:
            if self.surveys.get(survey.rma) == survey:
                del self.surveys[survey.rma]

    def survey_of(self, rma: str) -> CsatSurvey | None:
        return self.surveys.get(rma)

    def record_answer(self, answer: CsatAnswer) -> bool:
        with self._lock:
            if answer.rma in self.answers:
                return False
            self.answers[answer.rma] = answer
            return True

    def answer_of(self, rma: str) -> CsatAnswer | None:
        return self.answers.get(rma)
