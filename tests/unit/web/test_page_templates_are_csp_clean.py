"""Pages carry a CSP without 'unsafe-inline': no template of a page may need inline code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
# Emails are not pages: mail clients need inline styles and never apply our CSP.
PAGE_FOLDERS = [folder for folder in TEMPLATES.iterdir() if folder.is_dir() and folder.name not in ("emails", "assets")]
INLINE = re.compile(r"<style\b|<script\b(?![^>]*\bsrc=)|\sstyle\s*=|\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(p for f in PAGE_FOLDERS for p in f.rglob("*.html")), ids=str)
def test_a_page_template_has_no_inline_style_script_or_handler(template: Path) -> None:
    found = INLINE.findall(template.read_text(encoding="utf-8"))
    assert not found, f"{template.relative_to(TEMPLATES)} needs 'unsafe-inline': {found}"
