"""Where the shopper-token signing key comes from on each stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.adapters.in_memory import InMemoryOrderRepository, InMemoryPolicyRepository, InMemoryReturnHistory
from chalicelib.adapters.system_clock import SystemClock
from chalicelib.bootstrap import Deps
from chalicelib.settings import Settings


class FakeSecrets:
    def __init__(self) -> None:
        self.reads: list[str] = []

    def get(self, name: str) -> str:
        self.reads.append(name)
        return f"secret-at-{name}"


def deps_for(environ: dict[str, str], secrets: FakeSecrets) -> Deps:
    return Deps(
        settings=Settings.from_env(environ), orders=InMemoryOrderRepository(),
        policies=InMemoryPolicyRepository(), return_history=InMemoryReturnHistory(),
        clock=SystemClock(), secrets=secrets,  # type: ignore[arg-type]
    )


def test_the_local_stage_signs_with_the_key_from_its_config() -> None:
    secrets = FakeSecrets()
    deps = deps_for({"RETOUR_STAGE": "local", "RETOUR_SIGNING_KEY": "local-key"}, secrets)
    assert deps.signing_key() == "local-key"
    assert secrets.reads == []


def test_a_deployed_stage_ignores_a_key_in_its_environment_and_reads_secrets_manager_once() -> None:
    secrets = FakeSecrets()
    deps = deps_for(
        {"RETOUR_STAGE": "prod", "RETOUR_SIGNING_KEY": "leaked", "RETOUR_SIGNING_KEY_SECRET": "retour/prod/signing-key"},
        secrets,
    )
    assert deps.settings.signing_key is None
    assert deps.signing_key() == "secret-at-retour/prod/signing-key"
    deps.signing_key()
    assert secrets.reads == ["retour/prod/signing-key"]


def test_no_secret_read_happens_until_a_token_is_made() -> None:
    secrets = FakeSecrets()
    deps = deps_for({"RETOUR_STAGE": "dev", "RETOUR_SIGNING_KEY_SECRET": "retour/dev/signing-key"}, secrets)
    tokens = deps.tokens
    assert secrets.reads == []
    tokens.issue("1001", purpose="shopper", now=datetime(2026, 11, 23, tzinfo=UTC), ttl=timedelta(minutes=30))
    assert secrets.reads == ["retour/dev/signing-key"]
