"""Recording verified deliveries with exactly-once effect, and reading the stored lines.

A delivery is stored whole or not at all, in the request's one transaction: its new lines and their keys,
the rollups, the outbox event and the receipt that answers a repeat of its `webhook-id`. The receipt keeps
the answer, so the same `webhook-id` again (a sender's retry) gets the same status and body and changes
nothing; the same `webhook-id` with another body is refused (422), as a reused Idempotency-Key is. When no
line could be stored and at least one was rejected, the answer is a 422 problem with the per-line report and
nothing is kept, not even the receipt: a corrected retry is judged afresh.

Two deliveries racing (the same `webhook-id`, or lines with the same external_id) meet at a primary key: the
loser's transaction is rolled back and the delivery judged once more, now seeing what the winner stored (a
replay, or duplicates). Should it lose again, it is a 409 with Retry-After, and nothing was stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from prm_contracts.kpis import KPI_UPDATED
from prm_contracts.pagination import Page
from prm_contracts.principal import Principal
from prm_contracts.problem import (
    BadRequest,
    Conflict,
    NotFound,
    UnprocessableContent,
    ValidationIssue,
)
from prm_contracts.sales import (
    SALES_PAYMENT_UPDATED,
    SALES_RECORDED,
    LineReceipt,
    PaymentStatusChange,
    PaymentUpdatedMessage,
    SalesKind,
    SalesLineOut,
    SalesLinesRejected,
    SalesPaymentUpdated,
    SalesReportedMessage,
    SalesWebhookAnswer,
    SalesWebhookMessage,
    WebhookCounts,
    WebhookIdReused,
)
from prm_kit.db.core import is_postgresql
from prm_kit.db.states import is_lost_race
from prm_kit.errors import summarise, validation_issues
from prm_kit.outbox import add_event, outbox_row
from prm_kit.pagination import keyset_cursor, keyset_position, page_of
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.anomalies import service as anomalies
from analytics.anomalies.rules import GuardedLine, history_wanted, raised_flags
from analytics.kpis import repository as kpi_rollups
from analytics.kpis.updates import kpi_updates, record_sales_for_kpis
from analytics.sales import delivery_statements, repository
from analytics.sales.deduplication import LineOutcomes, judge_lines, judge_payment_updates
from analytics.sales.delivery_statements import DeliveryReads, Receipt, ReceiptRow
from analytics.sales.rollups import (
    customer_key,
    customer_rollup_rows,
    daily_rollup_rows,
    monthly_rollup_rows,
)
from analytics.sales.schemas import key_row, line_out, line_row, recorded_line

EVENT_SOURCE = "analytics"
LINE_ORDER = "-occurred_on"
_MESSAGE: TypeAdapter[SalesReportedMessage | PaymentUpdatedMessage] = TypeAdapter(SalesWebhookMessage)


@dataclass(frozen=True)
class DeliveryAnswer:
    status_code: int
    body: str
    replayed: bool


def parse_message(body: bytes) -> SalesReportedMessage | PaymentUpdatedMessage:
    """The message, or 400 (not JSON) / 422 (not a valid message; `loc` names the line and field)."""
    try:
        message: SalesReportedMessage | PaymentUpdatedMessage = _MESSAGE.validate_json(body)
    except ValidationError as exc:
        issues = [_located(issue) for issue in validation_issues(exc.errors())]
        if any(issue.type == "json_invalid" for issue in issues):
            raise BadRequest(f"the body is not JSON: {summarise(issues)}", errors=issues) from None
        raise UnprocessableContent(summarise(issues), errors=issues) from None
    return message


def _located(issue: ValidationIssue) -> ValidationIssue:
    """Locations under `body`, as for any request body; the union's tag (`sales.reported`) left out."""
    loc = list(issue.loc)
    if issue.type in {"union_tag_invalid", "union_tag_not_found"}:
        return ValidationIssue(
            loc=["body", "type"],
            msg="type must be sales.reported or sales.payment_updated",
            type=issue.type,
        )
    if loc and loc[0] in {"sales.reported", "sales.payment_updated"}:
        loc = loc[1:]
    return ValidationIssue(loc=["body", *loc], msg=issue.msg, type=issue.type)


async def record_delivery(
    session: AsyncSession, *, partner_id: UUID, webhook_id: str, body: bytes, now: datetime
) -> DeliveryAnswer:
    """The answer to a verified delivery, its effect stored in the session's transaction."""
    for attempt in range(2):
        try:
            return await _record_once(
                session, partner_id=partner_id, webhook_id=webhook_id, body=body, now=now
            )
        except (IntegrityError, DBAPIError) as exc:
            if not is_lost_race(exc):
                raise
            await session.rollback()
            if attempt == 1:
                raise Conflict(
                    "a concurrent delivery stored the same lines or webhook-id meanwhile; nothing of this "
                    "one was stored: retry it",
                    headers={"Retry-After": "1"},
                ) from exc
    raise AssertionError("unreachable")


async def _record_once(
    session: AsyncSession, *, partner_id: UUID, webhook_id: str, body: bytes, now: datetime
) -> DeliveryAnswer:
    body_sha256 = hashlib.sha256(body).hexdigest()
    try:
        message = parse_message(body)
    except (BadRequest, UnprocessableContent):
        # parsed before the receipt is read (a valid delivery reads it with the rest, in one statement), yet
        # a webhook-id used before with another body is refused as that, whatever this body is
        found = await repository.receipt_of(session, partner_id, webhook_id)
        if found is not None:
            return _replayed(Receipt(*found), body_sha256=body_sha256, webhook_id=webhook_id)
        raise
    if isinstance(message, SalesReportedMessage):
        return await _record_sales(
            session, message, partner_id=partner_id, webhook_id=webhook_id, body_sha256=body_sha256, now=now
        )
    found = await repository.receipt_of(session, partner_id, webhook_id)
    if found is not None:
        return _replayed(Receipt(*found), body_sha256=body_sha256, webhook_id=webhook_id)
    answer = await _record_payments(
        session, message, partner_id=partner_id, webhook_id=webhook_id, today=now.astimezone(UTC).date()
    )
    _refuse_when_nothing_stored(answer)
    content = answer.model_dump_json()
    await repository.add_receipt(
        session,
        {
            "partner_id": partner_id,
            "webhook_id": webhook_id,
            "body_sha256": body_sha256,
            "message_type": message.type,
            "status_code": 200,
            "response_body": content,
            "received_at": now,
        },
    )
    return DeliveryAnswer(status_code=200, body=content, replayed=False)


def _replayed(receipt: Receipt, *, body_sha256: str, webhook_id: str) -> DeliveryAnswer:
    """The first answer again, or 422 when the webhook-id came with another body."""
    if receipt.body_sha256 != body_sha256:
        raise WebhookIdReused(
            f"webhook-id {webhook_id!r} was delivered before with another body; a retry must resend the "
            "same body, and a new message needs a new webhook-id",
            errors=[
                ValidationIssue(
                    loc=["header", "webhook-id"],
                    msg="already used with a different body",
                    type="webhook_id_reused",
                )
            ],
        )
    return DeliveryAnswer(status_code=receipt.status_code, body=receipt.response_body, replayed=True)


def _refuse_when_nothing_stored(answer: SalesWebhookAnswer) -> None:
    if answer.counts.accepted == 0 and answer.counts.rejected > 0:
        raise SalesLinesRejected(
            f"none of the {answer.counts.received} lines could be stored ({answer.counts.rejected} rejected); "
            "nothing was stored: see `report` for each line's reason",
            report=answer.model_dump(mode="json"),
        )


async def _record_sales(
    session: AsyncSession,
    message: SalesReportedMessage,
    *,
    partner_id: UUID,
    webhook_id: str,
    body_sha256: str,
    now: datetime,
) -> DeliveryAnswer:
    reads = await _delivery_reads(session, message, partner_id=partner_id, webhook_id=webhook_id)
    if reads.receipt is not None:
        return _replayed(reads.receipt, body_sha256=body_sha256, webhook_id=webhook_id)
    outcomes = judge_lines(message.data.transactions, reads.stored)
    answer = _answer(message, outcomes, webhook_id=webhook_id)
    _refuse_when_nothing_stored(answer)
    content = answer.model_dump_json()
    receipt = ReceiptRow(body_sha256=body_sha256, message_type=message.type, response_body=content)
    await _store_sales(
        session, outcomes, reads, partner_id=partner_id, webhook_id=webhook_id, now=now, receipt=receipt
    )
    return DeliveryAnswer(status_code=200, body=content, replayed=False)


async def record_sales_batch(
    session: AsyncSession, message: SalesReportedMessage, *, partner_id: UUID, batch_id: str, now: datetime
) -> SalesWebhookAnswer:
    """Lines that came other than by webhook (a chunk of a CSV import, analytics.sales_imports), stored as a
    delivery's are — de-duplication, rollups, `sales.recorded` — with `batch_id` as their webhook-id. No
    receipt and no 422 when every line is rejected: the caller reports, and commits, itself."""
    reads = await _delivery_reads(session, message, partner_id=partner_id, webhook_id=None)
    outcomes = judge_lines(message.data.transactions, reads.stored)
    await _store_sales(
        session, outcomes, reads, partner_id=partner_id, webhook_id=batch_id, now=now, receipt=None
    )
    return _answer(message, outcomes, webhook_id=batch_id)


def _answer(message: SalesReportedMessage, outcomes: LineOutcomes, *, webhook_id: str) -> SalesWebhookAnswer:
    return SalesWebhookAnswer(
        webhook_id=webhook_id,
        type=message.type,
        counts=WebhookCounts(
            received=len(message.data.transactions),
            accepted=len(outcomes.accepted),
            duplicate=len(outcomes.duplicate),
            rejected=len(outcomes.rejected),
        ),
        accepted=[
            LineReceipt.model_construct(external_id=a.line.external_id, line_id=a.line_id)
            for a in outcomes.accepted
        ],
        duplicate=outcomes.duplicate,
        rejected=outcomes.rejected,
    )


async def _delivery_reads(
    session: AsyncSession, message: SalesReportedMessage, *, partner_id: UUID, webhook_id: str | None
) -> DeliveryReads:
    """The receipt (`webhook_id` None: none looked for), the stored keys of the external ids the lines name
    and, on PostgreSQL, the anomaly guard's history, all in one statement. SQLite reads them one by one, and
    the history only once lines are accepted (`_store_sales`)."""
    lines = message.data.transactions
    named = {line.external_id for line in lines} | {
        line.original_external_id for line in lines if line.original_external_id is not None
    }
    if is_postgresql(session):
        wanted = history_wanted([(line, customer_key(line)) for line in lines])
        return await delivery_statements.read(
            session, partner_id, webhook_id=webhook_id, external_ids=sorted(named), wanted=wanted
        )
    found = None if webhook_id is None else await repository.receipt_of(session, partner_id, webhook_id)
    return DeliveryReads(
        receipt=None if found is None else Receipt(*found),
        stored=await repository.stored_keys(session, partner_id, named),
        history=None,
    )


async def _store_sales(
    session: AsyncSession,
    outcomes: LineOutcomes,
    reads: DeliveryReads,
    *,
    partner_id: UUID,
    webhook_id: str,
    now: datetime,
    receipt: ReceiptRow | None,
) -> None:
    """The accepted lines with their keys, rollups, flags and events, and the receipt: one statement on
    PostgreSQL, one per table on SQLite."""
    if not outcomes.accepted:
        if receipt is not None:
            await repository.add_receipt(session, _receipt_row(receipt, partner_id, webhook_id, now))
        return
    guarded = [
        GuardedLine(line_id=accepted.line_id, line=accepted.line, customer_key=customer_key(accepted.line))
        for accepted in outcomes.accepted
    ]
    history = reads.history
    if history is None:
        history = await anomalies.read_history(
            session, partner_id, history_wanted([(g.line, g.customer_key) for g in guarded])
        )
    originals = {
        name: reads.stored[name]
        for g in guarded
        if g.line.kind is not SalesKind.sale and (name := g.line.original_external_id) in reads.stored
    }
    history = await anomalies.with_originals(session, partner_id, history, originals)
    raised = raised_flags(guarded, history, received_on=now.astimezone(UTC).date())
    flags, carried = anomalies.flag_rows(partner_id, guarded, raised, now=now)
    rows = [
        line_row(accepted, partner_id=partner_id, webhook_id=webhook_id, received_at=now)
        for accepted in outcomes.accepted
    ]
    recorded = {
        "partner_id": partner_id,
        "webhook_id": webhook_id,
        "lines": [recorded_line(row, carried.get(row["id"], ())) for row in rows],
    }
    new_lines = [accepted.line for accepted in outcomes.accepted]
    if is_postgresql(session):
        events = [
            outbox_row(type=KPI_UPDATED, source=EVENT_SOURCE, data=update)
            for update in kpi_updates(partner_id, new_lines)
        ] + [outbox_row(type=SALES_RECORDED, source=EVENT_SOURCE, data=recorded)]
        await delivery_statements.write(
            session,
            partner_id,
            webhook_id=webhook_id,
            received_at=now,
            lines=[
                row | {"content_hash": accepted.content_hash}
                for row, accepted in zip(rows, outcomes.accepted, strict=True)
            ],
            flags=flags,
            events=events,
            receipt=receipt,
        )
        return
    await repository.add_lines(
        session, rows, [key_row(accepted, partner_id=partner_id) for accepted in outcomes.accepted]
    )
    daily = daily_rollup_rows(partner_id, new_lines)
    await repository.add_to_daily_rollups(session, daily)
    await kpi_rollups.add_to_monthly_rollups(session, monthly_rollup_rows(daily))
    await repository.add_to_customer_rollups(session, customer_rollup_rows(partner_id, new_lines))
    await record_sales_for_kpis(session, partner_id, new_lines)
    await anomalies.add_flags(session, flags)
    await add_event(session, type=SALES_RECORDED, source=EVENT_SOURCE, data=recorded)
    if receipt is not None:
        await repository.add_receipt(session, _receipt_row(receipt, partner_id, webhook_id, now))


def _receipt_row(receipt: ReceiptRow, partner_id: UUID, webhook_id: str, now: datetime) -> dict[str, Any]:
    return {
        "partner_id": partner_id,
        "webhook_id": webhook_id,
        "body_sha256": receipt.body_sha256,
        "message_type": receipt.message_type,
        "status_code": 200,
        "response_body": receipt.response_body,
        "received_at": now,
    }


async def _record_payments(
    session: AsyncSession,
    message: PaymentUpdatedMessage,
    *,
    partner_id: UUID,
    webhook_id: str,
    today: date,
) -> SalesWebhookAnswer:
    updates = message.data.updates
    stored = await repository.stored_payments(session, partner_id, [update.external_id for update in updates])
    outcomes = judge_payment_updates(updates, stored, today=today)
    changes = [
        PaymentStatusChange(
            line_id=line.line_id,
            external_id=update.external_id,
            occurred_on=line.occurred_on,
            payment_status=line.payment_status,
            paid_on=line.paid_on,
        )
        for update, line in outcomes.changed
    ]
    if changes:
        await repository.set_payment_statuses(
            session,
            [
                {
                    "line_id": change.line_id,
                    "occurred_on": change.occurred_on,
                    "payment_status": change.payment_status.value,
                    "paid_on": change.paid_on,
                }
                for change in changes
            ],
        )
        await add_event(
            session,
            type=SALES_PAYMENT_UPDATED,
            source=EVENT_SOURCE,
            data=SalesPaymentUpdated(partner_id=partner_id, webhook_id=webhook_id, changes=changes),
        )
    return SalesWebhookAnswer(
        webhook_id=webhook_id,
        type=message.type,
        counts=WebhookCounts(
            received=len(updates),
            accepted=len(changes),
            duplicate=len(outcomes.unchanged),
            rejected=len(outcomes.rejected),
        ),
        accepted=[LineReceipt(external_id=c.external_id, line_id=c.line_id) for c in changes],
        duplicate=outcomes.unchanged,
        rejected=outcomes.rejected,
    )


async def list_lines(
    session: AsyncSession,
    *,
    viewer: Principal,
    partner_id: UUID | None,
    from_on: date | None,
    to_on: date | None,
    kind: str | None,
    product_category: str | None,
    limit: int,
    cursor: str | None,
) -> Page[SalesLineOut]:
    """Lines, latest first; a partner's own credential sees its own lines only."""
    if from_on is not None and to_on is not None and from_on > to_on:
        raise UnprocessableContent(
            f"from ({from_on}) is after to ({to_on})",
            errors=[ValidationIssue(loc=["query", "from"], msg="must not be after `to`", type="date_range")],
        )
    after = keyset_position(cursor, LINE_ORDER, date)
    rows = await repository.line_page(
        session,
        partner_id=viewer.partner_scope(partner_id),
        from_on=from_on,
        to_on=to_on,
        kind=kind,
        product_category=product_category,
        after=after,
        limit=limit + 1,
    )
    return page_of(
        rows, limit, out=line_out, cursor_of=lambda r: keyset_cursor(LINE_ORDER, r.occurred_on, r.id)
    )


async def visible_line(session: AsyncSession, line_id: UUID, *, viewer: Principal) -> SalesLineOut:
    """The line; 404 when there is none or it is another partner's (whose existence is not revealed)."""
    line = await repository.line_by_id(session, line_id)
    if line is None or (viewer.partner_id is not None and line.partner_id != viewer.partner_id):
        raise NotFound(f"no sales line {line_id}")
    return line_out(line)
