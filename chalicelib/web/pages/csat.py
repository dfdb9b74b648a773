"""The CSAT survey page (templates/pages/csat.html): the email's rating links land here.

`GET /feedback/{token}?rating=N` shows the rating chosen and an optional comment, and records
nothing: mail scanners and link previews open every link of an email. Only the page's POST
(CSRF-checked) records the answer, once per return; then `GET /feedback/{token}/thanks`.
The token (services/csat_surveys.py) names the return and lasts 14 days; it sits in the path, so
the language switch keeps it. The page speaks the return's language unless the shopper picks one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chalice.app import Response

from ...domain.csat import MAX_COMMENT, RATING_WORDS, RATINGS, AlreadyAnsweredError, CsatSurvey, readable_text
from ...domain.errors import AuthenticationError, NotFoundError, ValidationError
from ...locales import N_
from ...services.csat_surveys import CSAT_LINK_TTL, answer_survey, open_survey_link, survey_path
from ..html import cookie_value
from ..locale_negotiation import supported
from ..sessions import LANG_COOKIE
from . import shopper_pages
from .page import FORM, Page, csrf_ok, error_page, shopper_view

log = logging.getLogger("retour.pages")

# The form's errors by the field they concern, in the shopper's words.
_FIELD_MESSAGES = {
    "rating": N_("Choose a rating from 1 to 5."),
    "comment": N_("Your comment is too long: please keep it to %(max)s characters."),
}


@shopper_view(shopper_pages, "/feedback/{token}", methods=["GET"])
def survey(page: Page, token: str) -> Response:
    """The rating the link chose (`?rating=`), and the comment box; opening it records nothing."""
    found = _open(page, token)
    if isinstance(found, Response):
        return found
    if page.deps.csat_surveys.answer_of(found.rma) is not None:
        return _answered(page, token, found)
    query: Mapping[str, str] = page.request.query_params or {}
    chosen = query.get("rating", "")
    return _form(page, token, found, chosen=chosen if chosen in {str(r) for r in RATINGS} else "", comment="")


@shopper_view(shopper_pages, "/feedback/{token}", methods=["POST"], content_types=FORM)
def post_survey(page: Page, token: str) -> Response:
    """Record the rating and comment once; a second answer changes nothing."""
    # The link first: an expired one says so, whatever the session that sent the form.
    found = _open(page, token)
    if isinstance(found, Response):
        return found
    form = page.form()
    if page.session_lost or not csrf_ok(page, form):
        return error_page(page, 403)
    try:
        answer_survey(page.deps, token, rating=form.get("rating"), comment=form.get("comment"))
    except ValidationError as error:
        field = error.fields[0] if error.fields else "rating"
        message = page._(_FIELD_MESSAGES.get(field, _FIELD_MESSAGES["rating"]), max=f"{MAX_COMMENT:,}")
        return _form(page, token, found, chosen=form.get("rating", ""), comment=readable_text(form.get("comment")),
                     errors=[{"field": field, "message": message}], status=400)
    except AlreadyAnsweredError:
        return _answered(page, token, found, status=409)
    return page.redirect(f"{survey_path(token)}/thanks")


@shopper_view(shopper_pages, "/feedback/{token}/thanks", methods=["GET"])
def thanks(page: Page, token: str) -> Response:
    """Thank you (after the answer); before one, back to the form."""
    found = _open(page, token)
    if isinstance(found, Response):
        return found
    answer = page.deps.csat_surveys.answer_of(found.rma)
    if answer is None:
        return page.redirect(survey_path(token))
    return page.html("pages/csat_thanks.html", rma=found.rma, switch_path=f"{survey_path(token)}/thanks",
                     already=False, rating=answer.rating, rating_words=page._(RATING_WORDS[answer.rating]))


def _open(page: Page, token: str) -> CsatSurvey | Response:
    """The survey of a genuine link, the page speaking its return's language; else the page that
    says why the link does not open it."""
    try:
        survey = open_survey_link(page.deps, token)
    except (AuthenticationError, NotFoundError) as error:
        log.info("a survey link was refused", extra={"reason": error.code})
        expired = error.code == "token_expired"
        title = (page._("This survey link has expired") if expired
                 else page._("This survey link doesn't work"))
        message = (page._("The links in the email about your return work for %(days)s days, and this one is "
                          "older. Thank you for wanting to tell us, all the same.", days=CSAT_LINK_TTL.days)
                   if expired else
                   page._("The link may be incomplete. Please open it again from the email about your return."))
        return page.html("pages/problem.html", status=410 if expired else 404, title=title, message=message,
                         switch_path="/")
    _speak(page, survey.locale)
    return survey


def _speak(page: Page, locale: str) -> None:
    """The return's language, unless the shopper chose one here (?lang= or the switcher's cookie)."""
    query: Mapping[str, str] = page.request.query_params or {}
    chosen = supported(query.get("lang")) or supported(cookie_value(page.request.headers.get("cookie"), LANG_COOKIE))
    if chosen is None:
        page.lang = supported(locale) or page.lang


def _form(page: Page, token: str, survey: CsatSurvey, *, chosen: str, comment: str,
          errors: list[dict[str, str]] | None = None, status: int = 200) -> Response:
    return page.html(
        "pages/csat.html", status=status, rma=survey.rma, action=survey_path(token), switch_path=survey_path(token),
        ratings=[{"value": str(r), "words": page._(RATING_WORDS[r])} for r in RATINGS],
        chosen=chosen, comment=comment, max_comment=MAX_COMMENT, max_comment_shown=f"{MAX_COMMENT:,}",
        errors=errors or [],
    )


def _answered(page: Page, token: str, survey: CsatSurvey, *, status: int = 200) -> Response:
    """This return was rated already: the first answer stays, and the page says so."""
    answer = page.deps.csat_surveys.answer_of(survey.rma)
    context: dict[str, Any] = {"rating": answer.rating if answer else None,
                               "rating_words": page._(RATING_WORDS[answer.rating]) if answer else ""}
    return page.html("pages/csat_thanks.html", status=status, rma=survey.rma, already=True,
                     switch_path=survey_path(token), **context)
