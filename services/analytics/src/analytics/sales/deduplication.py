"""Which lines of a delivery are new, which are already stored, which are refused. Pure: the stored keys come
in as a value.

A line whose (partner, external_id) is stored with the same content is a duplicate; with other content it is
rejected and the stored line stays as it was (corrections are returns or credit notes). A return or credit
note naming an `original_external_id` needs that line stored, or accepted earlier in the same delivery. Lines
are judged in the order sent, each against what the ones before it left.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from prm_contracts.sales import (
    LineReceipt,
    LineRejection,
    PaymentStatus,
    PaymentUpdate,
    RejectionReason,
    SalesTransaction,
)
from prm_kit.db import ordered_id

from analytics.anomalies.rules import FUTURE_GRACE_DAYS
from analytics.sales.rollups import content_hash


@dataclass(frozen=True)
class StoredKey:
    content_hash: str
    line_id: UUID
    occurred_on: date  # the line's partition on PostgreSQL


@dataclass
class AcceptedLine:
    line: SalesTransaction
    line_id: UUID
    content_hash: str


@dataclass
class LineOutcomes:
    accepted: list[AcceptedLine] = field(default_factory=list)
    duplicate: list[LineReceipt] = field(default_factory=list)
    rejected: list[LineRejection] = field(default_factory=list)


def judge_lines(lines: list[SalesTransaction], stored: Mapping[str, StoredKey]) -> LineOutcomes:
    """Outcomes of `lines` given the partner's `stored` keys (by external_id) among those they name."""
    known = dict(stored)
    outcomes = LineOutcomes()
    for line in lines:
        digest = content_hash(line)
        seen = known.get(line.external_id)
        if seen is not None:
            if seen.content_hash == digest:
                outcomes.duplicate.append(LineReceipt(external_id=line.external_id, line_id=seen.line_id))
            else:
                outcomes.rejected.append(
                    LineRejection(
                        external_id=line.external_id,
                        reason=RejectionReason.content_differs,
                        detail=f"a line with external_id {line.external_id!r} is stored with other content; "
                        "stored lines are never changed: send a return or credit note to correct it",
                    )
                )
            continue
        original = line.original_external_id
        if original is not None and original not in known:
            outcomes.rejected.append(
                LineRejection(
                    external_id=line.external_id,
                    reason=RejectionReason.original_not_found,
                    detail=f"original_external_id {original!r} names no line of this partner stored before or "
                    "sent earlier in this delivery",
                )
            )
            continue
        accepted = AcceptedLine(line=line, line_id=ordered_id(), content_hash=digest)
        outcomes.accepted.append(accepted)
        known[line.external_id] = StoredKey(
            content_hash=digest, line_id=accepted.line_id, occurred_on=line.occurred_on
        )
    return outcomes


@dataclass(frozen=True)
class StoredPayment:
    line_id: UUID
    occurred_on: date
    payment_status: PaymentStatus
    paid_on: date | None


@dataclass
class PaymentOutcomes:
    changed: list[tuple[PaymentUpdate, StoredPayment]] = field(default_factory=list)
    unchanged: list[LineReceipt] = field(default_factory=list)
    rejected: list[LineRejection] = field(default_factory=list)


def judge_payment_updates(
    updates: list[PaymentUpdate], stored: Mapping[str, StoredPayment], *, today: date
) -> PaymentOutcomes:
    """Which updates change a stored line's payment status (the last update of a line in a delivery wins),
    which leave it as it is, and which are refused: those naming no stored line, and those paid more than
    `FUTURE_GRACE_DAYS` after `today` — a mistyped year would move the line out of every paid-basis payout
    for years, and a line already stored cannot be held for review as a new one is (its flag travels with
    `sales.recorded`). `changed` pairs each update with the line as it becomes. A `paid` update without
    `paid_on` keeps the day of a line paid already, else is paid `today` (the day analytics learned it)."""
    current = dict(stored)
    outcomes = PaymentOutcomes()
    latest = today + timedelta(days=FUTURE_GRACE_DAYS)
    for update in updates:
        line = current.get(update.external_id)
        if line is None:
            outcomes.rejected.append(
                LineRejection(
                    external_id=update.external_id,
                    reason=RejectionReason.line_not_found,
                    detail=f"no line with external_id {update.external_id!r} is stored for this partner",
                )
            )
            continue
        if update.paid_on is not None and update.paid_on > latest:
            outcomes.rejected.append(
                LineRejection(
                    external_id=update.external_id,
                    reason=RejectionReason.paid_on_in_future,
                    detail=f"paid_on {update.paid_on} is after {today}, the day (UTC) the update was received: "
                    "a payment is reported once made; the line keeps its payment status",
                )
            )
            continue
        paid_on = _paid_on(update, line, today)
        if line.payment_status == update.payment_status and line.paid_on == paid_on:
            outcomes.unchanged.append(LineReceipt(external_id=update.external_id, line_id=line.line_id))
            continue
        current[update.external_id] = StoredPayment(
            line_id=line.line_id,
            occurred_on=line.occurred_on,
            payment_status=update.payment_status,
            paid_on=paid_on,
        )
        outcomes.changed.append((update, current[update.external_id]))
    return outcomes


def _paid_on(update: PaymentUpdate, line: StoredPayment, today: date) -> date | None:
    if update.payment_status is not PaymentStatus.paid:
        return None
    if update.paid_on is not None:
        return update.paid_on
    return line.paid_on if line.payment_status is PaymentStatus.paid and line.paid_on is not None else today
