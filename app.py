"""Retour's Chalice app: registers the blueprints and middleware; no logic lives here."""

from chalice import Chalice

from chalicelib.web import register

app = Chalice(app_name="retour")
register(app)
