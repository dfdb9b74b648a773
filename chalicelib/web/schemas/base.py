"""Turning untrusted JSON into schema objects, with errors that name every bad field."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TypeVar

import pydantic

from ...domain.errors import ValidationError

Model = TypeVar("Model", bound=pydantic.BaseModel)
# Our deepest document (a policy, an order's line tags) nests five levels; thousands of `[`
# make json.loads raise RecursionError, and hundreds would make every later walk deep too.
MAX_DEPTH = 32


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
        document = json.loads(raw_body)
    except RecursionError as error:
        raise ValidationError("the request body is nested too deeply", fields=("body",)) from error
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError("the request body is not valid JSON", fields=("body",)) from error
    if depth(document) > MAX_DEPTH:
        raise ValidationError("the request body is nested too deeply", fields=("body",))
    return document


def depth(document: object) -> int:
    """How deeply arrays and objects nest in `document` (a scalar is 0), without recursion."""
    deepest = 0
    pending: list[tuple[object, int]] = [(document, 0)]
    while pending:
        value, level = pending.pop()
        if isinstance(value, dict):
            children: list[object] = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            deepest = max(deepest, level)
            continue
        deepest = max(deepest, level + 1)
        if level + 1 <= MAX_DEPTH:
            pending.extend((child, level + 1) for child in children)
    return deepest


def parse(model: type[Model], document: object) -> Model:
    """`document` validated as `model`; ValidationError naming every bad field otherwise."""
    try:
        return model.model_validate(document)
    except pydantic.ValidationError as error:
        raise invalid(
            (detail["loc"], naming_the_line(document, detail["loc"], detail["msg"]))
            for detail in error.errors(include_url=False, include_input=False)
        ) from error


def naming_the_line(document: object, location: tuple[int | str, ...], message: str) -> str:
    """`message` led by the line it is about (`line 'L1': ...`) when it is about `lines[i]` of a
    document that names that line's id: the client can then tell its shopper which item."""
    if len(location) < 2 or location[0] != "lines" or not isinstance(location[1], int):
        return message
    lines = document.get("lines") if isinstance(document, dict) else None
    if not isinstance(lines, list) or not 0 <= location[1] < len(lines):
        return message
    line = lines[location[1]]
    line_id = line.get("line_id") if isinstance(line, dict) else None
    if not isinstance(line_id, str) or not line_id or len(line_id) > 64:
        return message
    return f"line {line_id!r}: {message}"


def invalid(problems: Iterable[tuple[tuple[int | str, ...], str]]) -> ValidationError:
    """The ValidationError for pydantic-style (location, message) problems, every field named."""
    named: list[tuple[str, str]] = []
    for location, message in problems:
        # Wrapper locations such as "function-after" add nothing for a reader.
        path = field_path(tuple(p for p in location if not (isinstance(p, str) and "[" in p)))
        named.append((path, message.removeprefix("Value error, ")))
    return ValidationError(
        "; ".join(f"{path}: {message}" for path, message in named),
        fields=tuple(path for path, _ in named),
    )
