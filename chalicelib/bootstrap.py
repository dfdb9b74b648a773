"""The composition root: the only place that reads settings and builds SDK clients."""

from __future__ import annotations

import functools
from datetime import timedelta
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, cast

import boto3.session
from botocore.config import Config

from .adapters.cognito_staff import CognitoStaffDirectory
from .adapters.dynamodb_approvals import DynamoDBApprovalLinks, DynamoDBReturnListings
from .adapters.dynamodb_inbox import DynamoDBInboxIndex
from .adapters.dynamodb_console_sessions import DynamoDBConsoleSessions
from .adapters.dynamodb_csat import DynamoDBCsatStore
from .adapters.dynamodb_exception_digests import DynamoDBExceptionDigests
from .adapters.dynamodb_orders import DynamoDBOrderRepository
from .adapters.dynamodb_payments import DynamoDBPaymentLedger
from .adapters.dynamodb_policy import DynamoDBPolicyRepository
from .adapters.dynamodb_products import DynamoDBProductCatalog
from .adapters.dynamodb_webhooks import DynamoDBWebhooks
from .adapters.dynamodb_rate_counter import DynamoDBRateCounter
from .adapters.dynamodb_return_reports import DynamoDBReturnReports
from .adapters.dynamodb_returns import DynamoDBReturnHistory, DynamoDBReturnRepository
from .adapters.dynamodb_store_credit import DynamoDBStoreCredit
from .adapters.dynamodb_stripe_events import DynamoDBStripeEvents
from .adapters.reportlab_labels import render_label
from .adapters.s3_documents import S3Documents
from .adapters.dynamodb_return_photos import DynamoDBPhotoRecords
from .adapters.s3_photos import S3Photos
from .adapters.secrets_manager import SecretsManagerSecrets
from .adapters.ses_approvals import SESApprovalMailer
from .adapters.ses_mailer import SESMailer
from .adapters.ses_merchant_mailer import SESMerchantMailer
from .adapters.ses_notifiers import SESMerchantNotifier, SESShopperNotifier
from .adapters.signed_tokens import SignedTokens
from .adapters.sqs_refund_queue import SQSRefundQueue
from .adapters.sqs_webhook_queue import SQSWebhookQueue
from .adapters.standard_webhooks_sender import StandardWebhooksSender
from .adapters.stripe_payments import StripeDifferencePayments, StripePayments
from .adapters.system_clock import SystemClock
from .adapters.system_random import SystemRandomBits
from .domain.order import Address
from .domain.send_by import send_by_date
from .services.issue_label import LabelSender
from .services.status_links import status_url
from .settings import Settings

if TYPE_CHECKING:
    from .domain.return_request import ReturnRequest
    from .services.ports.access import RateCounter, TokenSigner
    from .services.ports.approvals import ApprovalLinkStore, ExceptionDigests
    from .services.ports.catalog import ProductCatalog
    from .services.ports.labels import LabelRenderer, LabelStore
    from .services.ports.photos import PhotoRecords, PhotoStorage
    from .services.ports.money import (
        CheckoutPromotions,
        DifferencePayments,
        PaymentGateway,
        PaymentLedger,
        RefundQueue,
        StoreCreditLedger,
        StoredEvents,
    )
    from .services.ports.notifications import MerchantNotifier, ShopperNotifier
    from .services.ports.orders import OrderRepository
    from .services.ports.policy import PolicyRepository
    from .services.ports.inbox import InboxIndex
    from .services.ports.returns import (
        CsatStore,
        CsatSurveyStore,
        ReturnHistory,
        ReturnListings,
        ReturnReports,
        ReturnRepository,
    )
    from .services.ports.staff import ConsoleSessions, StaffDirectory
    from .services.ports.system import Clock, RandomBits
    from .services.ports.webhooks import WebhookSender, WebhookStore

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
    _shopper_notifier: ShopperNotifier | None = field(default=None, repr=False)
    random: RandomBits = field(default_factory=SystemRandomBits)
    # Labels (issue 6): the private bucket of PDFs.
    _labels: LabelStore | None = field(default=None, repr=False)
    # Merchant approvals (issue 8): links, listings by status.
    _approval_links: ApprovalLinkStore | None = field(default=None, repr=False)
    _listings: ReturnListings | None = field(default=None, repr=False)
    # Reporting: returns by the outcome they reached, and the backlog.
    _return_reports: ReturnReports | None = field(default=None, repr=False)
    # The merchant's exception emails per order and day (the first at once, later ones digested).
    _exception_digests: ExceptionDigests | None = field(default=None, repr=False)

    @property
    def approval_links(self) -> ApprovalLinkStore:
        """Stored approval links (by token hash) and reminder marks."""
        return cast("ApprovalLinkStore", self._wired("_approval_links", "approval link store"))

    @property
    def listings(self) -> ReturnListings:
        """Returns by status and by shopper (indexes, never a Scan)."""
        return cast("ReturnListings", self._wired("_listings", "return listing"))

    @property
    def inbox(self) -> InboxIndex:
        """What the console's inbox reads (the listing indexes, never a Scan)."""
        return cast("InboxIndex", self._wired("_inbox", "inbox index"))

    @property
    def return_reports(self) -> ReturnReports:
        """What the returns report reads (the status index, never a Scan)."""
        return cast("ReturnReports", self._wired("_return_reports", "return report reader"))

    @property
    def exception_digests(self) -> ExceptionDigests:
        """Which exception of an order's day is emailed at once, and the digests still due."""
        return cast("ExceptionDigests", self._wired("_exception_digests", "exception digest store"))

    @property
    def public_base_url(self) -> str:
        """Where the stage's pages live: links in emails are absolute from here."""
        return self.settings.public_base_url

    def status_url(self, request: ReturnRequest) -> str:
        """The emails' signed "Follow your return" link (services/status_links.py), signed now."""
        return status_url(self.tokens, request, base_url=self.public_base_url, now=self.clock.now())

    def send_by_date(self, request: ReturnRequest) -> date | None:
        """The emails' "send by" date of `request` under the policy in force (domain/send_by.py),
        read eventually consistent (pattern 11): a policy saved a moment ago may be missed once."""
        return send_by_date(request, self.policies.current(consistent=False))
    # Money back (issue 7).
    _payment_ledger: PaymentLedger | None = field(default=None, repr=False)
    _payments: PaymentGateway | None = field(default=None, repr=False)
    _refund_queue: RefundQueue | None = field(default=None, repr=False)
    _store_credit: StoreCreditLedger | None = field(default=None, repr=False)
    _merchant_notifier: MerchantNotifier | None = field(default=None, repr=False)
    _stripe_events: StoredEvents | None = field(default=None, repr=False)
    # Store credit as Stripe Checkout promotion codes; None for a store not selling through Checkout.
    _checkout_promotions: CheckoutPromotions | None = field(default=None, repr=False)
    _stripe_webhook_secret: str | None = field(default=None, repr=False)
    # The merchant console (issue 17): staff accounts in Cognito, their sessions in the table.
    _staff: StaffDirectory | None = field(default=None, repr=False)
    _console_sessions: ConsoleSessions | None = field(default=None, repr=False)
    # The console's inbox: returns through the listing indexes, with their sort keys.
    _inbox: InboxIndex | None = field(default=None, repr=False)
    # CSAT surveys and answers (wired by the CSAT adapter).
    _csat: CsatStore | None = field(default=None, repr=False)
    # photos: shoppers' photos in the label bucket, and their records beside each return.
    _photo_storage: PhotoStorage | None = field(default=None, repr=False)
    _photo_records: PhotoRecords | None = field(default=None, repr=False)
    # The store's catalog of variants and their stock (exchanges, issue 19).
    _catalog: ProductCatalog | None = field(default=None, repr=False)
    # Exchanges (issue 19):' price differences on Stripe (built from `payments` when unset).
    _difference_payments: DifferencePayments | None = field(default=None, repr=False)
    # Outbound events (endpoints, outbox, delivery log), their queue and their sender.
    _webhooks: WebhookStore | None = field(default=None, repr=False)
    _webhook_queue: SQSWebhookQueue | None = field(default=None, repr=False)
    _webhook_sender: WebhookSender | None = field(default=None, repr=False)
    # The SDK clients the adapters above share (closed before a SnapStart snapshot).
    _aws_clients: tuple[Any, ...] = field(default=(), repr=False)

    def aws_clients(self) -> tuple[Any, ...]:
        """Every AWS SDK client built for these Deps."""
        return self._aws_clients

    def _wired(self, name: str, what: str) -> object:
        """The adapter in field `name`; a Deps built for a narrower test may lack it."""
        adapter = getattr(self, name)
        if adapter is None:
            raise RuntimeError(f"no {what} is wired")
        return adapter

    @property
    def catalog(self) -> ProductCatalog:
        """The store's products, their variants and stock (Variant.stock there: available units)."""
        return cast("ProductCatalog", self._wired("_catalog", "product catalog"))

    @property
    def webhooks(self) -> WebhookStore:
        """Webhook endpoints, the outbox and the delivery log."""
        return cast("WebhookStore", self._wired("_webhooks", "webhook store"))

    @property
    def webhook_queue(self) -> SQSWebhookQueue:
        """The queue of webhook deliveries (the worker's back-off too)."""
        return cast("SQSWebhookQueue", self._wired("_webhook_queue", "webhook queue"))

    @property
    def webhook_sender(self) -> WebhookSender:
        """Signs and POSTs a delivery."""
        if self._webhook_sender is None:
            self._webhook_sender = StandardWebhooksSender()
        return self._webhook_sender

    @property
    def webhooks_local_stage(self) -> bool:
        """The local stage also sends events to http://127.0.0.1:<port> (tests' receivers)."""
        return self.settings.is_local

    @property
    def photo_storage(self) -> PhotoStorage:
        """The private bucket shoppers upload photos to (the label bucket)."""
        return cast("PhotoStorage", self._wired("_photo_storage", "photo bucket"))

    @property
    def photo_records(self) -> PhotoRecords:
        """The photos recorded on each return."""
        return cast("PhotoRecords", self._wired("_photo_records", "photo record store"))

    def photo_origin(self) -> str | None:
        """Where upload forms post and photo links point (the pages' CSP allows it); None unwired."""
        return self._photo_storage.origin() if self._photo_storage is not None else None

    @property
    def staff(self) -> StaffDirectory:
        """The store's staff accounts (the Cognito user pool)."""
        return cast("StaffDirectory", self._wired("_staff", "staff directory"))

    @property
    def csat(self) -> CsatStore:
        """CSAT surveys sent and answers given."""
        return cast("CsatStore", self._wired("_csat", "CSAT store"))

    @property
    def csat_surveys(self) -> CsatSurveyStore:
        """The same store as `csat`, with what the survey job and page write."""
        return cast("CsatSurveyStore", self._wired("_csat", "CSAT store"))

    @property
    def console_sessions(self) -> ConsoleSessions:
        """Signed-in console sessions."""
        return cast("ConsoleSessions", self._wired("_console_sessions", "console session store"))

    @property
    def payment_ledger(self) -> PaymentLedger:
        """Each order's refund ceiling."""
        return cast("PaymentLedger", self._wired("_payment_ledger", "payment ledger"))

    @property
    def payments(self) -> PaymentGateway:
        """Stripe (its key is read on the first call, never at init)."""
        if self._payments is None:
            self._payments = StripePayments(self.stripe_api_key, api_base=self.settings.stripe_api_base)
        return self._payments

    @property
    def difference_payments(self) -> DifferencePayments:
        """PaymentIntents for exchanges' price differences, on the same Stripe client."""
        if self._difference_payments is None:
            self._difference_payments = StripeDifferencePayments(cast("StripePayments", self.payments))
        return self._difference_payments

    @property
    def checkout_promotions(self) -> CheckoutPromotions | None:
        """Stripe promotion codes for store credit, when the store sells through Stripe Checkout."""
        if self._checkout_promotions is None and self.settings.stripe_checkout_credit:
            self._checkout_promotions = cast("StripePayments", self.payments)
        return self._checkout_promotions

    @property
    def refund_queue(self) -> RefundQueue:
        """The queue the refund worker drains."""
        return cast("RefundQueue", self._wired("_refund_queue", "refund queue"))

    @property
    def store_credit(self) -> StoreCreditLedger:
        """Store-credit accounts and their ledgers."""
        return cast("StoreCreditLedger", self._wired("_store_credit", "store-credit ledger"))

    @property
    def merchant_notifier(self) -> MerchantNotifier:
        """Emails to the merchant: exceptions to decide, refunds in trouble."""
        return cast("MerchantNotifier", self._wired("_merchant_notifier", "merchant notifier"))

    @property
    def stripe_events(self) -> StoredEvents:
        """Stripe webhook events already applied."""
        return cast("StoredEvents", self._wired("_stripe_events", "Stripe event store"))

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
        if self._labels is None:
            raise RuntimeError("no label bucket is configured for this stage (RETOUR_LABEL_BUCKET)")
        return self._labels

    @property
    def render_label(self) -> LabelRenderer:
        """The PDF renderer."""
        return render_label

    @property
    def label_sender(self) -> LabelSender:
        """The store's name, warehouse and status page base, as printed on labels."""
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
    def shopper_notifier(self) -> ShopperNotifier:
        """Emails to the shopper: their return, the merchant's decision, their money."""
        return cast("ShopperNotifier", self._wired("_shopper_notifier", "shopper notifier"))

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


# Every AWS call gives up well inside the API function's 20 s: at most 3 attempts of 1 s to
# connect and 3 s to answer, with standard mode's jittered waits (at most 1 s, then 2 s) between.
# Throttling past that reaches the shopper as a 503 `service_busy`, not as a Lambda timeout.
AWS_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=1, read_timeout=3, tcp_keepalive=True,
)


@functools.cache
def _aws_session(region: str, endpoint_url: str | None) -> boto3.session.Session:
    """One boto3 session per container: its loaded service models are shared by every client."""
    if endpoint_url:
        return boto3.session.Session(region_name=region, **_LOCAL_CREDENTIALS)
    # Credentials from botocore's own chain: a SnapStart function gets them from the container
    # endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI), which the chain reads and refreshes.
    return boto3.session.Session(region_name=region)


# The local server (moto behind one lock) answers a crowd of test threads one at a time, so a
# request may wait its turn for seconds: there, only a server that is gone is given up on.
LOCAL_CLIENT_CONFIG = Config(read_timeout=60)


def aws_client(settings: Settings, service: str, *, config: Config | None = None) -> Any:
    """boto3's client for `service`, pointed at the local endpoint on the local stage."""
    merged = AWS_CLIENT_CONFIG.merge(LOCAL_CLIENT_CONFIG) if settings.aws_endpoint_url else AWS_CLIENT_CONFIG
    if config is not None:
        merged = merged.merge(config)
    return _aws_session(settings.region, settings.aws_endpoint_url).client(
        service, endpoint_url=settings.aws_endpoint_url, config=merged)


def dynamodb_client(settings: Settings) -> Any:
    """The table's client: botocore's own (its TransactWriteItems carries a ClientRequestToken,
    so a retried transaction that had committed is answered as done, never as its own conflict)."""
    return aws_client(settings, "dynamodb")


def _s3_client(settings: Settings) -> Any:
    """S3 signing with SigV4: presigned links in every region (SigV2 is refused in newer ones)."""
    return aws_client(settings, "s3", config=Config(signature_version="s3v4"))


def build_deps(settings: Settings) -> Deps:
    """Wire the adapters for `settings`: every client and adapter is built here, once, so a
    SnapStart snapshot holds them all (web/snapstart.py)."""
    dynamodb = dynamodb_client(settings)
    ses = aws_client(settings, "ses")
    sqs = aws_client(settings, "sqs")
    secretsmanager = aws_client(settings, "secretsmanager")
    cognito = aws_client(settings, "cognito-idp")
    table = settings.table_name
    returns = DynamoDBReturnRepository(dynamodb, table)
    deps = Deps(
        settings=settings,
        orders=DynamoDBOrderRepository(dynamodb, table),
        policies=DynamoDBPolicyRepository(dynamodb, table),
        return_history=DynamoDBReturnHistory(dynamodb, table),
        clock=SystemClock(),
        secrets=SecretsManagerSecrets(lambda: secretsmanager),
        _returns=returns,
        _rate_counter=DynamoDBRateCounter(dynamodb, table),
        _payment_ledger=DynamoDBPaymentLedger(dynamodb, table, returns),
        _store_credit=DynamoDBStoreCredit(dynamodb, table, returns),
        _stripe_events=DynamoDBStripeEvents(dynamodb, table),
        _approval_links=DynamoDBApprovalLinks(dynamodb, table),
        _listings=DynamoDBReturnListings(dynamodb, table),
        _return_reports=DynamoDBReturnReports(dynamodb, table),
        _exception_digests=DynamoDBExceptionDigests(dynamodb, table),
        _console_sessions=DynamoDBConsoleSessions(dynamodb, table),
        _staff=CognitoStaffDirectory(lambda: cognito, pool_id=settings.staff_user_pool_id,
                                     client_id=settings.staff_client_id, pool_name=settings.staff_pool_name,
                                     # Only moto makes up new ids on every start; a stage names its own.
                                     find_by_name=settings.is_local),
        _csat=DynamoDBCsatStore(dynamodb, table),
        _inbox=DynamoDBInboxIndex(dynamodb, table),
        _catalog=DynamoDBProductCatalog(dynamodb, table),
        _photo_records=DynamoDBPhotoRecords(dynamodb, table, kept=timedelta(days=settings.photo_retention_days)),
        _refund_queue=SQSRefundQueue(lambda: sqs, queue_url=settings.refund_queue_url,
                                     queue_name=settings.refund_queue_name),
        _webhooks=DynamoDBWebhooks(dynamodb, table),
        _webhook_queue=SQSWebhookQueue(lambda: sqs, queue_url=settings.webhook_queue_url,
                                       queue_name=settings.webhook_queue_name),
    )
    # The mailers sign the emails' status links with the Deps' own signer and clock, read at
    # send time (a test may swap the clock).
    shopper_mailer = SESMailer(
        lambda: ses, sender=settings.mail_from, public_base_url=settings.public_base_url,
        store_name=settings.store_name, status_link=deps.status_url, send_by=deps.send_by_date,
    )
    merchant_mailer = SESMerchantMailer(
        lambda: ses, sender=settings.mail_from, store_name=settings.store_name,
        admin_base_url=settings.public_base_url, merchant_locale=settings.merchant_locale,
    )
    approval_mailer = SESApprovalMailer(
        lambda: ses, sender=settings.mail_from, public_base_url=settings.public_base_url,
        store_name=settings.store_name, merchant_locale=settings.merchant_locale,
        configuration_set=settings.ses_configuration_set, status_link=deps.status_url,
        send_by=deps.send_by_date,
    )
    # One notifier per recipient; each email is still written by the mailer that owns it.
    deps._shopper_notifier = SESShopperNotifier(shopper_mailer, approval_mailer)
    deps._merchant_notifier = SESMerchantNotifier(merchant_mailer, approval_mailer)
    deps._payments = StripePayments(deps.stripe_api_key, api_base=settings.stripe_api_base)
    deps._aws_clients = (dynamodb, ses, sqs, secretsmanager, cognito)
    if settings.label_bucket:
        s3 = _s3_client(settings)
        deps._labels = S3Documents(lambda: s3, settings.label_bucket)
        deps._photo_storage = S3Photos(lambda: s3, settings.label_bucket)
        deps._aws_clients += (s3,)
    return deps


@functools.cache
def get_deps() -> Deps:
    """The container-wide Deps, built on first use from the stage's environment."""
    return build_deps(Settings.from_env())
