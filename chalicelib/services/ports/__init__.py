"""The ports use cases talk through: Protocols the adapters implement, one module per area.

Imported here under their own names only until the callers import them from their area
(and the value objects from domain/)."""

from __future__ import annotations

from .system import Clock as Clock
from .system import RandomBits as RandomBits
from .orders import OrderRepository as OrderRepository
from .policy import PolicyRepository as PolicyRepository
from .returns import ReturnHistory as ReturnHistory
from .returns import ReturnRepository as ReturnRepository
from .returns import ReturnsPage as ReturnsPage
from .returns import ReturnListings as ReturnListings
from .returns import ReturnReports as ReturnReports
from .access import TokenSigner as TokenSigner
from .access import RateCounter as RateCounter
from .labels import LabelStore as LabelStore
from .labels import LabelRenderer as LabelRenderer
from .money import PaymentGateway as PaymentGateway
from .money import PaymentLedger as PaymentLedger
from .money import RefundQueue as RefundQueue
from .money import StoreCreditLedger as StoreCreditLedger
from .money import StoredEvents as StoredEvents
from .approvals import ApprovalLinkStore as ApprovalLinkStore
from .approvals import ExceptionDigests as ExceptionDigests
from .notifications import ShopperNotifier as ShopperNotifier
from .notifications import MerchantNotifier as MerchantNotifier
from .notifications import MoneyNotifier as MoneyNotifier
from .notifications import ApprovalNotifier as ApprovalNotifier
from .notifications import DecisionNotifier as DecisionNotifier
from ...domain.approvals import ACTIONS as ACTIONS
from ...domain.approvals import APPROVE as APPROVE
from ...domain.approvals import APPROVE_FEE as APPROVE_FEE
from ...domain.approvals import APPROVE_STORE_CREDIT as APPROVE_STORE_CREDIT
from ...domain.approvals import REJECT as REJECT
from ...domain.approvals import ApprovalLink as ApprovalLink
from ...domain.approvals import ApprovalRequest as ApprovalRequest
from ...domain.approvals import ExceptionDigest as ExceptionDigest
from ...domain.approvals import LineException as LineException
from ...domain.refunds import GatewayRefund as GatewayRefund
from ...domain.refunds import PaymentLedgerState as PaymentLedgerState
from ...domain.reservations import ReturnedUnits as ReturnedUnits
from ...domain.return_limits import CreationLimits as CreationLimits
from ...domain.return_limits import CustomerCapReachedError as CustomerCapReachedError
from ...domain.return_limits import OrderDayLimitReachedError as OrderDayLimitReachedError
