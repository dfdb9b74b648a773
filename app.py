"""Retour's Chalice app: registers the blueprints and middleware; no logic lives here."""

from chalice import Chalice

from chalicelib.jobs.refunds import refund_jobs
from chalicelib.jobs.approval_reminders import approval_jobs
from chalicelib.jobs.store_credit_expiry import store_credit_jobs
from chalicelib.jobs.return_expiry import return_expiry_jobs
from chalicelib.jobs.exception_digests import exception_digest_jobs
from chalicelib.jobs.csat_surveys import csat_jobs
from chalicelib.jobs.ship_reminders import ship_reminder_jobs
from chalicelib.jobs.webhooks import webhook_jobs
from chalicelib.web import register
from chalicelib.web.snapstart import prime_when_snapshotted

# configure_logs=False: our JSON formatter on the root logger writes every line.
app = Chalice(app_name="retour", configure_logs=False)
register(app)
app.register_blueprint(refund_jobs)
app.register_blueprint(approval_jobs)
app.register_blueprint(store_credit_jobs)
app.register_blueprint(return_expiry_jobs)
app.register_blueprint(exception_digest_jobs)
app.register_blueprint(csat_jobs)
app.register_blueprint(ship_reminder_jobs)
app.register_blueprint(webhook_jobs)
# A SnapStart init builds and loads everything now, so the snapshot holds it (web/snapstart.py).
prime_when_snapshotted()
