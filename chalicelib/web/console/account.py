"""Signing in and out of the console: `/console/sign-in` (email and password, then Cognito's
challenges: a new password on the first sign-in, a TOTP code when the member has switched it on),
`/console/sign-out`, and the language a member picks."""

from __future__ import annotations

from chalice.app import Response

from ...domain.errors import AuthenticationError, RateLimitedError, ValidationError
from ...domain.staff import Permission, Role
from ...services.ports.staff import SignInStep
from ...services.staff_sign_in import answer_sign_in_code, normalize_email, staff_sign_in
from ..locale_negotiation import supported
from . import console_pages
from .visit import FORM, ConsoleVisit, console_view, safe_next


def _home(role: Role) -> str:
    return "/warehouse" if role is Role.WAREHOUSE else "/console"


def _sign_in_form(visit: ConsoleVisit, *, status: int = 200, problem: str = "", email: str = "",
                  next_path: str = "", minutes: int = 0) -> Response:
    visit.ensure_guest_nonce()
    return visit.page("sign_in.html", status=status, problem=problem, email=email, next_path=next_path,
                      minutes=minutes)


def _after(visit: ConsoleVisit, step: SignInStep, next_path: str) -> Response:
    """Where a step of Cognito's leads: the next challenge's form, or the console."""
    if step.outcome == "new_password":
        visit.ensure_guest_nonce()
        return visit.page("new_password.html", email=step.email, challenge=step.session, next_path=next_path,
                          problem="")
    if step.outcome == "mfa_code":
        visit.ensure_guest_nonce()
        return visit.page("mfa_code.html", email=step.email, challenge=step.session, next_path=next_path,
                          problem="")
    if step.role is None:
        return _sign_in_form(visit, status=403, problem="no_role", email=step.email, next_path=next_path)
    visit.sign_in(step.email, step.role)
    target = safe_next(next_path) if next_path else _home(step.role)
    return visit.redirect(target)


@console_view(console_pages, "/console/sign-in", permission=None, methods=["GET"])
def get_sign_in(visit: ConsoleVisit) -> Response:
    """The sign-in form; a member already signed in goes on to where they were headed."""
    next_path = visit.query.get("next", "")
    if visit.session is not None:
        return visit.redirect(safe_next(next_path) if next_path else _home(visit.session.role))
    return _sign_in_form(visit, next_path=next_path)


@console_view(console_pages, "/console/sign-in", permission=None, methods=["POST"], content_types=FORM)
def post_sign_in(visit: ConsoleVisit) -> Response:
    form = visit.form()
    email = normalize_email(form.get("email"))
    next_path = form.get("next", "")
    if not visit.csrf_ok(form):
        return _sign_in_form(visit, status=403, problem="expired", email=email, next_path=next_path)
    try:
        step = staff_sign_in(visit.deps, email, form.get("password"), client_address=visit.address)
    except ValidationError:
        return _sign_in_form(visit, status=400, problem="missing", email=email, next_path=next_path)
    except RateLimitedError as error:
        limited = _sign_in_form(visit, status=429, problem="too_many", email=email, next_path=next_path,
                                minutes=max(1, -(-error.retry_after // 60)))
        limited.headers["Retry-After"] = str(error.retry_after)
        return limited
    except AuthenticationError:
        return _sign_in_form(visit, status=401, problem="wrong", email=email, next_path=next_path)
    return _after(visit, step, next_path)


@console_view(console_pages, "/console/sign-in/new-password", permission=None, methods=["POST"], content_types=FORM)
def post_new_password(visit: ConsoleVisit) -> Response:
    """The first sign-in's new password (twice), answering Cognito's NEW_PASSWORD_REQUIRED."""
    form = visit.form()
    email = normalize_email(form.get("email"))
    challenge = form.get("challenge", "")
    next_path = form.get("next", "")

    def again(problem: str, status: int) -> Response:
        visit.ensure_guest_nonce()
        return visit.page("new_password.html", status=status, email=email, challenge=challenge,
                          next_path=next_path, problem=problem)

    if not visit.csrf_ok(form):
        return _sign_in_form(visit, status=403, problem="expired", email=email, next_path=next_path)
    password = form.get("new_password", "")
    if not password or password != form.get("confirm_password", ""):
        return again("mismatch", 400)
    try:
        step = visit.deps.staff.set_new_password(email, challenge, password)
    except ValidationError:
        return again("weak", 400)
    except AuthenticationError:
        return _sign_in_form(visit, status=401, problem="challenge_expired", email=email, next_path=next_path)
    return _after(visit, step, next_path)


@console_view(console_pages, "/console/sign-in/code", permission=None, methods=["POST"], content_types=FORM)
def post_mfa_code(visit: ConsoleVisit) -> Response:
    """The six-digit code of the member's authenticator app (SOFTWARE_TOKEN_MFA)."""
    form = visit.form()
    email = normalize_email(form.get("email"))
    next_path = form.get("next", "")
    if not visit.csrf_ok(form):
        return _sign_in_form(visit, status=403, problem="expired", email=email, next_path=next_path)
    code = "".join(form.get("code", "").split())
    try:
        step = answer_sign_in_code(visit.deps, email, form.get("challenge", ""), code, client_address=visit.address)
    except AuthenticationError:
        # Cognito's session for the challenge allows one wrong code: sign in again from the start.
        return _sign_in_form(visit, status=401, problem="wrong_code", email=email, next_path=next_path)
    return _after(visit, step, next_path)


@console_view(console_pages, "/console/sign-out", permission=Permission.RECEIVE, methods=["POST"], content_types=FORM)
def post_sign_out(visit: ConsoleVisit) -> Response:
    """End the session at once: its stored item is deleted, so the cookie opens nothing anymore."""
    visit.sign_out()
    return visit.redirect("/console/sign-in")


@console_view(console_pages, "/console/language", permission=Permission.RECEIVE, methods=["POST"], content_types=FORM)
def post_language(visit: ConsoleVisit) -> Response:
    """The member's language for the console, kept for the rest of the session."""
    form = visit.form()
    chosen = supported(form.get("lang"))
    if chosen is not None and visit.session is not None:
        visit.deps.console_sessions.set_locale(visit.session.email, visit.session.session_id, chosen)
    return visit.redirect(safe_next(form.get("back")))
