"""Sales data as partner systems push it to analytics (signed Standard Webhooks deliveries), the answer they get,
the sales lines as analytics stores them, and the `sales.recorded` / `sales.payment_updated` events.

Sign convention: every amount and quantity of a line is sent and stored **positive** (zero allowed for prices
and amounts, not for quantities); the line's `kind` says which way it counts: a `sale` adds to revenue, a
`return` or `credit_note` takes it away. `amount` must be `quantity * unit_price` rounded to as many decimal
places as `amount` is written with (a discount goes into `unit_price`).

These models are the contract with partner systems and with incentives: add optional fields, never rename or
remove one.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from prm_contracts.dates import IsoDate
from prm_contracts.deal_registrations import CustomerDomain
from prm_contracts.money import Amount, CurrencyCode
from prm_contracts.partners import CountryCode
from prm_contracts.problem import UnprocessableContent
from prm_contracts.text import NOT_BLANK, STRIPPED

SALES_REPORTED = "sales.reported"
SALES_PAYMENT_UPDATED = "sales.payment_updated"
# events analytics emits (outbox)
SALES_RECORDED = "sales.recorded"
SALES_FLAG_REVIEWED = "sales.flag_reviewed"
MAX_LINES_PER_MESSAGE = 1000

ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=200), NOT_BLANK]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100), NOT_BLANK]
Name = Annotated[str, StringConstraints(min_length=1, max_length=300), NOT_BLANK]


# Bounds far above any real line, so that sums over a partner's lines stay exact in every column.
MAX_LINE_AMOUNT = Decimal(10) ** 11
MAX_QUANTITY = Decimal(10) ** 9


def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise PydanticCustomError(
            "amount_negative",
            "must not be negative: amounts are sent positive and the line's kind gives the sign",
        )
    if value >= MAX_LINE_AMOUNT:
        raise PydanticCustomError("amount_too_large", "must be less than 100000000000 (10^11)")
    return value


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise PydanticCustomError("quantity_not_positive", "quantity must be greater than 0")
    if value >= MAX_QUANTITY:
        raise PydanticCustomError("quantity_too_large", "quantity must be less than 1000000000 (10^9)")
    return value


LineAmount = Annotated[Amount, AfterValidator(_not_negative)]
Quantity = Annotated[Amount, AfterValidator(_positive)]


class SalesKind(StrEnum):
    sale = "sale"
    return_ = "return"
    credit_note = "credit_note"

    @property
    def sign(self) -> int:
        """+1 for a sale, -1 for what takes revenue away."""
        return 1 if self is SalesKind.sale else -1


class PaymentStatus(StrEnum):
    invoiced = "invoiced"
    paid = "paid"


class SalesCustomer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    domain: CustomerDomain | None = None
    country: CountryCode | None = None
    external_id: ExternalId | None = Field(
        default=None, description="The customer's id in the partner's system; identifies it across lines."
    )
    # strict: `1`, `"yes"` or `"true"` are not the boolean the document names (pydantic's lax mode took them)
    is_new: StrictBool | None = Field(
        default=None, description="Whether the partner counts this customer as newly won; stored as sent."
    )


class SalesProduct(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: ShortText = Field(examples=["SKU-CLOUD-100"])
    category: ShortText = Field(examples=["cloud-services"])


# Exact for any product of two amounts (15 + 4 digits each); one context, not a `localcontext()` per line.
_EXACT = Context(prec=60)


def amount_matches(quantity: Decimal, unit_price: Decimal, amount: Decimal) -> bool:
    """`amount` is `quantity * unit_price` rounded (half up or half even) to the places `amount` is written
    with."""
    product = _EXACT.multiply(quantity, unit_price)
    if product == amount:  # the common case: no rounding (equal in value, the product fits amount's places)
        return True
    exponent = amount.as_tuple().exponent
    places = Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0)
    return amount in {
        product.quantize(places, ROUND_HALF_UP, _EXACT),
        product.quantize(places, ROUND_HALF_EVEN, _EXACT),
    }


class SalesTransaction(BaseModel):
    """One line of a partner's sales: a sale, a return or a credit note."""

    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId = Field(description="The line's id in the partner's system, unique per partner.")
    kind: SalesKind
    occurred_on: IsoDate
    invoice_id: ExternalId | None = None
    payment_status: PaymentStatus
    paid_on: IsoDate | None = Field(
        default=None,
        description="Only with `paid`: the day it was paid. A line sent `paid` without it is taken as paid on "
        "the day it occurred (a cash sale); a later payment is reported by `sales.payment_updated`.",
    )
    customer: SalesCustomer
    product: SalesProduct
    quantity: Quantity
    unit_price: LineAmount
    amount: LineAmount = Field(description="`quantity * unit_price`, positive whatever the kind.")
    currency: CurrencyCode
    cost: LineAmount | None = Field(
        default=None, description="What the line cost the partner, in `currency`, if known (for margins)."
    )
    deal_registration_id: UUID | None = None
    original_external_id: ExternalId | None = Field(
        default=None,
        description="For a return or credit note: the `external_id` of the sale it reverses (stored earlier, "
        "or earlier in the same message).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SalesTransaction:
        if not amount_matches(self.quantity, self.unit_price, self.amount):
            raise PydanticCustomError(
                "amount_mismatch",
                "amount {amount} is not quantity * unit_price ({quantity} * {unit_price})",
                {
                    "amount": str(self.amount),
                    "quantity": str(self.quantity),
                    "unit_price": str(self.unit_price),
                },
            )
        if self.kind is SalesKind.sale and self.original_external_id is not None:
            raise PydanticCustomError(
                "original_on_sale", "original_external_id is only for returns and credit notes"
            )
        if self.paid_on is not None and self.payment_status is not PaymentStatus.paid:
            raise PydanticCustomError("paid_on_not_paid", "paid_on is only for payment_status paid")
        return self

    @property
    def paid_day(self) -> date | None:
        """The day the line was paid as stored: `paid_on`, else the day it occurred when sent `paid`."""
        if self.payment_status is not PaymentStatus.paid:
            return None
        return self.paid_on or self.occurred_on


class SalesReportedData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transactions: list[SalesTransaction] = Field(min_length=1, max_length=MAX_LINES_PER_MESSAGE)


class SalesReportedMessage(BaseModel):
    """`sales.reported`: up to 1,000 lines."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sales.reported"]
    timestamp: AwareDatetime | None = Field(
        default=None, description="When the sender made the message (Standard Webhooks payload); not used."
    )
    data: SalesReportedData


class PaymentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_id: ExternalId
    payment_status: PaymentStatus
    paid_on: IsoDate | None = Field(
        default=None,
        description="Only with `paid`: the day it was paid; without it, the day analytics received the update. "
        "More than a day after that day (UTC) the update is rejected (`paid_on_in_future`).",
    )

    @model_validator(mode="after")
    def _paid_on_only_when_paid(self) -> PaymentUpdate:
        if self.paid_on is not None and self.payment_status is not PaymentStatus.paid:
            raise PydanticCustomError("paid_on_not_paid", "paid_on is only for payment_status paid")
        return self


class PaymentUpdatedData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    updates: list[PaymentUpdate] = Field(min_length=1, max_length=MAX_LINES_PER_MESSAGE)


class PaymentUpdatedMessage(BaseModel):
    """`sales.payment_updated`: new payment statuses of stored lines; sending the same status again changes
    nothing."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sales.payment_updated"]
    timestamp: AwareDatetime | None = None
    data: PaymentUpdatedData


SalesWebhookMessage = Annotated[SalesReportedMessage | PaymentUpdatedMessage, Field(discriminator="type")]


class LineOutcome(StrEnum):
    accepted = "accepted"
    duplicate = "duplicate"
    rejected = "rejected"


class RejectionReason(StrEnum):
    content_differs = "content_differs"
    original_not_found = "original_not_found"
    line_not_found = "line_not_found"
    paid_on_in_future = "paid_on_in_future"


class LineReceipt(BaseModel):
    """A line stored (or found stored) for this message."""

    external_id: str
    line_id: UUID


class LineRejection(BaseModel):
    external_id: str
    reason: RejectionReason
    detail: str


class WebhookCounts(BaseModel):
    received: int
    accepted: int
    duplicate: int
    rejected: int


class SalesWebhookAnswer(BaseModel):
    """What happened to each line (or payment update) of a delivery. A replay of the same `webhook-id`
    answers this again, unchanged."""

    webhook_id: str
    type: str
    counts: WebhookCounts
    accepted: list[LineReceipt] = Field(description="Stored by this delivery.")
    duplicate: list[LineReceipt] = Field(
        description="Already stored with the same content (or, for payment updates, already in that status)."
    )
    rejected: list[LineRejection] = Field(description="Not stored; each with its reason.")


class SalesLinesRejected(UnprocessableContent):
    """No line of a delivery could be stored and at least one was rejected: nothing was stored, not even the
    receipt, so a corrected retry with the same `webhook-id` is evaluated afresh. The problem carries the
    per-line answer as its `report` member."""

    slug, title = "sales-lines-rejected", "No line of the delivery could be stored"
    members: ClassVar[dict[str, str]] = {
        "report": "The per-line answer (`SalesWebhookAnswer`): counts, and each rejected line with its reason."
    }


class WebhookIdReused(UnprocessableContent):
    """A delivery's `webhook-id` was used before, for another body, by the same partner: a retry must resend
    the same body, and a new message needs a new webhook-id. Nothing was stored."""

    slug, title = "webhook-id-reused", "webhook-id already used for another body"


class FlagCode(StrEnum):
    """The anomaly guard's rules (analytics/anomalies/rules.py states each)."""

    volume_spike = "volume_spike"
    return_without_sale = "return_without_sale"
    repeated_line = "repeated_line"
    own_domain = "own_domain"
    future_dated = "future_dated"
    original_mismatch = "original_mismatch"


class FlagStatus(StrEnum):
    open = "open"
    confirmed = "confirmed"
    dismissed = "dismissed"


class SalesLineFlag(BaseModel):
    """A reason to look at a line before paying on it (filled by the anomaly guard)."""

    code: str = Field(
        description="A `FlagCode`: volume_spike, return_without_sale, repeated_line, own_domain."
    )
    reason: str
    flag_id: UUID | None = Field(
        default=None, description="The flag's id (`/v1/anomaly-flags/{id}`), reviewed there."
    )


class AnomalyFlagOut(BaseModel):
    """A flag on a stored line, open until reviewed as confirmed (the line is wrong) or dismissed."""

    id: UUID
    partner_id: UUID
    line_id: UUID
    line_external_id: str = Field(examples=["INV-2026-0042"])
    line_occurred_on: date
    code: FlagCode
    reason: str
    status: FlagStatus
    review_note: str | None
    reviewed_by: str | None = Field(description="The subject of the credential that reviewed it.")
    reviewed_at: AwareDatetime | None
    version: int = Field(description="Incremented on every change; the ETag is this number in quotes.")
    created_at: AwareDatetime


class FlagReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["confirmed", "dismissed"]
    note: Annotated[str, StringConstraints(max_length=2000), STRIPPED] | None = None


class SalesFlagReviewed(BaseModel):
    """Data of `sales.flag_reviewed`: a flag on a line was confirmed or dismissed (incentives release a held
    line once none of its flags is open or confirmed)."""

    event_type: ClassVar[str] = SALES_FLAG_REVIEWED

    flag_id: UUID
    partner_id: UUID
    line_id: UUID
    line_external_id: str
    line_occurred_on: date
    code: FlagCode
    outcome: Literal["confirmed", "dismissed"]
    reviewed_at: AwareDatetime


class SalesLineOut(BaseModel):
    """A stored sales line."""

    id: UUID
    partner_id: UUID
    external_id: str
    kind: SalesKind
    occurred_on: date
    invoice_id: str | None
    payment_status: PaymentStatus
    paid_on: date | None
    customer: SalesCustomer
    product: SalesProduct
    quantity: Amount
    unit_price: Amount
    amount: Amount
    currency: str
    cost: Amount | None
    deal_registration_id: UUID | None
    original_external_id: str | None
    webhook_id: str = Field(
        description="The delivery that stored the line.", examples=["msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"]
    )
    received_at: AwareDatetime


class RecordedSalesLine(SalesLineOut):
    flags: list[SalesLineFlag] = Field(default_factory=list)


class SalesRecorded(BaseModel):
    """Data of `sales.recorded`: the lines one delivery stored, in the order sent."""

    event_type: ClassVar[str] = SALES_RECORDED

    partner_id: UUID
    webhook_id: str
    lines: list[RecordedSalesLine]


class PaymentStatusChange(BaseModel):
    line_id: UUID
    external_id: str
    occurred_on: date
    payment_status: PaymentStatus
    paid_on: date | None


class SalesPaymentUpdated(BaseModel):
    """Data of `sales.payment_updated`: the lines whose payment status one delivery changed."""

    event_type: ClassVar[str] = SALES_PAYMENT_UPDATED

    partner_id: UUID
    webhook_id: str
    changes: list[PaymentStatusChange]
