"""Secrets from SSM Parameter Store, read once per warm container."""

from __future__ import annotations

import threading
from typing import Any


class SSMSecrets:
    """Reads SecureString parameters on first use and keeps them for the container's life."""

    def __init__(self, client_factory: Any) -> None:
        self._client_factory = client_factory
        self._values: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> str:
        with self._lock:
            if name not in self._values:
                response = self._client_factory().get_parameter(Name=name, WithDecryption=True)
                self._values[name] = response["Parameter"]["Value"]
            return self._values[name]
