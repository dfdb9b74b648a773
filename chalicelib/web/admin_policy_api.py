"""The admin API's policy calls: read, replace, history, and a dry run of a candidate."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from ..bootstrap import get_deps
from ..domain.errors import NotFoundError
from ..services.dry_run_policy import dry_run_policy
from ..services.manage_policy import policy_history, read_policy, read_policy_version, replace_policy
from .auth import require_admin
from .errors import route
from .schemas.base import parse_json
from .schemas.dry_run import dry_run_to_json
from .schemas.policy import parse_policy, policy_to_json

admin_policy_api = Blueprint(__name__)

# An answer to hold history within one response; older versions stay readable one by one.
_HISTORY_PAGE = 100


def _authorized() -> None:
    require_admin(admin_policy_api.current_request, get_deps())


def _json(body: Any, status: int = 200) -> Response:
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json"})


@route(admin_policy_api, "/api/v1/admin/policy", methods=["GET"])
def get_policy() -> Response:
    """The policy in force, with its version (0: the default policy of a new store)."""
    _authorized()
    return _json(policy_to_json(read_policy(get_deps().policies)))


@route(admin_policy_api, "/api/v1/admin/policy", methods=["PUT"])
def put_policy() -> Response:
    """Replace the policy: a new version, answered as stored; a bad document changes nothing."""
    _authorized()
    # The version is assigned by the store; 0 here is a placeholder until the save.
    candidate = parse_policy(parse_json(admin_policy_api.current_request.raw_body), version=0)
    return _json(policy_to_json(replace_policy(get_deps(), candidate)))


@route(admin_policy_api, "/api/v1/admin/policy/versions", methods=["GET"])
def get_policy_versions() -> Response:
    """Stored versions of the policy, newest first (up to 100)."""
    _authorized()
    history = policy_history(get_deps().policies)
    return _json({"versions": [policy_to_json(policy) for policy in history[:_HISTORY_PAGE]]})


@route(admin_policy_api, "/api/v1/admin/policy/versions/{version}", methods=["GET"])
def get_policy_version(version: str) -> Response:
    """One version of the policy; 0 is the default policy a new store starts on."""
    _authorized()
    if not version.isascii() or not version.isdigit() or len(version) > 8:
        raise NotFoundError(f"there is no policy version {version!r}", code="policy_version_not_found")
    return _json(policy_to_json(read_policy_version(get_deps().policies, int(version))))


@route(admin_policy_api, "/api/v1/admin/policy/dry-run", methods=["POST"])
def post_policy_dry_run() -> Response:
    """Judge the most recent orders under the current policy and a candidate; nothing is stored."""
    _authorized()
    candidate = parse_policy(parse_json(admin_policy_api.current_request.raw_body), version=0)
    return _json(dry_run_to_json(dry_run_policy(get_deps(), candidate)))
