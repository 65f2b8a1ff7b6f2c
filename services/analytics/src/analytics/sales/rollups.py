"""What a batch of accepted lines adds to the rollups, computed in memory (pure), so the database gets one
upsert per rollup row rather than one per line. Also the two keys lines are known by: the customer key and
the content hash."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from json.encoder import encode_basestring
from typing import Any
from uuid import UUID

from prm_contracts.sales import SalesKind, SalesTransaction

STORED_QUANTUM = Decimal("0.0001")  # the scale amounts are stored with
_NOT_WORD = re.compile(r"[^\w]+")
MAX_CUSTOMER_KEY_LENGTH = 600  # the column's length


def customer_key(line: SalesTransaction) -> str:
    """The customer's external id when the partner sent one; else its name (case, accents of width and
    punctuation folded) with its domain."""
    customer = line.customer
    if customer.external_id is not None:
        return f"ext:{customer.external_id}"
    return _name_key(customer.name, customer.domain)


@lru_cache(maxsize=4096)
def _name_key(customer_name: str, domain: str | None) -> str:
    # cached: a delivery names the same customers again and again, and each line's key is asked for more
    # than once (de-duplication, the anomaly guard, the stored row)
    name = _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", customer_name).casefold()).strip()
    key = f"name:{name}|{domain or ''}"
    if len(key) > MAX_CUSTOMER_KEY_LENGTH:
        # folding can lengthen a name (NFKC expands some characters many times): a digest keeps it in bounds
        return "name#" + hashlib.sha256(key.encode()).hexdigest()
    return key


def _exact(value: Decimal | None) -> str | None:
    return None if value is None else format(value.quantize(STORED_QUANTUM), "f")


def content_hash(line: SalesTransaction) -> str:
    """SHA-256 of the line's content as stored: equal values give equal hashes however they were written
    ("10.5" and "10.50"). `payment_status` is left out: it changes through `sales.payment_updated`, so a
    line sent again with a newer status is the same line.

    The hashed text is the line's JSON dump with sorted keys, no spaces, non-ASCII kept and the amounts at the
    stored scale. Stored keys hold these hashes, so the text must never change; it is written out here field
    by field (a model dump and a JSON encoder per line cost as much as parsing the line), and
    tests/sales/test_content_hash.py checks it against the dump and fails when the contract gains a field."""
    customer = line.customer
    product = line.product
    deal = line.deal_registration_id
    text = (
        f'{{"amount":{_text(_exact(line.amount))},"cost":{_text(_exact(line.cost))},'
        f'"currency":{_text(line.currency)},"customer":{{"country":{_text(customer.country)},'
        f'"domain":{_text(customer.domain)},"external_id":{_text(customer.external_id)},'
        f'"is_new":{_flag(customer.is_new)},"name":{_text(customer.name)}}},'
        f'"deal_registration_id":{_text(None if deal is None else str(deal))},'
        f'"external_id":{_text(line.external_id)},"invoice_id":{_text(line.invoice_id)},'
        f'"kind":{_text(line.kind.value)},"occurred_on":"{line.occurred_on.isoformat()}",'
        f'"original_external_id":{_text(line.original_external_id)},'
        f'"product":{{"category":{_text(product.category)},"sku":{_text(product.sku)}}},'
        f'"quantity":{_text(_exact(line.quantity))},"unit_price":{_text(_exact(line.unit_price))}}}'
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _text(value: str | None) -> str:
    """A JSON string as `json.dumps(..., ensure_ascii=False)` writes it, or null."""
    return "null" if value is None else encode_basestring(value)


def _flag(value: bool | None) -> str:
    return "null" if value is None else ("true" if value else "false")


@dataclass
class DailyTotals:
    gross_amount: Decimal = Decimal(0)
    returns_amount: Decimal = Decimal(0)
    costed_amount: Decimal = Decimal(0)
    cost_amount: Decimal = Decimal(0)
    sold_quantity: Decimal = Decimal(0)
    returned_quantity: Decimal = Decimal(0)
    line_count: int = 0
    sale_line_count: int = 0
    return_line_count: int = 0
    costed_line_count: int = 0

    def add(self, line: SalesTransaction) -> None:
        sign = line.kind.sign
        self.line_count += 1
        if line.kind is SalesKind.sale:
            self.gross_amount += line.amount
            self.sold_quantity += line.quantity
            self.sale_line_count += 1
        else:
            self.returns_amount += line.amount
            self.returned_quantity += line.quantity
            self.return_line_count += 1
        if line.cost is not None:
            self.costed_amount += sign * line.amount
            self.cost_amount += sign * line.cost
            self.costed_line_count += 1


DailyKey = tuple[date, str, str]  # day, product category, currency


def daily_rollup_rows(partner_id: UUID, lines: list[SalesTransaction]) -> list[dict[str, Any]]:
    """The increments of `sales_daily_rollup`, one per (day, category, currency), sorted by key so that
    concurrent writers lock rows in the same order."""
    totals: dict[DailyKey, DailyTotals] = {}
    for line in lines:
        totals.setdefault((line.occurred_on, line.product.category, line.currency), DailyTotals()).add(line)
    return [
        {"partner_id": partner_id, "day": day, "product_category": category, "currency": currency}
        | vars(total)
        for (day, category, currency), total in sorted(totals.items())
    ]


@dataclass
class CustomerTotals:
    customer_name: str
    first_on: date
    last_on: date
    net_amount: Decimal = Decimal(0)
    line_count: int = 0
    is_new: bool | None = None

    def add(self, line: SalesTransaction) -> None:
        self.first_on = min(self.first_on, line.occurred_on)
        self.last_on = max(self.last_on, line.occurred_on)
        self.net_amount += line.kind.sign * line.amount
        self.line_count += 1
        self.is_new = merged_is_new(self.is_new, line.customer.is_new)


def merged_is_new(known: bool | None, sent: bool | None) -> bool | None:
    """True once any line said the customer is new; else false once one said it is not; else unknown."""
    if known is None:
        return sent
    if sent is None:
        return known
    return known or sent


def customer_rollup_rows(partner_id: UUID, lines: list[SalesTransaction]) -> list[dict[str, Any]]:
    """The increments of `sales_customer_rollup`, one per (customer, currency), sorted by key."""
    totals: dict[tuple[str, str], CustomerTotals] = {}
    for line in lines:
        key = (customer_key(line), line.currency)
        if key not in totals:
            totals[key] = CustomerTotals(
                customer_name=line.customer.name, first_on=line.occurred_on, last_on=line.occurred_on
            )
        totals[key].add(line)
    return [
        {"partner_id": partner_id, "customer_key": key, "currency": currency} | vars(total)
        for (key, currency), total in sorted(totals.items())
    ]


MONTHLY_SUMS = (
    "gross_amount",
    "returns_amount",
    "costed_amount",
    "cost_amount",
    "line_count",
    "sale_line_count",
    "return_line_count",
    "costed_line_count",
)


def monthly_rollup_rows(daily_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The increments of `sales_monthly_rollup`, one per (partner, month, currency), summed from the daily
    increments (`daily_rollup_rows`) so both rollups come from one aggregation; sorted by key."""
    totals: dict[tuple[UUID, date, str], dict[str, Any]] = {}
    for row in daily_rows:
        key = (row["partner_id"], row["day"].replace(day=1), row["currency"])
        if key not in totals:
            totals[key] = {"partner_id": key[0], "month": key[1], "currency": key[2]} | {
                name: row[name] for name in MONTHLY_SUMS
            }
        else:
            total = totals[key]
            for name in MONTHLY_SUMS:
                total[name] += row[name]
    return [totals[key] for key in sorted(totals, key=lambda k: (str(k[0]), k[1], k[2]))]
