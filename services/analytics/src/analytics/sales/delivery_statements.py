"""A delivery on PostgreSQL: everything it reads in one statement, everything it writes in another.

Each statement costs a round trip to the server, and a round trip costs more than the work of a small
delivery (measured in-process: about 14 statements and 21 round trips per delivery, whatever its size). So
the reads — the receipt of the webhook-id, the stored keys of the external ids named, and what the anomaly
guard compares with — are one UNION ALL, and the writes — keys, lines, the four rollups, flags, outbox events
and the receipt — one INSERT with data-modifying CTEs. Both are fixed texts with array parameters: prepared
once per connection; the values travel as arrays, the lines as one JSON document (no SQL rendering or bind
processing per value).

Plans stay good whatever the tables held when a statement was prepared (a generic plan is made once with
the statistics of that moment, see prm_kit/db/in_lists.py): the key and customer lookups are LATERAL probes
per wanted value, a nested loop of index scans on the equality of the lookup's whole key, which no estimate
beats. The stored sales of the delivery's days are read by `occurred_on = ANY(days)` on the partitioned
`sales_line`, which PostgreSQL keeps planning afresh with the values (the plan pruned to the days' partitions
is far cheaper than a generic one over every partition): under a millisecond, where a LATERAL probe per day
kept every partition in the plan and took 30-70 ms to plan on each delivery (measured on a loaded machine).

The writes keep the guarantees of the portable path (repository.py): the key insert runs first (every other
insert waits for the count of inserted keys), sorted by external_id, so two deliveries racing for an external
id meet at its key and the loser's statement fails there as a whole; the rollups are aggregated from the
lines by the statement itself, each row once, in key order, so concurrent writers lock rows in one order.
The rollups' arithmetic is the same as sales/rollups.py and kpis/rollups.py (tests/sales/test_rollups.py
checks both backends against the stored lines).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast
from uuid import UUID

from pydantic_core import to_json
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.anomalies.rules import History, HistoryWanted, RepeatKey
from analytics.sales.deduplication import StoredKey

_SIGNED_AMOUNT = "CASE WHEN kind = 'sale' THEN amount ELSE -amount END"
_SIGNED_COST = "CASE WHEN kind = 'sale' THEN cost ELSE -cost END"
# the sums of sales_daily_rollup and sales_monthly_rollup (sales/rollups.py DailyTotals), in column order
_SALES_SUMS = {
    "gross_amount": "coalesce(sum(amount) FILTER (WHERE kind = 'sale'), 0)",
    "returns_amount": "coalesce(sum(amount) FILTER (WHERE kind <> 'sale'), 0)",
    "costed_amount": f"coalesce(sum({_SIGNED_AMOUNT}) FILTER (WHERE cost IS NOT NULL), 0)",
    "cost_amount": f"coalesce(sum({_SIGNED_COST}) FILTER (WHERE cost IS NOT NULL), 0)",
    "sold_quantity": "coalesce(sum(quantity) FILTER (WHERE kind = 'sale'), 0)",
    "returned_quantity": "coalesce(sum(quantity) FILTER (WHERE kind <> 'sale'), 0)",
    "line_count": "count(*)",
    "sale_line_count": "count(*) FILTER (WHERE kind = 'sale')",
    "return_line_count": "count(*) FILTER (WHERE kind <> 'sale')",
    "costed_line_count": "count(*) FILTER (WHERE cost IS NOT NULL)",
}
_MONTHLY_SUMS = {k: v for k, v in _SALES_SUMS.items() if not k.endswith("_quantity")}


def _added(sums: dict[str, str]) -> str:
    return ", ".join(f"{name} = r.{name} + EXCLUDED.{name}" for name in sums)


READ = """
SELECT 1 AS part, k.external_id AS text_1, k.content_hash AS text_2, k.occurred_on AS day, NULL::numeric AS number,
       k.line_id AS line_id
FROM unnest($2::text[]) AS wanted (external_id)
CROSS JOIN LATERAL (
    SELECT external_id, content_hash, line_id, occurred_on FROM sales_line_key
    WHERE partner_id = $1 AND external_id = wanted.external_id LIMIT 1
) AS k
UNION ALL
SELECT 2, currency, NULL, day, sum(gross_amount), NULL FROM sales_daily_rollup
WHERE partner_id = $1 AND day BETWEEN $3 AND $4
GROUP BY currency, day
UNION ALL
SELECT 3, customer_key, currency, occurred_on, amount, NULL FROM sales_line
WHERE partner_id = $1 AND occurred_on = ANY ($5::date[]) AND kind = 'sale' AND customer_key = ANY ($6::text[])
UNION ALL
SELECT 4, c.customer_key, NULL, NULL, NULL, NULL
FROM unnest($7::text[]) AS wanted_customer (customer_key)
CROSS JOIN LATERAL (
    SELECT customer_key FROM sales_customer_month_rollup
    WHERE partner_id = $1 AND customer_key = wanted_customer.customer_key AND sale_line_count > 0 LIMIT 1
) AS c
UNION ALL
SELECT 5, website_domain, NULL, NULL, NULL, NULL FROM partner_dimension WHERE partner_id = $1
UNION ALL
SELECT 6, body_sha256, response_body, NULL, status_code, NULL FROM sales_webhook_receipt
WHERE partner_id = $1 AND webhook_id = $8
"""

_KEYS_FIRST = "(SELECT n FROM keys_first) >= 0"

WRITE = f"""
WITH line AS MATERIALIZED (
    SELECT * FROM ROWS FROM (json_to_recordset($4::json) AS (
        id uuid, occurred_on date, external_id text, kind text, invoice_id text, payment_status text,
        paid_on date, customer_key text, customer_name text, customer_domain text, customer_country text,
        customer_external_id text, customer_is_new boolean, product_sku text, product_category text,
        quantity numeric, unit_price numeric, amount numeric, currency text, cost numeric,
        deal_registration_id uuid, original_external_id text, content_hash text
    )) WITH ORDINALITY AS l (
        id, occurred_on, external_id, kind, invoice_id, payment_status, paid_on, customer_key, customer_name,
        customer_domain, customer_country, customer_external_id, customer_is_new, product_sku,
        product_category, quantity, unit_price, amount, currency, cost, deal_registration_id,
        original_external_id, content_hash, position
    )
),
new_key AS (
    INSERT INTO sales_line_key (partner_id, external_id, content_hash, line_id, occurred_on)
    SELECT $1, external_id, content_hash, id, occurred_on FROM line ORDER BY external_id
    RETURNING 1
),
keys_first AS (SELECT count(*) AS n FROM new_key),
new_line AS (
    INSERT INTO sales_line (
        id, occurred_on, partner_id, external_id, kind, invoice_id, payment_status, paid_on, customer_key,
        customer_name, customer_domain, customer_country, customer_external_id, customer_is_new, product_sku,
        product_category, quantity, unit_price, amount, currency, cost, deal_registration_id,
        original_external_id, webhook_id, received_at
    )
    SELECT id, occurred_on, $1, external_id, kind, invoice_id, payment_status, paid_on, customer_key,
        customer_name, customer_domain, customer_country, customer_external_id, customer_is_new, product_sku,
        product_category, quantity, unit_price, amount, currency, cost, deal_registration_id,
        original_external_id, $2, $3
    FROM line WHERE {_KEYS_FIRST} ORDER BY position
),
daily AS (
    INSERT INTO sales_daily_rollup AS r (partner_id, day, product_category, currency, {", ".join(_SALES_SUMS)})
    SELECT $1, occurred_on, product_category, currency, {", ".join(_SALES_SUMS.values())}
    FROM line WHERE {_KEYS_FIRST}
    GROUP BY occurred_on, product_category, currency ORDER BY occurred_on, product_category, currency
    ON CONFLICT (partner_id, day, product_category, currency) DO UPDATE SET {_added(_SALES_SUMS)}
),
monthly AS (
    INSERT INTO sales_monthly_rollup AS r (partner_id, month, currency, {", ".join(_MONTHLY_SUMS)})
    SELECT $1, date_trunc('month', occurred_on)::date, currency, {", ".join(_MONTHLY_SUMS.values())}
    FROM line WHERE {_KEYS_FIRST}
    GROUP BY 2, 3 ORDER BY 2, 3
    ON CONFLICT (partner_id, month, currency) DO UPDATE SET {_added(_MONTHLY_SUMS)}
),
customer AS (
    INSERT INTO sales_customer_rollup AS r (
        partner_id, customer_key, currency, customer_name, first_on, last_on, net_amount, line_count, is_new
    )
    SELECT $1, customer_key, currency, (array_agg(customer_name ORDER BY position))[1], min(occurred_on),
        max(occurred_on), sum({_SIGNED_AMOUNT}), count(*), bool_or(customer_is_new)
    FROM line WHERE {_KEYS_FIRST}
    GROUP BY customer_key, currency ORDER BY customer_key, currency
    ON CONFLICT (partner_id, customer_key, currency) DO UPDATE SET
        first_on = least(r.first_on, EXCLUDED.first_on),
        last_on = greatest(r.last_on, EXCLUDED.last_on),
        net_amount = r.net_amount + EXCLUDED.net_amount,
        line_count = r.line_count + EXCLUDED.line_count,
        is_new = CASE WHEN r.is_new IS NULL THEN EXCLUDED.is_new WHEN EXCLUDED.is_new IS NULL THEN r.is_new
                      ELSE r.is_new OR EXCLUDED.is_new END
),
customer_month AS (
    INSERT INTO sales_customer_month_rollup AS r (partner_id, month, customer_key, sale_line_count, line_count)
    SELECT $1, date_trunc('month', occurred_on)::date, customer_key, count(*) FILTER (WHERE kind = 'sale'),
        count(*)
    FROM line WHERE {_KEYS_FIRST}
    GROUP BY 2, 3 ORDER BY 2, 3
    ON CONFLICT (partner_id, month, customer_key) DO UPDATE SET
        sale_line_count = r.sale_line_count + EXCLUDED.sale_line_count,
        line_count = r.line_count + EXCLUDED.line_count
),
flag AS (
    INSERT INTO anomaly_flag (
        id, partner_id, line_id, line_external_id, line_occurred_on, code, reason, status, review_note,
        reviewed_by, reviewed_at, version, created_at, updated_at
    )
    SELECT f.id, $1, f.line_id, f.external_id, f.occurred_on, f.code, f.reason, 'open', NULL, NULL, NULL, 1,
        $3, $3
    FROM unnest($5::uuid[], $6::uuid[], $7::text[], $8::date[], $9::text[], $10::text[])
        AS f (id, line_id, external_id, occurred_on, code, reason)
    WHERE {_KEYS_FIRST}
),
event AS (
    INSERT INTO outbox_event (id, type, occurred_at, payload, attempts, next_attempt_at)
    SELECT e.id, e.type, e.occurred_at, e.payload::json, 0, e.occurred_at
    FROM unnest($11::uuid[], $12::text[], $13::timestamptz[], $14::text[]) AS e (id, type, occurred_at, payload)
    WHERE {_KEYS_FIRST}
),
receipt AS (
    INSERT INTO sales_webhook_receipt (
        partner_id, webhook_id, body_sha256, message_type, status_code, response_body, received_at
    )
    SELECT $1, $2, $15::text, $16::text, 200, $17::text, $3 WHERE $15::text IS NOT NULL AND {_KEYS_FIRST}
)
SELECT n FROM keys_first
"""  # noqa: S608 - made of this module's constants only; values travel as parameters


@dataclass(frozen=True)
class Receipt:
    body_sha256: str
    status_code: int
    response_body: str


@dataclass(frozen=True)
class DeliveryReads:
    """What a delivery is judged against: the receipt of its webhook-id, the stored keys among the external
    ids it names, and the history the anomaly guard compares its lines with (None: not read yet)."""

    receipt: Receipt | None
    stored: dict[str, StoredKey]
    history: History | None


async def read(
    session: AsyncSession,
    partner_id: UUID,
    *,
    webhook_id: str | None,
    external_ids: Sequence[str],
    wanted: HistoryWanted,
) -> DeliveryReads:
    """`webhook_id` None: no receipt is looked for (lines that did not come by webhook)."""
    days = sorted({day for _, day in wanted.sales_keys})
    customers = sorted({key for key, _ in wanted.sales_keys})
    connection = await session.connection()
    result = await connection.exec_driver_sql(
        READ,
        (
            partner_id,
            sorted(set(external_ids)),
            wanted.first,
            wanted.last,
            days,
            customers,
            sorted(set(wanted.unmatched)),
            webhook_id,
        ),
    )
    receipt = None
    stored: dict[str, StoredKey] = {}
    daily_sales: dict[tuple[str, date], Decimal] = {}
    pairs = set(wanted.sales_keys)
    repeats: set[RepeatKey] = set()
    buyers: set[str] = set()
    partner_domain = None
    rows = cast(list[tuple[int, Any, Any, Any, Any, Any]], result.all())
    for part, text_1, text_2, day, number, line_id in rows:
        if part == 1:
            stored[text_1] = StoredKey(content_hash=text_2, line_id=line_id, occurred_on=day)
        elif part == 2:
            daily_sales[(text_1, day)] = Decimal(number or 0)
        elif part == 3:
            if (text_1, day) in pairs:
                repeats.add((text_1, day, Decimal(number).normalize(), text_2))
        elif part == 4:
            buyers.add(text_1)
        elif part == 5:
            partner_domain = text_1
        else:
            receipt = Receipt(body_sha256=text_1, status_code=int(number), response_body=text_2)
    history = History(
        daily_sales=daily_sales,
        stored_repeats=frozenset(repeats),
        customers_with_sales=frozenset(buyers),
        partner_domain=partner_domain,
    )
    return DeliveryReads(receipt=receipt, stored=stored, history=history)


@dataclass(frozen=True)
class ReceiptRow:
    body_sha256: str
    message_type: str
    response_body: str


async def write(
    session: AsyncSession,
    partner_id: UUID,
    *,
    webhook_id: str,
    received_at: datetime,
    lines: Sequence[dict[str, Any]],
    flags: Sequence[dict[str, Any]],
    events: Sequence[dict[str, Any]],
    receipt: ReceiptRow | None,
) -> None:
    """`lines`: the accepted lines' `sales_line` rows (as `line_row` makes them) with their `content_hash`,
    in the order sent (keys the statement does not read are ignored); `flags`: `anomaly_flag` rows; `events`: outbox rows (`prm_kit.outbox.outbox_row`);
    `receipt`: the webhook's, or None. The lines travel as one JSON document, serialised in one pass (as
    arrays, each value was checked and encoded on its own, which cost more than the statement)."""
    connection = await session.connection()
    await connection.exec_driver_sql(
        WRITE,
        (
            partner_id,
            webhook_id,
            received_at,
            to_json(lines).decode(),
            [flag["id"] for flag in flags],
            [flag["line_id"] for flag in flags],
            [flag["line_external_id"] for flag in flags],
            [flag["line_occurred_on"] for flag in flags],
            [flag["code"] for flag in flags],
            [flag["reason"] for flag in flags],
            [event["id"] for event in events],
            [event["type"] for event in events],
            [event["occurred_at"] for event in events],
            [event["payload"] for event in events],
            receipt.body_sha256 if receipt else None,
            receipt.message_type if receipt else None,
            receipt.response_body if receipt else None,
        ),
    )
