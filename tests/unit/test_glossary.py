"""The glossary (docs/glossary.md) holds in every catalog: one word per thing, no placeholders left."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from chalicelib.locales import CATALOG_DIRS, DOMAIN, LOCALES_DIR

REPO = Path(__file__).resolve().parents[2]
LANGUAGES = ("ja", "zh-Hans", "ko")
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")
# Korean particle markers stand for "pick the particle that fits"; a reader sees them as a typo.
LEFT_PLACEHOLDER = re.compile(r"\((?:을|를|이|가|은|는|와|과|으|아|야|이라|라)\)|\bTODO\b|\bXXX\b|\?\?\?")


def glossary() -> list[dict[str, str]]:
    """The table between the glossary markers, one dict per row, keyed by the header."""
    text = (REPO / "docs" / "glossary.md").read_text(encoding="utf-8")
    table = text.split("<!-- glossary:start -->")[1].split("<!-- glossary:end -->")[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in table.strip().splitlines() if line.strip()]
    header, entries = rows[0], rows[2:]
    return [dict(zip(header, entry, strict=True)) for entry in entries]


def term_pattern(term: str) -> re.Pattern[str]:
    """A capitalised term (RMA) as written; `refund*` at a word's start (refunded, refunding); any
    other term in any case as a word or its plural (parcel, parcels; not stored for store)."""
    if term.isupper():
        return re.compile(rf"\b{re.escape(term)}\b")
    if term.endswith("*"):
        return re.compile(rf"\b{re.escape(term[:-1])}", re.IGNORECASE)
    return re.compile(rf"\b{re.escape(term)}s?\b", re.IGNORECASE)


def english(message: Message) -> str:
    """The message's English with its placeholders taken out (%(store)s names no store)."""
    text = message.id if isinstance(message.id, str) else " ".join(message.id)
    return PLACEHOLDER.sub(" ", text)


def catalog_of(language: str) -> Catalog:
    path = LOCALES_DIR / CATALOG_DIRS[language] / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as source:
        return read_po(source, locale=CATALOG_DIRS[language])


def translations(message: Message) -> tuple[str, ...]:
    strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return tuple(s for s in strings if s)


def test_the_glossary_names_every_language_and_each_term_once() -> None:
    entries = glossary()
    assert entries, "the glossary table is empty"
    assert all(entry.keys() == {"English", *LANGUAGES} for entry in entries)
    terms = [entry["English"].lower() for entry in entries]
    assert len(terms) == len(set(terms))
    assert all(all(entry[language] for language in LANGUAGES) for entry in entries)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_uses_the_glossary_word(language: str) -> None:
    strays = []
    for entry in glossary():
        pattern, word = term_pattern(entry["English"]), entry[language]
        for message in catalog_of(language):
            if message.id and pattern.search(english(message)):
                strays += [(entry["English"], english(message), text)
                           for text in translations(message) if word not in text]
    assert not strays, f"{language}: these translations do not use the glossary's word:\n" + "\n".join(
        f"  {term!r} in {source!r}: {text!r}" for term, source, text in strays)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_translation_leaves_a_placeholder(language: str) -> None:
    left = [(english(m), text) for m in catalog_of(language) if m.id
            for text in translations(m) if LEFT_PLACEHOLDER.search(text)]
    assert not left, f"{language}: placeholders left in the text:\n" + "\n".join(
        f"  {source!r}: {text!r}" for source, text in left)


def test_the_checks_catch_what_they_promise() -> None:
    """The matchers themselves: a stray word and a particle marker are seen, the right text is not."""
    assert term_pattern("refund*").search("Refunded to your card")
    assert term_pattern("parcel").search("Two parcels")
    assert not term_pattern("store").search("Rows stored before")
    assert term_pattern("RMA").search("RMA (scan the label)")
    assert not term_pattern("RMA").search("return %(rma)s")
    assert LEFT_PLACEHOLDER.search("반품 %(rma)s을(를) 취소했습니다")
    assert LEFT_PLACEHOLDER.search("버전 %(new)s(으)로")
    assert not LEFT_PLACEHOLDER.search("반품 %(rma)s 건을 취소했습니다")
