"""A member's own account (`/console/account`: who they are, two-step sign-in on or off) and the
owner's staff page (`/console/staff`: invite, change a role, remove).

Accounts are Cognito's (deps.staff). Changing a member's role or removing them ends every console
session of theirs at once, so their next request is signed out; an owner never demotes or
removes themself (the store could be left without one). Between "switch two-step sign-in on" and
its first code, Cognito's access token and the secret are kept on the console session item,
never in a page or a cookie.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from chalice.app import Response

from ...domain.errors import AuthenticationError, ConflictError, RateLimitedError, ValidationError
from ...domain.staff import Permission, Role
from ...locales import N_
from ...services.ports.staff import TotpSetup
from ...services.staff_sign_in import normalize_email, staff_sign_in
from . import console_pages
from .visit import FORM, ROLE_NAMES, ConsoleVisit, console_view

# Cognito's access token lives 15 minutes (infra/retour.yaml); the setup step ends before it.
TOTP_SETUP_TTL = timedelta(minutes=10)
MAX_EMAIL_LENGTH = 254

STATUS_NAMES = {
    "CONFIRMED": N_("Active"),
    "FORCE_CHANGE_PASSWORD": N_("Invited: has not signed in yet"),
    "RESET_REQUIRED": N_("Must reset their password"),
}
ACCOUNT_NOTICES = {
    "totp_on": N_("Two-step sign-in is on. Next time you sign in, enter the code from your app too."),
    "totp_off": N_("Two-step sign-in is off."),
}
STAFF_NOTICES = {
    "invited": N_("Invitation sent. Cognito emailed a temporary password; it works for 7 days."),
    "role": N_("Role changed. The member was signed out everywhere and gets the new role at their next sign-in."),
    "removed": N_("Member removed and signed out everywhere."),
    "totp_off": N_("Two-step sign-in switched off for the member."),
}


# --- the member's own account ------------------------------------------------------------


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def _otpauth(visit: ConsoleVisit, secret: str) -> str:
    issuer = visit.deps.settings.store_name
    label = quote(f"{issuer}:{visit.email}", safe="@:")
    return f"otpauth://totp/{label}?" + urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": "6", "period": "30"}, quote_via=quote)


def _account(visit: ConsoleVisit, *, status: int = 200, errors: dict[str, str] | None = None) -> Response:
    assert visit.session is not None
    member = visit.deps.staff.member(visit.email)
    setup = visit.deps.console_sessions.totp_setup(visit.email, visit.session.session_id, now=visit.now)
    done = visit.query.get("done", "")
    return visit.page(
        "staff_account.html", status=status, errors=errors or {},
        mfa_enabled=bool(member and member.mfa_enabled),
        secret=_grouped(setup.secret) if setup else "", otpauth=_otpauth(visit, setup.secret) if setup else "",
        notice=visit._(ACCOUNT_NOTICES[done]) if done in ACCOUNT_NOTICES and status == 200 else None,
    )


def _check_password(visit: ConsoleVisit, password: str) -> tuple[Any, Response | None]:
    """Cognito's answer to the member's own password, or the account page saying what is wrong.

    Wrong passwords count against the sign-in's limit (per address and email)."""
    try:
        return staff_sign_in(visit.deps, visit.email, password, client_address=visit.address), None
    except ValidationError:
        return None, _account(visit, status=400, errors={"password": visit._("Enter your password.")})
    except RateLimitedError as error:
        limited = _account(visit, status=429, errors={"password": visit._(
            "Too many wrong passwords. Please try again in a few minutes.")})
        limited.headers["Retry-After"] = str(error.retry_after)
        return None, limited
    except AuthenticationError:
        return None, _account(visit, status=401, errors={"password": visit._("That password is not right.")})


@console_view(console_pages, "/console/account", permission=Permission.RECEIVE, methods=["GET"])
def get_account(visit: ConsoleVisit) -> Response:
    """The member's email, role and two-step sign-in."""
    return _account(visit)


@console_view(console_pages, "/console/account/totp", permission=Permission.RECEIVE, methods=["POST"],
              content_types=FORM)
def post_totp_start(visit: ConsoleVisit) -> Response:
    """Switch two-step sign-in on, step 1: the password again, then the secret to add to an app."""
    assert visit.session is not None
    step, refused = _check_password(visit, visit.form().get("password", ""))
    if refused is not None:
        return refused
    if step.outcome != "signed_in":
        # Already on (Cognito asked for a code), or a password to change first: nothing to set up.
        return visit.redirect("/console/account")
    secret = visit.deps.staff.start_totp(step.access_token)
    visit.deps.console_sessions.hold_totp_setup(
        visit.email, visit.session.session_id,
        TotpSetup(access_token=step.access_token, secret=secret, until=visit.now + TOTP_SETUP_TTL))
    return visit.redirect("/console/account#totp")


@console_view(console_pages, "/console/account/totp/confirm", permission=Permission.RECEIVE, methods=["POST"],
              content_types=FORM)
def post_totp_confirm(visit: ConsoleVisit) -> Response:
    """Step 2: the app's first code; right, and Cognito asks for a code at every sign-in."""
    assert visit.session is not None
    sessions = visit.deps.console_sessions
    setup = sessions.totp_setup(visit.email, visit.session.session_id, now=visit.now)
    if setup is None:
        return _account(visit, status=409, errors={"password": visit._(
            "That step took too long. Enter your password to start again.")})
    code = "".join(visit.form().get("code", "").split())
    if not (len(code) == 6 and code.isdigit()):
        return _account(visit, status=400, errors={"code": visit._("Enter the six digits your app shows.")})
    try:
        visit.deps.staff.confirm_totp(setup.access_token, visit.email, code)
    except AuthenticationError:
        return _account(visit, status=400, errors={"code": visit._(
            "That code is not right. Check the app's clock, wait for the next code and enter it.")})
    sessions.drop_totp_setup(visit.email, visit.session.session_id)
    return visit.redirect("/console/account?done=totp_on")


@console_view(console_pages, "/console/account/totp/cancel", permission=Permission.RECEIVE, methods=["POST"],
              content_types=FORM)
def post_totp_cancel(visit: ConsoleVisit) -> Response:
    assert visit.session is not None
    visit.deps.console_sessions.drop_totp_setup(visit.email, visit.session.session_id)
    return visit.redirect("/console/account")


@console_view(console_pages, "/console/account/totp/off", permission=Permission.RECEIVE, methods=["POST"],
              content_types=FORM)
def post_totp_off(visit: ConsoleVisit) -> Response:
    """Switch two-step sign-in off, with the password again."""
    _, refused = _check_password(visit, visit.form().get("password", ""))
    if refused is not None:
        return refused
    visit.deps.staff.disable_totp(visit.email)
    return visit.redirect("/console/account?done=totp_off")


# --- the owner's staff page --------------------------------------------------------------


def _role(value: str | None) -> Role | None:
    try:
        return Role(value or "")
    except ValueError:
        return None


def _roles(visit: ConsoleVisit) -> list[dict[str, str]]:
    return [{"value": role.value, "name": visit._(ROLE_NAMES[role])} for role in Role]


def _staff(visit: ConsoleVisit, *, status: int = 200, errors: dict[str, str] | None = None,
           problem: str = "", invite: dict[str, str] | None = None) -> Response:
    members = [{
        "email": m.email,
        "role": m.role.value if m.role else "",
        "role_name": visit._(ROLE_NAMES[m.role]) if m.role else visit._("No role"),
        "status": visit._(STATUS_NAMES[m.status]) if m.status in STATUS_NAMES else m.status,
        "enabled": m.enabled,
        "mfa": m.mfa_enabled,
        "self": m.email == visit.email,
    } for m in visit.deps.staff.members()]
    done = visit.query.get("done", "")
    return visit.page(
        "staff.html", status=status, members=members, roles=_roles(visit), errors=errors or {}, problem=problem,
        invite=invite or {"email": "", "role": Role.AGENT.value},
        notice=visit._(STAFF_NOTICES[done]) if done in STAFF_NOTICES and status == 200 else None,
    )


SELF_CHANGE = N_("You can't change your own role or remove yourself. Another owner can.")


@console_view(console_pages, "/console/staff", permission=Permission.MANAGE_STAFF, methods=["GET"])
def get_staff(visit: ConsoleVisit) -> Response:
    """Every member: email, role, status, two-step sign-in; and the invitation form."""
    return _staff(visit)


@console_view(console_pages, "/console/staff/invite", permission=Permission.MANAGE_STAFF, methods=["POST"],
              content_types=FORM)
def post_invite(visit: ConsoleVisit) -> Response:
    """Create the account in the role's group; Cognito emails the temporary password."""
    form = visit.form()
    email = normalize_email(form.get("email"))
    role = _role(form.get("role"))
    errors: dict[str, str] = {}
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > MAX_EMAIL_LENGTH or any(c.isspace() for c in email):
        errors["email"] = visit._("Enter an email address, like name@example.com.")
    if role is None:
        errors["role"] = visit._("Choose a role.")
    entered = {"email": email, "role": form.get("role", "")}
    if errors or role is None:
        return _staff(visit, status=400, errors=errors, invite=entered)
    try:
        visit.deps.staff.invite(email, role)
    except ConflictError:
        return _staff(visit, status=409, errors={"email": visit._("That email already has an account.")},
                      invite=entered)
    except ValidationError:
        return _staff(visit, status=400, errors={"email": visit._("Enter an email address, like name@example.com.")},
                      invite=entered)
    return visit.redirect("/console/staff?done=invited")


@console_view(console_pages, "/console/staff/role", permission=Permission.MANAGE_STAFF, methods=["POST"],
              content_types=FORM)
def post_role(visit: ConsoleVisit) -> Response:
    """Move a member to another role; their sessions end at once."""
    form = visit.form()
    email = normalize_email(form.get("email"))
    role = _role(form.get("role"))
    if email == visit.email:
        return _staff(visit, status=400, problem=visit._(SELF_CHANGE))
    if role is None:
        return _staff(visit, status=400, problem=visit._("Choose a role."))
    member = visit.deps.staff.member(email)
    if member is None:
        return visit.problem(404)
    visit.deps.staff.change_role(email, role)
    visit.deps.console_sessions.close_all(email)
    return visit.redirect("/console/staff?done=role")


@console_view(console_pages, "/console/staff/remove", permission=Permission.MANAGE_STAFF, methods=["GET"])
def get_remove(visit: ConsoleVisit) -> Response:
    """The confirmation step before a member is removed."""
    email = normalize_email(visit.query.get("email"))
    if email == visit.email:
        return _staff(visit, status=400, problem=visit._(SELF_CHANGE))
    member = visit.deps.staff.member(email)
    if member is None:
        return visit.problem(404)
    return visit.page("staff_remove.html", member_email=member.email,
                      role_name=visit._(ROLE_NAMES[member.role]) if member.role else visit._("No role"))


@console_view(console_pages, "/console/staff/remove", permission=Permission.MANAGE_STAFF, methods=["POST"],
              content_types=FORM)
def post_remove(visit: ConsoleVisit) -> Response:
    """Delete the account; their sessions end at once."""
    email = normalize_email(visit.form().get("email"))
    if email == visit.email:
        return _staff(visit, status=400, problem=visit._(SELF_CHANGE))
    if visit.deps.staff.member(email) is None:
        return visit.problem(404)
    visit.deps.staff.remove(email)
    visit.deps.console_sessions.close_all(email)
    return visit.redirect("/console/staff?done=removed")


@console_view(console_pages, "/console/staff/totp-off", permission=Permission.MANAGE_STAFF, methods=["POST"],
              content_types=FORM)
def post_member_totp_off(visit: ConsoleVisit) -> Response:
    """Switch a member's two-step sign-in off (a lost phone); they sign in with the password."""
    email = normalize_email(visit.form().get("email"))
    if visit.deps.staff.member(email) is None:
        return visit.problem(404)
    visit.deps.staff.disable_totp(email)
    return visit.redirect("/console/staff?done=totp_off")
