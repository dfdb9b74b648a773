"""S3's browser-upload rules, which moto lacks: a POST of a form to a bucket must carry a policy
signed with the caller's key that has not expired, and every field, and the file's size, must
meet the policy's conditions (exact values, `starts-with`, `content-length-range`); moto stores
whatever is posted. Here the local server refuses as S3 does (403 AccessDenied, 400
EntityTooLarge / EntityTooSmall), before moto sees the request.

The local stack signs with the fixed fake secret every local client uses (`local`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from werkzeug.formparser import parse_form_data

LOCAL_SECRET = "local"
# Fields S3 never asks a condition for.
_FREE_FIELDS = frozenset({"policy", "x-amz-signature", "file"})


class PostPolicies:
    """A rule of the local AWS server (devstack/aws_server.py): S3 POST Object policy checks."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock

    def __call__(self, app: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes] | None:
        """The refusal of a browser upload that breaks its policy, or None to let moto handle it."""
        if environ.get("REQUEST_METHOD") != "POST" or not str(environ.get("CONTENT_TYPE", "")).startswith(
                "multipart/form-data"):
            return None
        path = str(environ.get("PATH_INFO", "")).strip("/")
        if not path or "/" in path or environ.get("QUERY_STRING"):
            return None
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        copy = {**environ, "wsgi.input": io.BytesIO(body)}
        _, form, files = parse_form_data(copy)
        fields = {name.lower(): value for name, value in form.items()}
        upload = files.get("file")
        size = len(upload.read()) if upload is not None else 0
        problem = self.problem(path, fields, size)
        if problem is None:
            return None
        status, code, message = problem
        answer = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                  f"<Message>{message}</Message></Error>").encode()
        start_response(status, [("Content-Type", "application/xml"), ("Content-Length", str(len(answer)))])
        return [answer]

    def problem(self, bucket: str, fields: dict[str, str], size: int) -> tuple[str, str, str] | None:
        """Why S3 would refuse this upload (status, code, message), or None."""
        denied = "403 Forbidden", "AccessDenied"
        encoded = fields.get("policy")
        if not encoded:
            return (*denied, "Bucket POST must contain a field named 'policy'.")
        if not hmac.compare_digest(_signature(encoded, fields.get("x-amz-credential", "")),
                                   fields.get("x-amz-signature", "")):
            return (*denied, "The request signature we calculated does not match the signature you provided.")
        try:
            policy = json.loads(base64.b64decode(encoded))
            expires = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except (ValueError, KeyError, TypeError):
            return (*denied, "Invalid Policy: Invalid JSON.")
        if expires <= self._clock():
            return (*denied, "Invalid according to Policy: Policy expired.")
        values = {**fields, "bucket": bucket}
        covered: set[str] = set()
        for condition in policy.get("conditions", []):
            if isinstance(condition, dict):
                (name, expected), = condition.items()
                op, name = "eq", name.lower()
            elif condition[0] == "content-length-range":
                low, high = int(condition[1]), int(condition[2])
                if size > high:
                    return "400 Bad Request", "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"
                if size < low:
                    return "400 Bad Request", "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size"
                continue
            else:
                op, name, expected = str(condition[0]).lower(), str(condition[1]).lstrip("$").lower(), condition[2]
            covered.add(name)
            value = values.get(name, "")
            if (op == "eq" and value != expected) or (op == "starts-with" and not value.startswith(expected)):
                return (*denied, f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}")
        extra = [n for n in fields if n not in covered and n not in _FREE_FIELDS and not n.startswith("x-ignore-")]
        if extra:
            return (*denied, f"Invalid according to Policy: Extra input fields: {extra[0]}")
        return None


def _signature(policy: str, credential: str) -> str:
    """SigV4 of the policy text for `credential` (key/date/region/service/aws4_request)."""
    parts = credential.split("/")
    if len(parts) != 5:
        return ""
    _, day, region, service, _ = parts
    key = ("AWS4" + LOCAL_SECRET).encode()
    for step in (day, region, service, "aws4_request"):
        key = hmac.new(key, step.encode(), hashlib.sha256).digest()
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()
