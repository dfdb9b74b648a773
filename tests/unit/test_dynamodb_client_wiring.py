"""The composition root points the DynamoDB client at the right endpoint with the right keys."""

from __future__ import annotations

import pytest

from chalicelib.adapters.aws_sigv4 import Credentials
from chalicelib.bootstrap import dynamodb_client
from chalicelib.settings import Settings


def test_a_deployed_stage_signs_with_the_lambdas_own_temporary_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAROLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "role-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "role-token")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    client = dynamodb_client(Settings.from_env({"RETOUR_STAGE": "prod", "AWS_REGION": "eu-west-1"}))
    assert client.meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"
    assert client._credentials() == Credentials("ASIAROLE", "role-secret", "role-token")


def test_the_local_stage_never_sends_a_developers_real_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREAL")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    client = dynamodb_client(Settings.from_env({"RETOUR_STAGE": "local", "RETOUR_AWS_PORT": "4566"}))
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client._credentials() == Credentials("local", "local")
