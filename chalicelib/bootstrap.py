"""The composition root: the only place that reads settings and builds SDK clients."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from .adapters.aws_sigv4 import Credentials
from .adapters.dynamodb_http import DynamoDBHTTPClient
from .adapters.dynamodb_orders import DynamoDBOrderRepository
from .adapters.dynamodb_policy import DynamoDBPolicyRepository
from .adapters.dynamodb_rate_counter import DynamoDBRateCounter
from .adapters.dynamodb_returns import DynamoDBReturnHistory, DynamoDBReturnRepository
from .adapters.secrets_manager import SecretsManagerSecrets
from .adapters.signed_tokens import SignedTokens
from .adapters.system_clock import SystemClock
from .adapters.system_random import SystemRandomBits
from .settings import Settings

if TYPE_CHECKING:
    # Types only: the adapters a shopper's lookup never needs (the mailers load email, Jinja2 and
    # Babel) are wired by build_deps as factories run on first use.
    from .adapters.ses_approvals import SESApprovalMailer
    from .domain.return_request import ReturnRequest
    from .services.issue_label import LabelSender
    from .services.ports import (
        ApprovalLinkStore,
        ApprovalNotifier,
        Clock,
        DecisionNotifier,
        ExceptionDigests,
        LabelRenderer,
        LabelStore,
        MerchantNotifier,
        MoneyNotifier,
        OrderRepository,
        PaymentGateway,
        PaymentLedger,
        PolicyRepository,
        RandomBits,
        RateCounter,
        RefundQueue,
        ReturnHistory,
        ReturnListings,
        ReturnReports,
        ReturnRepository,
        ShopperNotifier,
        StoreCreditLedger,
        StoredEvents,
        TokenSigner,
    )

# Loopback servers accept any credentials; fixed fakes make sure a developer's real AWS
# credentials are never sent anywhere, not even to 127.0.0.1.
_LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


@dataclass
class Deps:
    """Everything the use cases need, built once per warm container."""

    settings: Settings
    orders: OrderRepository
    policies: PolicyRepository
    return_history: ReturnHistory
    clock: Clock
    secrets: SecretsManagerSecrets | None = None
    _admin_api_key: str | None = field(default=None, repr=False)
    _signing_key: str | None = field(default=None, repr=False)
    _tokens: TokenSigner | None = field(default=None, repr=False)
    # Returns (issue 5); optional here only so that narrower Deps in tests stay short.
    _returns: ReturnRepository | None = field(default=None, repr=False)
    _rate_counter: RateCounter | None = field(default=None, repr=False)
    _notifier: ShopperNotifier | None = field(default=None, repr=False)
    random: RandomBits = field(default_factory=SystemRandomBits)
    # Labels (issue 6): the private bucket of PDFs.
    _labels: LabelStore | None = field(default=None, repr=False)
    # Merchant approvals (issue 8): links, listings by status, the approval emails.
    _approval_links: ApprovalLinkStore | None = field(default=None, repr=False)
    _listings: ReturnListings | None = field(default=None, repr=False)
    _approval_mailer: SESApprovalMailer | None = field(default=None, repr=False)
    # Reporting: returns by the outcome they reached, and the backlog.
    _return_reports: ReturnReports | None = field(default=None, repr=False)
    # The merchant's exception emails per order and day (the first at once, later ones digested).
    _exception_digests: ExceptionDigests | None = field(default=None, repr=False)

    @property
    def approval_links(self) -> ApprovalLinkStore:
        """Stored approval links (by token hash) and reminder marks."""
        return cast("ApprovalLinkStore", self._built("_approval_links", "approval link store"))

    @property
    def listings(self) -> ReturnListings:
        """Returns by status and by shopper (indexes, never a Scan)."""
        return cast("ReturnListings", self._built("_listings", "return listing"))

    @property
    def return_reports(self) -> ReturnReports:
        """What the returns report reads (the status index, never a Scan)."""
        return cast("ReturnReports", self._built("_return_reports", "return report reader"))

    @property
    def exception_digests(self) -> ExceptionDigests:
        """Which exception of an order's day is emailed at once, and the digests still due."""
        return cast("ExceptionDigests", self._built("_exception_digests", "exception digest store"))

    @property
    def approval_notifier(self) -> ApprovalNotifier:
        """The merchant's approval emails."""
        return cast("ApprovalNotifier", self._built("_approval_mailer", "approval mailer"))

    @property
    def decision_notifier(self) -> DecisionNotifier:
        """The shopper's decision emails."""
        return cast("DecisionNotifier", self._built("_approval_mailer", "approval mailer"))

    @property
    def public_base_url(self) -> str:
        """Where the stage's pages live: links in emails are absolute from here."""
        return self.settings.public_base_url

    def status_url(self, request: ReturnRequest) -> str:
        """The emails' signed "Follow your return" link (services/status_links.py), signed now."""
        from .services.status_links import status_url

        return status_url(self.tokens, request, base_url=self.public_base_url, now=self.clock.now())
    # Money back (issue 7).
    _payment_ledger: PaymentLedger | None = field(default=None, repr=False)
    _payments: PaymentGateway | None = field(default=None, repr=False)
    _refund_queue: RefundQueue | None = field(default=None, repr=False)
    _store_credit: StoreCreditLedger | None = field(default=None, repr=False)
    _merchant_notifier: MerchantNotifier | None = field(default=None, repr=False)
    _money_notifier: MoneyNotifier | None = field(default=None, repr=False)
    _stripe_events: StoredEvents | None = field(default=None, repr=False)
    _stripe_webhook_secret: str | None = field(default=None, repr=False)
    # Builders of the adapters above that a shopper's lookup never uses, by field name: run on
    # first use, so a cold start imports (email, Jinja2, Babel, ...) only what its request needs.
    _factories: dict[str, Callable[[], object]] = field(default_factory=dict, repr=False)

    def _built(self, name: str, what: str) -> object:
        """The adapter in field `name`, built by its factory on first use."""
        adapter = getattr(self, name)
        if adapter is None:
            factory = self._factories.get(name)
            if factory is None:
                raise RuntimeError(f"no {what} is wired")
            adapter = factory()
            setattr(self, name, adapter)
        return adapter

    @property
    def payment_ledger(self) -> PaymentLedger:
        """Each order's refund ceiling."""
        return cast("PaymentLedger", self._built("_payment_ledger", "payment ledger"))

    @property
    def payments(self) -> PaymentGateway:
        """Stripe, built on first use (stripe loads only on the paths that pay)."""
        if self._payments is None:
            from .adapters.stripe_payments import StripePayments

            self._payments = StripePayments(self.stripe_api_key, api_base=self.settings.stripe_api_base)
        return self._payments

    @property
    def refund_queue(self) -> RefundQueue:
        """The queue the refund worker drains."""
        return cast("RefundQueue", self._built("_refund_queue", "refund queue"))

    @property
    def store_credit(self) -> StoreCreditLedger:
        """Store-credit accounts and their ledgers."""
        return cast("StoreCreditLedger", self._built("_store_credit", "store-credit ledger"))

    @property
    def money_notifier(self) -> MoneyNotifier:
        """Emails to the shopper when their money is back."""
        return cast("MoneyNotifier", self._built("_money_notifier", "money notifier"))

    @property
    def merchant_notifier(self) -> MerchantNotifier:
        """Emails to the merchant."""
        return cast("MerchantNotifier", self._built("_merchant_notifier", "merchant notifier"))

    @property
    def stripe_events(self) -> StoredEvents:
        """Stripe webhook events already applied."""
        return cast("StoredEvents", self._built("_stripe_events", "Stripe event store"))

    def stripe_api_key(self) -> str:
        """The stage's Stripe secret key (local: localstripe's fake; else Secrets Manager)."""
        if self.settings.stripe_api_key is not None:
            return self.settings.stripe_api_key
        if self.settings.stripe_api_key_secret and self.secrets is not None:
            return self.secrets.get(self.settings.stripe_api_key_secret)
        raise RuntimeError("no Stripe API key is configured for this stage")

    def stripe_webhook_secret(self) -> str:
        """The webhook endpoint's signing secret (local: the documented fake; else Secrets Manager)."""
        if self._stripe_webhook_secret is None:
            if self.settings.stripe_webhook_secret is not None:
                self._stripe_webhook_secret = self.settings.stripe_webhook_secret
            elif self.settings.stripe_webhook_secret_secret and self.secrets is not None:
                self._stripe_webhook_secret = self.secrets.get(self.settings.stripe_webhook_secret_secret)
            else:
                raise RuntimeError("no Stripe webhook secret is configured for this stage")
        return self._stripe_webhook_secret

    @property
    def labels(self) -> LabelStore:
        """Stored label PDFs and their download links."""
        if self._labels is None and "_labels" not in self._factories:
            raise RuntimeError("no label bucket is configured for this stage (RETOUR_LABEL_BUCKET)")
        return cast("LabelStore", self._built("_labels", "label store"))

    @property
    def render_label(self) -> LabelRenderer:
        """The PDF renderer; reportlab loads on the first label, never at cold start."""
        from .adapters.reportlab_labels import render_label

        return render_label

    @property
    def label_sender(self) -> LabelSender:
        """The store's name, warehouse and status page base, as printed on labels."""
        from .domain.order import Address
        from .services.issue_label import LabelSender

        s = self.settings
        return LabelSender(
            store_name=s.store_name,
            return_to=Address(
                name=s.warehouse_name, line1=s.warehouse_line1, line2=s.warehouse_line2,
                city=s.warehouse_city, region=s.warehouse_region,
                postal_code=s.warehouse_postal_code, country=s.warehouse_country,
            ),
            public_base_url=s.public_base_url,
        )

    @property
    def returns(self) -> ReturnRepository:
        """Stored returns; a Deps without them cannot take returns."""
        if self._returns is None:
            raise RuntimeError("no return repository is wired")
        return self._returns

    @property
    def rate_counter(self) -> RateCounter:
        """The lookup counters."""
        if self._rate_counter is None:
            raise RuntimeError("no rate counter is wired")
        return self._rate_counter

    @property
    def lookups_per_window(self) -> int:
        """Lookups allowed per client and per order in each window (settings)."""
        return self.settings.lookups_per_window

    @property
    def notifier(self) -> ShopperNotifier:
        """Emails to the shopper."""
        return cast("ShopperNotifier", self._built("_notifier", "shopper notifier"))

    @property
    def tokens(self) -> TokenSigner:
        """The shopper-token signer; its key is fetched on the first token, not at cold start."""
        if self._tokens is None:
            self._tokens = SignedTokens(self.signing_key)
        return self._tokens

    def admin_api_key(self) -> str:
        """The stage's admin API key (local: the documented fake; else from Secrets Manager)."""
        if self._admin_api_key is None:
            if self.settings.admin_api_key is not None:
                self._admin_api_key = self.settings.admin_api_key
            elif self.settings.admin_api_key_secret and self.secrets is not None:
                self._admin_api_key = self.secrets.get(self.settings.admin_api_key_secret)
            else:
                raise RuntimeError("no admin API key is configured for this stage")
        return self._admin_api_key

    def signing_key(self) -> str:
        """The stage's token signing key (local: the documented fake; else from Secrets Manager)."""
        if self._signing_key is None:
            if self.settings.signing_key is not None:
                self._signing_key = self.settings.signing_key
            elif self.settings.signing_key_secret and self.secrets is not None:
                self._signing_key = self.secrets.get(self.settings.signing_key_secret)
            else:
                raise RuntimeError("no token signing key is configured for this stage")
        return self._signing_key


def aws_client(settings: Settings, service: str, **client_options: Any) -> Any:
    """A botocore client for `service`, pointed at the local endpoint on the local stage."""
    # botocore directly: boto3's import adds ~100 ms to every cold start for nothing we use.
    import botocore.session

    options: dict[str, Any] = {"region_name": settings.region, **client_options}
    if settings.aws_endpoint_url:
        options.update(endpoint_url=settings.aws_endpoint_url, **_LOCAL_CREDENTIALS)
    return botocore.session.get_session().create_client(service, **options)


def dynamodb_client(settings: Settings) -> DynamoDBHTTPClient:
    """The table's client: DynamoDB's JSON protocol signed by hand, with botocore's surface and
    errors, at a fraction of botocore's cold start (adapters/dynamodb_http.py)."""
    return DynamoDBHTTPClient(region=settings.region, endpoint_url=settings.aws_endpoint_url,
                              credentials=_credentials(settings))


def _credentials(settings: Settings) -> Callable[[], Credentials]:
    """Where the DynamoDB client's keys come from, in botocore's order of preference."""
    if settings.aws_endpoint_url:
        local = Credentials(_LOCAL_CREDENTIALS["aws_access_key_id"], _LOCAL_CREDENTIALS["aws_secret_access_key"])
        return lambda: local

    @functools.cache
    def botocore_chain() -> Any:
        import botocore.session

        found = botocore.session.get_session().get_credentials()
        if found is None:
            raise RuntimeError("no AWS credentials found for DynamoDB")
        return found

    def from_environment_or_botocore() -> Credentials:
        # Lambda hands the function role's keys over in the environment: the common case.
        key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
        if key and secret:
            return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN") or None)
        # Anywhere else (a profile, SSO, an instance role): botocore's chain, which refreshes
        # temporary credentials itself before they expire.
        frozen = botocore_chain().get_frozen_credentials()
        return Credentials(frozen.access_key, frozen.secret_key, frozen.token)

    return from_environment_or_botocore


def _s3_client(settings: Settings) -> Any:
    """S3 signing with SigV4: presigned links in every region (SigV2 is refused in newer ones)."""
    from botocore.config import Config

    return aws_client(settings, "s3", config=Config(signature_version="s3v4"))


def build_deps(settings: Settings) -> Deps:
    """Wire the adapters for `settings`."""
    dynamodb = dynamodb_client(settings)
    clock = SystemClock()
    returns = DynamoDBReturnRepository(dynamodb, settings.table_name)
    deps = Deps(
        settings=settings,
        orders=DynamoDBOrderRepository(dynamodb, settings.table_name),
        policies=DynamoDBPolicyRepository(dynamodb, settings.table_name),
        return_history=DynamoDBReturnHistory(dynamodb, settings.table_name),
        clock=clock,
        secrets=SecretsManagerSecrets(lambda: aws_client(settings, "secretsmanager")),
        _returns=returns,
        _rate_counter=DynamoDBRateCounter(dynamodb, settings.table_name),
        _factories=_lazy_tables(dynamodb, settings.table_name, returns),
    )
    # The mailers sign the emails' status links with the Deps' own signer and clock, read at
    # send time (a test may swap the clock).
    deps._factories.update(_lazy_adapters(settings, status_link=lambda request: deps.status_url(request)))
    return deps


def _lazy_tables(dynamodb: Any, table: str, returns: DynamoDBReturnRepository) -> dict[str, Callable[[], object]]:
    """The table's adapters a lookup never uses (money, approvals, reports, Stripe events), each
    built and imported on first use; a lookup's own (orders, policy, returns, counters) are built
    at once."""

    def payment_ledger() -> object:
        from .adapters.dynamodb_payments import DynamoDBPaymentLedger

        return DynamoDBPaymentLedger(dynamodb, table, returns)

    def store_credit() -> object:
        from .adapters.dynamodb_store_credit import DynamoDBStoreCredit

        return DynamoDBStoreCredit(dynamodb, table, returns)

    def stripe_events() -> object:
        from .adapters.dynamodb_stripe_events import DynamoDBStripeEvents

        return DynamoDBStripeEvents(dynamodb, table)

    def approval_links() -> object:
        from .adapters.dynamodb_approvals import DynamoDBApprovalLinks

        return DynamoDBApprovalLinks(dynamodb, table)

    def listings() -> object:
        from .adapters.dynamodb_approvals import DynamoDBReturnListings

        return DynamoDBReturnListings(dynamodb, table)

    def return_reports() -> object:
        from .adapters.dynamodb_return_reports import DynamoDBReturnReports

        return DynamoDBReturnReports(dynamodb, table)

    def exception_digests() -> object:
        from .adapters.dynamodb_exception_digests import DynamoDBExceptionDigests

        return DynamoDBExceptionDigests(dynamodb, table)

    return {"_payment_ledger": payment_ledger, "_store_credit": store_credit, "_stripe_events": stripe_events,
            "_approval_links": approval_links, "_listings": listings, "_return_reports": return_reports,
            "_exception_digests": exception_digests}


def _lazy_adapters(settings: Settings, *, status_link: Callable[[ReturnRequest], str]) -> dict[str, Callable[[], object]]:
    """The mailers, the refund queue and the label bucket, each built (and its module imported)
    on first use: none of them is on a shopper's lookup. `status_link` signs the shoppers'
    "Follow your return" links."""

    @functools.cache
    def shopper_mailer() -> object:
        from .adapters.ses_mailer import SESMailer

        return SESMailer(
            lambda: aws_client(settings, "ses"), sender=settings.mail_from,
            public_base_url=settings.public_base_url, store_name=settings.store_name,
            status_link=status_link,
        )

    def refund_queue() -> object:
        from .adapters.sqs_refund_queue import SQSRefundQueue

        return SQSRefundQueue(
            lambda: aws_client(settings, "sqs"), queue_url=settings.refund_queue_url,
            queue_name=settings.refund_queue_name,
        )

    def merchant_mailer() -> object:
        from .adapters.ses_merchant_mailer import SESMerchantMailer

        return SESMerchantMailer(
            lambda: aws_client(settings, "ses"), sender=settings.mail_from, store_name=settings.store_name,
            admin_base_url=settings.public_base_url, merchant_locale=settings.merchant_locale,
        )

    def approval_mailer() -> object:
        from .adapters.ses_approvals import SESApprovalMailer

        return SESApprovalMailer(
            lambda: aws_client(settings, "ses"), sender=settings.mail_from,
            public_base_url=settings.public_base_url, store_name=settings.store_name,
            merchant_locale=settings.merchant_locale,
            configuration_set=settings.ses_configuration_set, status_link=status_link,
        )

    def labels() -> object:
        from .adapters.s3_documents import S3Documents

        return S3Documents(lambda: _s3_client(settings), settings.label_bucket or "")

    factories: dict[str, Callable[[], object]] = {
        "_notifier": shopper_mailer, "_money_notifier": shopper_mailer, "_refund_queue": refund_queue,
        "_merchant_notifier": merchant_mailer, "_approval_mailer": approval_mailer,
    }
    if settings.label_bucket:
        factories["_labels"] = labels
    return factories


@functools.cache
def get_deps() -> Deps:
    """The container-wide Deps, built on first use from the stage's environment."""
    return build_deps(Settings.from_env())
