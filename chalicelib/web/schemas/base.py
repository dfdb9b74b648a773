"""Turning untrusted JSON into schema objects, with errors that name every bad field."""

from __future__ import annotations

import json
from typing import TypeVar

import pydantic

from ...domain.errors import ValidationError

Model = TypeVar("Model", bound=pydantic.BaseModel)


def field_path(location: tuple[int | str, ...]) -> str:
    """("lines", 1, "id") -> "lines[1].id"."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "body"


def parse_json(raw_body: bytes | str | None) -> object:
    """The JSON document of a request body; ValidationError when it is not JSON."""
    if not raw_body:
        raise ValidationError("the request body must be a JSON document", fields=("body",))
    try:
        return json.loads(raw_body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError("the request body is not valid JSON", fields=("body",)) from error


def parse(model: type[Model], document: object) -> Model:
    """`document` validated as `model`; ValidationError naming every bad field otherwise."""
    try:
        return model.model_validate(document)
    except pydantic.ValidationError as error:
        problems: list[tuple[str, str]] = []
        for detail in error.errors(include_url=False, include_input=False):
            # Wrapper locations such as "function-after" add nothing for a reader.
            location = tuple(p for p in detail["loc"] if not (isinstance(p, str) and "[" in p))
            message = detail["msg"].removeprefix("Value error, ")
            problems.append((field_path(location), message))
        raise ValidationError(
            "; ".join(f"{path}: {message}" for path, message in problems),
            fields=tuple(path for path, _ in problems),
        ) from error
