"""Events reach public https endpoints only: no forgery into the VPC, the metadata service or loopback."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from chalicelib.domain.webhook_urls import UnsafeWebhookURLError, check_webhook_url, is_public_address

PUBLIC = "93.184.215.14"


def resolves_to(*addresses: str) -> object:
    def resolve(host: str) -> Sequence[str]:
        return addresses

    return resolve


def never_resolves(host: str) -> Sequence[str]:
    raise OSError("no such host")


HOSTILE = [
    "http://169.254.169.254/latest/meta-data/",
    "https://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/hooks",
    "https://172.16.5.4/",
    "https://192.168.1.1/",
    "https://100.64.0.1/",  # carrier-grade NAT
    "https://127.0.0.1/",
    "https://0.0.0.0/",
    "https://[::1]/",
    "https://[fd00:ec2::254]/",  # the metadata service over IPv6 (ULA)
    "https://[fe80::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:169.254.169.254]/",
    "https://[2002:a9fe:a9fe::]/",  # 6to4 around 169.254.169.254
    "https://[64:ff9b::a9fe:a9fe]/",  # NAT64 around 169.254.169.254
    "https://[::7f00:1]/",  # IPv4-compatible (deprecated) around 127.0.0.1
    "https://[::a9fe:a9fe]/",  # the same around 169.254.169.254
    "https://[::ffff:0:7f00:1]/",  # IPv4-translated around 127.0.0.1
    "https://localhost/",
    "https://localhost:8443/",
    "https://api.localhost/",
    "https://printer.local/",
    "https://metadata.google.internal/",
    "https://2130706433/",  # 127.0.0.1 as one decimal number
    "https://0177.0.0.1/",  # octal
    "https://0x7f.0.0.1/",  # hex
    "https://0x7f000001/",
    "https://127.1/",
    "https://017700000001/",
    "https://a@127.0.0.1/",
    "https://example.com@127.0.0.1/",
    "https://user:pass@example.com/",
    "https://example.com\\@127.0.0.1/",
    "https://exa mple.com/",
    "https://example.com/#frag",
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "http://example.com/hooks",  # plain http to the internet
    "https://intranet/",  # a bare name resolves against search domains
    "https://ex\u0430mple.com/",  # non-ASCII (write it as xn--)
    "https://example.com:0/",
    "https://example.com:99999/",
    "https://[::1",
    "",
    "https://example.com/" + "a" * 2000,
]


@pytest.mark.parametrize("url", HOSTILE)
def test_a_deployed_stage_refuses_every_private_or_disguised_address(url: str) -> None:
    with pytest.raises(UnsafeWebhookURLError) as refused:
        check_webhook_url(url, local_stage=False, resolve=resolves_to(PUBLIC))
    assert refused.value.code == "webhook_url_not_allowed" and refused.value.fields == ("url",)


@pytest.mark.parametrize("private", ["10.1.2.3", "127.0.0.1", "169.254.169.254", "::1", "fd00:ec2::254", "192.168.0.9"])
def test_a_name_that_resolves_to_a_private_address_is_refused_even_among_public_ones(private: str) -> None:
    with pytest.raises(UnsafeWebhookURLError):
        check_webhook_url("https://hooks.example.com/in", local_stage=False, resolve=resolves_to(PUBLIC, private))


def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(UnsafeWebhookURLError):
        check_webhook_url("https://hooks.example.com/in", local_stage=False, resolve=never_resolves)


def test_a_public_https_endpoint_is_accepted_and_connected_to_at_the_checked_address() -> None:
    target = check_webhook_url("https://Hooks.Example.com:8443/in?store=1", local_stage=False,
                               resolve=resolves_to(PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"))
    assert (target.scheme, target.host, target.port, target.path) == ("https", "hooks.example.com", 8443, "/in?store=1")
    assert target.addresses == (PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    assert check_webhook_url(f"https://{PUBLIC}/", local_stage=False, resolve=never_resolves).addresses == (PUBLIC,)


def test_the_local_stage_also_sends_to_loopback_http_with_a_port_and_nothing_else() -> None:
    target = check_webhook_url("http://127.0.0.1:8765/hooks", local_stage=True, resolve=never_resolves)
    assert (target.scheme, target.addresses, target.port, target.path) == ("http", ("127.0.0.1",), 8765, "/hooks")
    for url in ["http://127.0.0.1/hooks", "http://localhost:8765/", "http://10.0.0.1:80/", "http://[::1]:8765/",
                "http://a@127.0.0.1:8765/", "http://example.com/", "https://127.0.0.1:8765/"]:
        with pytest.raises(UnsafeWebhookURLError):
            check_webhook_url(url, local_stage=True, resolve=resolves_to(PUBLIC))
    with pytest.raises(UnsafeWebhookURLError):
        check_webhook_url("http://127.0.0.1:8765/hooks", local_stage=False, resolve=never_resolves)


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True), ("169.254.169.254", False), ("224.0.0.1", False),
    ("255.255.255.255", False), ("::", False), ("not an address", False),
])
def test_only_globally_routable_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public
