"""The lookup's hand-written check answers exactly as the pydantic model it stands for."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.errors import ValidationError
from chalicelib.web.schemas.base import parse
from chalicelib.web.schemas.lookup import parse_lookup


class LookupIn(BaseModel):
    """The model of schemas/lookup.py's docstring: the reference for its rules and messages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    order_number: Annotated[str, Field(min_length=1, max_length=64)]
    email: Annotated[str, Field(min_length=1, max_length=254)]


def answer(check: Any, document: object) -> tuple[str, str, tuple[str, ...]] | tuple[str, str, str]:
    try:
        found = check(document)
    except ValidationError as error:
        return ("invalid", error.message, error.fields)
    return ("ok", found.order_number, found.email)


def both(document: object) -> None:
    assert answer(parse_lookup, document) == answer(lambda d: parse(LookupIn, d), document)


@pytest.mark.parametrize("document", [
    {"order_number": "5001", "email": "aiko@example.jp"},
    {"order_number": "5001"}, {}, {"order_number": "", "email": ""}, {"order_number": 5001, "email": "a@b"},
    {"order_number": True, "email": None}, {"order_number": ["5001"], "email": {"a": 1}},
    {"order_number": "x" * 64, "email": "y" * 254}, {"order_number": "x" * 65, "email": "y" * 255},
    {"order_number": "注文" * 32, "email": "é" * 254}, {"order_number": "1", "email": "a", "name": "Aiko"},
    {"order_number": "1", "email": "a", "a[b]": 1, "c.d": 2, "": 3, "0": 4},
    json.loads('{"order_number": "\\ud800", "email": "a"}'),
    None, [], "5001", 5001, 1.5, True,
], ids=repr)
def test_known_documents_get_the_models_answer(document: object) -> None:
    both(document)


# Surrogates included: JSON's "\ud800" escape decodes to one.
TEXT = st.text(st.characters(exclude_categories=()), max_size=300)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)
KEYS = st.sampled_from(["order_number", "email"]) | st.text(max_size=12)
LOOKUP_LIKE = st.dictionaries(KEYS, JSON_VALUES | st.text(min_size=60, max_size=260), max_size=4)


@settings(max_examples=400, deadline=None)
@given(LOOKUP_LIKE | JSON_VALUES)
def test_any_json_document_gets_the_models_answer(document: object) -> None:
    both(document)
