"""Chalice blueprints: pages, JSON API, merchant links, webhooks."""

from __future__ import annotations

from chalice.app import Chalice


def register(app: Chalice) -> None:
    """Attach every blueprint and the request middleware to `app`."""
    # Imported here, not at the top: each blueprint has its module's name, and a package-level
    # `from .pages import pages` would replace the submodule chalicelib.web.pages with the
    # Blueprint for everyone who then writes `from . import pages`.
    from .admin_api import admin_api
    from .admin_policy_api import admin_policy_api
    from .admin_products_api import admin_products_api
    from .admin_returns_api import admin_returns_api
    from .admin_refunds_api import admin_refunds_api
    from .admin_reports_api import admin_reports_api
    from .admin_webhooks_api import admin_webhooks_api
    from .assets import assets
    from .console import console_pages
    from .dev_outbox import dev_outbox
    from .labels_api import labels_api
    from .merchant_pages import merchant_pages
    from .middleware import install_middleware
    from .pages import shopper_pages
    from .shopper_api import shopper_api
    from .stripe_webhooks import stripe_webhooks
    from .warehouse_pages import warehouse_pages

    install_middleware(app)
    app.register_blueprint(assets)
    app.register_blueprint(admin_api)
    app.register_blueprint(admin_policy_api)
    app.register_blueprint(admin_products_api)
    app.register_blueprint(admin_refunds_api)
    app.register_blueprint(admin_reports_api)
    app.register_blueprint(admin_webhooks_api)
    app.register_blueprint(shopper_api)
    app.register_blueprint(labels_api)
    app.register_blueprint(shopper_pages)
    app.register_blueprint(admin_returns_api)
    app.register_blueprint(merchant_pages)
    app.register_blueprint(dev_outbox)
    app.register_blueprint(stripe_webhooks)
    app.register_blueprint(warehouse_pages)
    app.register_blueprint(console_pages)
