"""docs/openapi.yaml describes exactly the JSON API the app serves: every /api/v1 and /webhooks
route with its methods, and nothing the app lacks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
PREFIXES = ("/api/v1/", "/webhooks/")
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def documented() -> dict[tuple[str, str], dict[str, Any]]:
    spec = yaml.safe_load(DOC.read_text(encoding="utf-8"))
    return {
        (path, method.upper()): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items() if method in METHODS
    }


def served() -> set[tuple[str, str]]:
    from app import app

    return {
        (path, method)
        for path, methods in app.routes.items() if path.startswith(PREFIXES)
        for method in methods if method not in ("HEAD", "OPTIONS")
    }


def test_every_api_route_is_documented() -> None:
    missing = sorted(served() - set(documented()))
    assert not missing, f"add these to docs/openapi.yaml: {missing}"


def test_every_documented_route_is_served() -> None:
    # An operation marked `x-landing: issue N` documents a route still being built.
    ghosts = sorted(key for key, op in documented().items() if key not in served() and "x-landing" not in op)
    assert not ghosts, f"docs/openapi.yaml describes routes the app does not serve: {ghosts}"


def test_every_operation_documents_the_error_shape() -> None:
    for key, operation in documented().items():
        errors = [code for code in operation["responses"] if code.startswith("4")]
        assert errors, f"{key} documents no 4xx answer"
        for code in errors:
            assert operation["responses"][code] == {"$ref": "#/components/responses/Error"}, (key, code)


def test_the_document_is_valid_openapi() -> None:
    from openapi_spec_validator import validate

    validate(yaml.safe_load(DOC.read_text(encoding="utf-8")))
