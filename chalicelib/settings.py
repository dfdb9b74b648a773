"""Typed settings of a stage, read from its environment (set by .chalice/config.json)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

LOCAL_STAGE = "local"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a stage may vary; secrets appear only as the name of where they live."""

    stage: str
    region: str
    table_name: str
    # Loopback AWS endpoint of the local stack; None on a real stage.
    aws_endpoint_url: str | None
    # The admin key itself on the local stage only (a documented fake); elsewhere the name or
    # ARN of its secret in Secrets Manager (`..._secret`), as are the other secrets.
    admin_api_key: str | None
    admin_api_key_secret: str | None
    # The key that signs shopper tokens: itself on the local stage only (a documented fake).
    signing_key: str | None
    signing_key_secret: str | None
    stripe_api_base: str | None
    stripe_api_key: str | None
    stripe_api_key_secret: str | None
    stripe_webhook_secret_secret: str | None
    # Resource names the deployed stack passes in (infra/retour.yaml); None where unused yet.
    label_bucket: str | None
    sender_domain: str | None
    ses_configuration_set: str | None
    refund_queue_url: str | None
    public_base_url: str
    store_name: str
    store_accent_color: str
    store_logo_url: str | None
    log_level: str
    # The From of shopper emails; it must be an SES-verified address or domain.
    mail_from: str = "returns@retour.local"
    # Shopper lookups allowed per client address and per order number in 15 minutes.
    lookups_per_window: int = 10
    # The merchant's warehouse: the "return to" address on every label (RETOUR_WAREHOUSE_*).
    warehouse_name: str = "Retour Demo Returns"
    warehouse_line1: str = "100 Warehouse Way"
    warehouse_line2: str = "Dock 4"
    warehouse_city: str = "Reno"
    warehouse_region: str = "NV"
    warehouse_postal_code: str = "89501"
    warehouse_country: str = "US"
    # The language of the merchant's approval emails and confirm pages (en, ja, zh-Hans, ko).
    merchant_locale: str = "en"
    # The refund queue by name where no URL is given (the local stack creates it: devstack/sqs.py).
    refund_queue_name: str = "retour-local-refunds"
    # The Stripe webhook signing secret itself on the local stage only (a documented fake).
    stripe_webhook_secret: str | None = None
    # The staff user pool and its app client (infra/retour.yaml's StaffUserPool and
    # StaffUserPoolClient). The local stack leaves them out: the adapter finds the pool named
    # `retour-local-staff` and its client on first use (moto makes up new ids on every start).
    staff_user_pool_id: str | None = None
    staff_client_id: str | None = None
    # photos: days a shopper's photos are kept in the label bucket (returns/{rma}/photos/), as the
    # bucket's lifecycle rule says (infra/retour.yaml PhotoRetentionDays); their records the same.
    photo_retention_days: int = 180
    # The store sells through Stripe Checkout: store credit is offered there as a promotion code
    # (RETOUR_STRIPE_CHECKOUT_CREDIT=1; docs/store-credit.md).
    stripe_checkout_credit: bool = False
    # The shopper pays an exchange's price difference with Stripe.js, loaded from
    # `stripe_js_url` with the stage's publishable key (not a secret; None: paying is unavailable).
    # Local: localstripe's mock of Stripe.js, served by the local Stripe itself.
    stripe_publishable_key: str | None = None
    stripe_js_url: str = "https://js.stripe.com/v3/"
    # The queue of outbound event deliveries (infra/retour.yaml WebhookQueue); the local
    # stack knows it by name (devstack/sqs.py).
    webhook_queue_url: str | None = None
    webhook_queue_name: str = "retour-local-webhooks"

    @property
    def stripe_page_origins(self) -> tuple[str, ...]:
        """The origins the pay page lets its script load, frame and call (its CSP)."""
        if self.is_local and self.stripe_api_base:
            return (self.stripe_api_base.rstrip("/"),)
        return ("https://js.stripe.com", "https://api.stripe.com", "https://hooks.stripe.com")

    @property
    def staff_pool_name(self) -> str:
        """The staff user pool's name (its app client has the same)."""
        return f"retour-{self.stage}-staff"

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        stage = env.get("RETOUR_STAGE", LOCAL_STAGE)
        is_local = stage == LOCAL_STAGE

        def port_url(var: str, default_port: int) -> str:
            return f"http://127.0.0.1:{int(env.get(var, default_port))}"

        return cls(
            stage=stage,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            table_name=env.get("RETOUR_TABLE_NAME", f"retour-{stage}"),
            aws_endpoint_url=(
                env.get("RETOUR_AWS_ENDPOINT_URL") or port_url("RETOUR_AWS_PORT", 4566)
                if is_local else None
            ),
            admin_api_key=env.get("RETOUR_ADMIN_API_KEY") if is_local else None,
            admin_api_key_secret=env.get("RETOUR_ADMIN_API_KEY_SECRET"),
            signing_key=env.get("RETOUR_SIGNING_KEY") if is_local else None,
            signing_key_secret=env.get("RETOUR_SIGNING_KEY_SECRET"),
            stripe_api_base=(
                env.get("RETOUR_STRIPE_API_BASE") or port_url("RETOUR_STRIPE_PORT", 8420)
                if is_local else None
            ),
            stripe_api_key=env.get("RETOUR_STRIPE_API_KEY") if is_local else None,
            stripe_api_key_secret=env.get("RETOUR_STRIPE_API_KEY_SECRET"),
            stripe_webhook_secret_secret=env.get("RETOUR_STRIPE_WEBHOOK_SECRET_SECRET"),
            # The local stack creates this bucket on its S3 (devstack/s3.py).
            label_bucket=env.get("RETOUR_LABEL_BUCKET") or (
                "retour-local-labels" if is_local else None
            ),
            sender_domain=env.get("RETOUR_SENDER_DOMAIN") or None,
            ses_configuration_set=env.get("RETOUR_SES_CONFIGURATION_SET") or None,
            refund_queue_url=env.get("RETOUR_REFUND_QUEUE_URL") or None,
            public_base_url=(
                env.get("RETOUR_PUBLIC_BASE_URL") or port_url("RETOUR_APP_PORT", 8000)
            ).rstrip("/"),
            store_name=env.get("RETOUR_STORE_NAME", "Retour Demo Store"),
            store_accent_color=env.get("RETOUR_STORE_ACCENT_COLOR", "#1f5f8b"),
            store_logo_url=env.get("RETOUR_STORE_LOGO_URL") or None,
            log_level=env.get("RETOUR_LOG_LEVEL", "INFO"),
            mail_from=env.get("RETOUR_MAIL_FROM") or (
                "returns@retour.local" if is_local
                else f"returns@{env.get('RETOUR_SENDER_DOMAIN') or 'retour.invalid'}"
            ),
            lookups_per_window=int(env.get("RETOUR_LOOKUP_LIMIT", "10")),
            merchant_locale=env.get("RETOUR_MERCHANT_LOCALE") or "en",
            refund_queue_name=env.get("RETOUR_REFUND_QUEUE_NAME", f"retour-{stage}-refunds"),
            stripe_webhook_secret=env.get("RETOUR_STRIPE_WEBHOOK_SECRET") if is_local else None,
            staff_user_pool_id=env.get("RETOUR_STAFF_USER_POOL_ID") or None,
            staff_client_id=env.get("RETOUR_STAFF_CLIENT_ID") or None,
            photo_retention_days=int(env.get("RETOUR_PHOTO_RETENTION_DAYS", "180")),
            stripe_checkout_credit=env.get("RETOUR_STRIPE_CHECKOUT_CREDIT", "").lower() in ("1", "true", "yes"),
            stripe_publishable_key=env.get("RETOUR_STRIPE_PUBLISHABLE_KEY") or None,
            stripe_js_url=env.get("RETOUR_STRIPE_JS_URL") or (
                (env.get("RETOUR_STRIPE_API_BASE") or port_url("RETOUR_STRIPE_PORT", 8420)).rstrip("/")
                + "/js.stripe.com/v3/" if is_local else "https://js.stripe.com/v3/"
            ),
            webhook_queue_url=env.get("RETOUR_WEBHOOK_QUEUE_URL") or None,
            webhook_queue_name=env.get("RETOUR_WEBHOOK_QUEUE_NAME", f"retour-{stage}-webhooks"),
            **{
                name: env[f"RETOUR_{name.upper()}"]
                for name in ("warehouse_name", "warehouse_line1", "warehouse_line2",
                             "warehouse_city", "warehouse_region", "warehouse_postal_code",
                             "warehouse_country")
                if f"RETOUR_{name.upper()}" in env
            },
        )
