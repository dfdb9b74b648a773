"""Secrets from AWS Secrets Manager, read once per warm container."""

from __future__ import annotations

import threading
from typing import Any


class SecretsManagerSecrets:
    """Reads a secret's current value on first use and keeps it for the container's life."""

    def __init__(self, client_factory: Any) -> None:
        # A factory: the client (and botocore's import) is only paid for when a secret is read.
        self._client_factory = client_factory
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, secret_id: str) -> str:
        """The SecretString of `secret_id` (a secret's name or ARN)."""
        with self._lock:
            if secret_id not in self._values:
                response = self._client_factory().get_secret_value(SecretId=secret_id)
                self._values[secret_id] = response["SecretString"]
            return self._values[secret_id]
