"""AWS Signature Version 4 for one request, with the standard library alone.

botocore.auth signs the same way, but importing it pulls in most of botocore (~100 ms of a cold
start) for fifty lines of HMAC; tests/unit/adapters/test_aws_sigv4.py proves the two agree
header for header.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
# Headers a proxy or the HTTP library may change on the way: never signed (as botocore).
_UNSIGNED = frozenset({"expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access key pair, with the session token of temporary credentials (Lambda's own)."""

    access_key: str
    secret_key: str
    token: str | None = None


def host_of(url: str) -> str:
    """The Host header of `url`: its host, with the port only when it is not the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def signed_headers(
    method: str, url: str, headers: Mapping[str, str], body: bytes, *,
    credentials: Credentials, region: str, service: str, now: datetime,
) -> dict[str, str]:
    """`headers` plus Host, X-Amz-Date, the session token and the Authorization that signs them."""
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    out = {name: value for name, value in headers.items() if name.lower() != "authorization"}
    if not any(name.lower() == "host" for name in out):
        out["Host"] = host_of(url)
    out["X-Amz-Date"] = stamp
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    to_sign = {name.lower(): " ".join(value.split()) for name, value in out.items()
               if name.lower() not in _UNSIGNED}
    names = ";".join(sorted(to_sign))
    parts = urlsplit(url)
    if parts.query:
        raise ValueError("only requests without a query string are signed here (DynamoDB posts to /)")
    canonical = "\n".join([
        method.upper(),
        quote(parts.path or "/", safe="/~"),
        "",
        "".join(f"{name}:{to_sign[name]}\n" for name in sorted(to_sign)),
        names,
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{stamp[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join([ALGORITHM, stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(f"AWS4{credentials.secret_key}".encode(), stamp[:8])
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    out["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, SignedHeaders={names}, Signature={signature}"
    )
    return out


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()

