"""Retour's Chalice app: registers the blueprints and middleware; no logic lives here."""

from chalice import Chalice

from chalicelib.web import register

# configure_logs=False: our JSON formatter on the root logger writes every line.
app = Chalice(app_name="retour", configure_logs=False)
register(app)
