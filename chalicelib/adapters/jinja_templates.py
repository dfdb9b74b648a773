"""The one Jinja2 environment per language: every page, shopper email, merchant email and
approval email renders through here.

Templates are the top-level templates/ folder (pages/, merchant/, console/, emails/); their
words are msgids of the one catalog (chalicelib/locales). Every environment also knows the
shopper-facing names (`reason_name`, `status_name`, `resolution_name`) and formats money and
dates (`money`, `day`, `moment`) in its language, so no surface words or formats them its own way.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from ..locales import catalog, locale_or_default
from ..locales.names import reason_name, resolution_name, status_name
from .babel_formatting import format_date, format_datetime, format_money

# In the Lambda the vendor/templates link lands at the package root, beside app.py and
# chalicelib/; in a checkout it is the top-level templates/ folder. Same relative place.
TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


@cache
def environment(locale: str) -> jinja2.Environment:
    """Jinja2 over templates/ speaking `locale` (English for a tag we do not speak), built once
    per language per warm container, so renders in two languages never share state."""
    locale = locale_or_default(locale)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # Shopper names, notes, titles and Stripe's reasons are untrusted: HTML is escaped
        # (pages and the HTML part of emails); the plain-text part of an email is not HTML.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # {% trans %} blocks are extracted trimmed (babel.cfg); render them the same way.
    env.policies["ext.i18n.trimmed"] = True
    # New style: the words are autoescaped and %-formatted with keyword arguments.
    env.install_gettext_translations(catalog(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        lang=locale,
        reason_name=lambda code: reason_name(code, locale),
        status_name=lambda code: status_name(code, locale),
        resolution_name=lambda code: resolution_name(code, locale),
        money=lambda amount: format_money(amount, locale),
        day=lambda value: format_date(value, locale),
        moment=lambda value: format_datetime(value, locale),
    )
    return env


def render(template: str, locale: str, /, **context: Any) -> str:
    """templates/`template` rendered in `locale` with `context`."""
    return environment(locale).get_template(template).render(context)
