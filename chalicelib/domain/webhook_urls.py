"""Which URLs events may be sent to: no request forgery into the VPC, the metadata service or
loopback (SSRF).

A deployed stage sends only to `https://` URLs whose host resolves only to public addresses;
checked when an endpoint is registered and again right before each delivery (a name may be
pointed elsewhere in between: DNS rebinding), and the delivery connects to an address checked
here, never to one the name resolves to later. The local stage also sends to
`http://127.0.0.1:<port>`, so tests can receive events, and to nothing else that is not https.

Pure: the resolver is handed in (the adapter's is socket.getaddrinfo).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import ValidationError
from .outbound_events import MAX_URL_LENGTH

# The addresses a host name resolves to (IPv4 and IPv6, as text).
Resolver = Callable[[str], Sequence[str]]

LOCAL_HOST = "127.0.0.1"
# A host name is letters, digits, hyphens and dots (IDNs arrive as punycode).
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$")
# Names that never reach the public internet, whatever a resolver says.
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp")
# A label that a resolver may read as a number (2130706433, 0177, 0x7f): such hosts are IPs in disguise.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class UnsafeWebhookURLError(ValidationError):
    """The URL may not receive events (not https, a private address, unreadable ...)."""

    code = "webhook_url_not_allowed"

    def __init__(self, message: str) -> None:
        super().__init__(message, fields=("url",))


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where a delivery connects: the URL's parts, and the checked addresses to connect to."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def is_public_address(text: str) -> bool:
    """True for a globally routable unicast address; False for private, loopback, link-local
    (169.254.169.254, the metadata service), CGNAT, ULA (fd00:ec2::254), multicast, reserved,
    and IPv6 forms that wrap one of those (IPv4-mapped, 6to4, Teredo, NAT64; IPv4-compatible and
    IPv4-translated ones always)."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if wrapped is not None and not is_public_address(str(wrapped)):
            return False
        # NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits; so do the deprecated
        # IPv4-compatible (::/96) and IPv4-translated (::ffff:0:0:0/96) forms, refused outright.
        if address in ipaddress.IPv6Network("64:ff9b::/96"):
            return is_public_address(str(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)))
        if any(address in ipaddress.IPv6Network(net) for net in ("::/96", "::ffff:0:0:0/96")):
            return False
    return bool(address.is_global) and not address.is_multicast


def check_webhook_url(url: str, *, local_stage: bool, resolve: Resolver | None) -> WebhookTarget:
    """The URL's target when events may go there; UnsafeWebhookURLError naming why not.

    `resolve` None checks the URL's form only (an IP literal is still checked; a name is not
    looked up): for the rare caller that cannot do I/O. Registration and delivery pass one.
    """
    if not isinstance(url, str) or not url:
        raise UnsafeWebhookURLError("give the endpoint's URL")
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeWebhookURLError(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in url) or not url.isascii():
        raise UnsafeWebhookURLError("the URL may hold no spaces, backslashes, control or non-ASCII characters "
                                    "(write an international domain name in its xn-- form)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeWebhookURLError("the URL cannot be read (check its host and port)") from error
    scheme = parts.scheme.lower()
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise UnsafeWebhookURLError("the URL may not carry a user name or password")
    if parts.fragment:
        raise UnsafeWebhookURLError("the URL may not have a #fragment")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeWebhookURLError("the URL has no host")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if scheme == "http" and local_stage:
        # Only this exact loopback form, with its port: tests' receivers, nothing else.
        if parts.netloc != f"{LOCAL_HOST}:{port}" or port is None:
            raise UnsafeWebhookURLError(
                "the local stage sends plain http only to http://127.0.0.1:<port>; use https elsewhere")
        return WebhookTarget(scheme="http", host=LOCAL_HOST, port=port, path=path, addresses=(LOCAL_HOST,))
    if scheme != "https":
        raise UnsafeWebhookURLError("the URL must start with https://")
    if port == 0:
        raise UnsafeWebhookURLError("the URL's port must be 1 to 65535")
    target_port = port or 443
    literal = _ip_literal(host)
    if literal is not None:
        if not is_public_address(literal):
            raise UnsafeWebhookURLError(f"{host} is not a public address")
        return WebhookTarget(scheme="https", host=literal, port=target_port, path=path, addresses=(literal,))
    if not _HOST_NAME.match(host):
        raise UnsafeWebhookURLError("the URL's host is not a valid domain name")
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or _NUMERIC_LABEL.match(labels[-1]) or all(_NUMERIC_LABEL.match(label) for label in labels):
        # `https://2130706433`, `https://0177.0.0.1`, `https://0x7f.1`: resolvers read these as
        # 127.0.0.1; and a bare name (no dot) is resolved against the network's search domains.
        raise UnsafeWebhookURLError(f"{host} is not a public domain name")
    if host.rstrip(".") == "localhost" or host.rstrip(".").endswith(_PRIVATE_SUFFIXES):
        raise UnsafeWebhookURLError(f"{host} is a private name")
    if resolve is None:
        return WebhookTarget(scheme="https", host=host, port=target_port, path=path, addresses=())
    try:
        addresses = tuple(dict.fromkeys(resolve(host)))
    except OSError as error:
        raise UnsafeWebhookURLError(f"{host} could not be resolved") from error
    if not addresses:
        raise UnsafeWebhookURLError(f"{host} could not be resolved")
    private = [a for a in addresses if not is_public_address(a)]
    if private:
        raise UnsafeWebhookURLError(f"{host} resolves to an address that is not public")
    return WebhookTarget(scheme="https", host=host, port=target_port, path=path, addresses=addresses)


def _ip_literal(host: str) -> str | None:
    """The address when the host is an IP literal (urlsplit strips IPv6 brackets), else None."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        return None
