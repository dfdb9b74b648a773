"""Jinja2 for pages and emails: autoescaped, templates beside app.py (vendor/templates link)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jinja2

# In the Lambda the vendor/templates link lands at the package root, beside app.py and
# chalicelib/; in a checkout it is the top-level templates/ folder. Same relative place.
TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


@functools.cache
def environment() -> jinja2.Environment:
    # Imported here: JSON answers never render, so a cold start of the API skips Jinja2.
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def asset(name: str) -> bytes | None:
    """The bytes of a static asset shipped in templates/assets, or None."""
    path = (TEMPLATES / "assets" / name).resolve()
    if path.parent != (TEMPLATES / "assets").resolve() or not path.is_file():
        return None
    return path.read_bytes()
