"""The shopper-facing skeleton pages."""

from __future__ import annotations

from chalice.test import Client


def test_the_returns_page_is_html_with_the_store_name(client: Client) -> None:
    response = client.http.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "<h1>Returns &amp; refunds</h1>" in page
    assert "Retour Demo Store" in page
    assert '<html lang="en">' in page


def test_the_stylesheets_are_served_by_the_app_itself(client: Client) -> None:
    css = client.http.get("/assets/retour.css")
    assert css.status_code == 200
    assert css.headers["Content-Type"].startswith("text/css")
    theme = client.http.get("/assets/theme.css")
    assert b"--accent: #1f5f8b" in theme.body


def test_only_shipped_assets_can_be_fetched(client: Client) -> None:
    assert client.http.get("/assets/..%2F..%2Fapp.py").status_code == 404
    assert client.http.get("/assets/missing.css").status_code == 404
