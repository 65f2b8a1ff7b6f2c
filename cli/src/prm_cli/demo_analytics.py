"""The analytics demo loader: a year of sales for the registry's demo partners, sent the way partner systems
send them — Standard Webhooks signed with a secret issued to each partner through the API, through the
gateway — plus FX rates, targets, acquisition spend, survey responses and a few lines the anomaly guard flags.

Deterministic: every day's lines of a partner come from a generator seeded with the partner and the day, so
a day's lines are the same whenever they are made. A delivery's `webhook-id` is a hash of its body, so loading
again the same month replays the same deliveries (nothing doubles); on a later day the days already sent
are duplicates and only the new ones are stored. The year runs from the first day of the month twelve
months back to yesterday.

Sales are in the partner's currency when it is EUR, USD or GBP, else in USD (how distributors outside those
markets commonly invoice), so the small monthly EUR/USD and EUR/GBP series converts all of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from prm_cli.demo_data.api import Api, DemoRequestFailed, Json
from prm_cli.demo_data.registry_data import CURRENCY

SALES_STATUSES = ["active", "suspended"]
SALES_CURRENCIES = ("EUR", "USD", "GBP")
REPORTING_CURRENCY = "EUR"
BATCH_LINES = 500  # lines per delivery (a webhook may carry up to 1,000)
CONCURRENT_PARTNERS = 4
SEND_ATTEMPTS = 6
# Analytics keeps a partner's secrets for up to PRM_WEBHOOK_SECRET_CACHE_SECONDS (30 s by default) unless the
# registry's `partner.webhook_secrets_changed` reaches it first: a secret issued by a second load may be
# refused that long, so a 401 is tried again for this long before it counts.
NEW_SECRET_SECONDS = 40.0
CENT = Decimal("0.01")
# Lines a partner of each type reports in an average week, before the season (SEASON).
WEEKLY_LINES = {
    "distributor": 12.0,
    "system_integrator": 5.0,
    "var": 5.0,
    "msp": 4.0,
    "reseller": 4.0,
    "referral": 1.5,
    "agent": 1.5,
}
# What a typical line of each partner type is worth (in its currency): quantities follow from it, so a
# partner's days stay alike and ordinary data does not trip the volume-spike guard.
LINE_VALUE = {
    "distributor": 9000,
    "system_integrator": 14000,
    "var": 7000,
    "msp": 4000,
    "reseller": 3500,
    "referral": 2500,
    "agent": 2500,
}
# Discount off list price by tier: a higher tier buys cheaper.
DISCOUNT = {"platinum": Decimal("0.18"), "gold": Decimal("0.12"), "silver": Decimal("0.08")}
# How busy each calendar month is: a slow August, a strong year end. By the calendar, not the year loaded,
# so a day's lines are the same whichever year they are part of.
SEASON = {
    1: 0.85,
    2: 0.9,
    3: 1.1,
    4: 0.95,
    5: 1.0,
    6: 1.1,
    7: 0.9,
    8: 0.7,
    9: 1.05,
    10: 1.05,
    11: 1.15,
    12: 1.2,
}
RETURN_SHARE = 0.03  # of the sales of a day, returned later in the same month
COSTED_SHARE = 0.85  # of lines that carry their cost
SUSPENDED_QUIET_DAYS = 45  # a suspended partner has not sold for this long
# NPS answers are drawn from these by tier: better partners, happier customers.
NPS_RANGE = {"platinum": (7, 10), "gold": (6, 10), "silver": (5, 10), None: (3, 9)}


@dataclass(frozen=True)
class Product:
    sku: str
    category: str
    list_price: Decimal
    cost_share: Decimal  # of the price, what the partner paid


CATALOGUE: dict[str, tuple[Product, ...]] = {
    "networking": (
        Product("NET-SW24", "networking", Decimal("1450.00"), Decimal("0.62")),
        Product("NET-AP6", "networking", Decimal("389.00"), Decimal("0.58")),
        Product("NET-RTR8", "networking", Decimal("2900.00"), Decimal("0.64")),
    ),
    "security": (
        Product("SEC-FW200", "security", Decimal("4800.00"), Decimal("0.55")),
        Product("SEC-ZTNA100", "security", Decimal("2400.00"), Decimal("0.35")),
        Product("SEC-MDR-Y", "security", Decimal("9600.00"), Decimal("0.45")),
    ),
    "storage": (Product("STO-NAS8", "storage", Decimal("6200.00"), Decimal("0.66")),),
    "cloud": (
        Product("CLD-BKP1T", "cloud", Decimal("720.00"), Decimal("0.30")),
        Product("CLD-IAAS", "cloud", Decimal("1500.00"), Decimal("0.40")),
    ),
    "collaboration": (Product("COL-ROOM", "collaboration", Decimal("3300.00"), Decimal("0.60")),),
}
DEFAULT_LINES = ("networking", "security")
CUSTOMER_WORDS = ("Alder", "Brook", "Cedar", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris", "Juniper",
                  "Kestrel", "Linden", "Meridian", "Northgate", "Orchid", "Pioneer", "Quarry", "Ridge", "Summit",
                  "Tidewater", "Upland", "Vantage", "Willow", "Yarrow")  # fmt: skip
CUSTOMER_TRADES = ("Logistics", "Clinic", "Foods", "Energy", "Bank", "Motors", "Media", "Pharma", "Retail",
                   "Hotels", "Insurance", "School", "Engineering", "Textiles")  # fmt: skip


@dataclass(frozen=True)
class DemoPartner:
    """What the generator needs of a registry partner."""

    id: str
    key: str  # stable across data folders: seeds the partner's generators
    name: str
    partner_type: str
    tier: str | None
    status: str
    country: str
    domain: str | None
    product_lines: tuple[str, ...]

    @property
    def currency(self) -> str:
        local = CURRENCY.get(self.country, "USD")
        return local if local in SALES_CURRENCIES else "USD"

    @classmethod
    def of(cls, record: Json) -> DemoPartner:
        lines = tuple(
            line for line in record.get("specialisations", {}).get("product_lines", []) if line in CATALOGUE
        )
        return cls(
            id=record["id"],
            key=record["legal_name"],
            name=record["display_name"],
            partner_type=record["partner_type"],
            tier=record.get("tier"),
            status=record["status"],
            country=record["country"],
            domain=record.get("website_domain"),
            product_lines=lines or DEFAULT_LINES,
        )


@dataclass(frozen=True)
class Year:
    """The days the demo covers: the first day of the month twelve months back up to `last` (yesterday)."""

    first: date
    last: date

    @classmethod
    def ending_before(cls, today: date) -> Year:
        first = date(today.year - 1, today.month, 1)
        return cls(first=first, last=today - timedelta(days=1))

    def days(self) -> Iterator[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)

    def month_starts(self) -> list[date]:
        months, month = [], self.first
        while month <= self.last:
            months.append(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        return months

    def full_quarters(self) -> list[tuple[str, date, date]]:
        """(label, first day, last day) of the quarters wholly inside the year."""
        quarters = []
        for month in self.month_starts():
            if month.month % 3 != 1:
                continue
            end_month = date(month.year + (month.month + 2) // 12, (month.month + 2) % 12 + 1, 1)
            last = end_month - timedelta(days=1)
            if last <= self.last:
                quarters.append((f"{month.year}-Q{(month.month - 1) // 3 + 1}", month, last))
        return quarters


# --- sales lines -------------------------------------------------------------------------------------------


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def customers(partner: DemoPartner) -> list[Json]:
    """The partner's customer base: a fixed list drawn from its own seed."""
    rng = random.Random(f"customers|{partner.key}")
    count = max(8, int(WEEKLY_LINES.get(partner.partner_type, 4.0) * 6))
    base = []
    for number in range(count):
        word, trade = rng.choice(CUSTOMER_WORDS), rng.choice(CUSTOMER_TRADES)
        name = f"{word} {trade} {number + 1}"
        base.append(
            {
                "name": name,
                "domain": f"{word.lower()}-{trade.lower()}-{number + 1}.example",
                "country": partner.country,
                "external_id": f"C-{number + 1:04d}",
            }
        )
    return base


def _quiet(partner: DemoPartner, year: Year, day: date) -> bool:
    return partner.status == "suspended" and day > year.last - timedelta(days=SUSPENDED_QUIET_DAYS)


def _sale(partner: DemoPartner, rng: random.Random, customer: Json, day: date, number: int) -> Json:
    product = rng.choice(CATALOGUE[rng.choice(partner.product_lines)])
    discount = DISCOUNT.get(partner.tier or "", Decimal("0.05")) + Decimal(rng.randint(0, 5)) / 100
    unit_price = _money(product.list_price * (1 - discount))
    value = LINE_VALUE.get(partner.partner_type, 5000) * rng.uniform(0.6, 1.4)
    quantity = max(1, round(value / float(unit_price)))
    amount = unit_price * quantity
    line: Json = {
        "external_id": f"INV-{day:%Y%m%d}-{number:03d}",
        "kind": "sale",
        "occurred_on": day.isoformat(),
        "invoice_id": f"INV-{day:%Y%m%d}-{number:03d}",
        "payment_status": "invoiced",
        "customer": customer,
        "product": {"sku": product.sku, "category": product.category},
        "quantity": str(quantity),
        "unit_price": str(unit_price),
        "amount": str(amount),
        "currency": partner.currency,
    }
    if rng.random() < COSTED_SHARE:
        line["cost"] = str(_money(amount * product.cost_share))
    return line


def _return(rng: random.Random, original: Json, day: date, number: int, *, returnable: int) -> Json:
    quantity = rng.randint(1, returnable)
    unit_price = Decimal(original["unit_price"])
    line = {
        key: original[key] for key in ("payment_status", "customer", "product", "unit_price", "currency")
    } | {
        "external_id": f"RET-{day:%Y%m%d}-{number:03d}",
        "kind": "return",
        "occurred_on": day.isoformat(),
        "quantity": str(quantity),
        "amount": str(unit_price * quantity),
        "original_external_id": original["external_id"],
    }
    return line


def year_of_sales(partner: DemoPartner, year: Year) -> list[Json]:
    """The partner's lines, day by day: sales on weekdays, and now and then a return of a sale made earlier
    in the same month (so a return's original is always in the year), never of more units than are left of
    it (the anomaly guard would flag it)."""
    base = customers(partner)
    weekly = WEEKLY_LINES.get(partner.partner_type, 4.0)
    lines: list[Json] = []
    month_sales: list[Json] = []
    returnable: dict[str, int] = {}  # external_id -> units of the sale not returned yet
    for day in year.days():
        if day.day == 1:
            month_sales = []
        if day.weekday() >= 5 or _quiet(partner, year, day):
            continue
        rng = random.Random(f"sales|{partner.key}|{day.isoformat()}")
        mean = weekly / 5 * SEASON[day.month]
        count = int(mean) + (1 if rng.random() < mean - int(mean) else 0)
        # each customer buys at most once a day, so ordinary lines never look like a repeated sale
        buyers = rng.sample(base, min(count, len(base)))
        sales = [_sale(partner, rng, buyer, day, number) for number, buyer in enumerate(buyers, start=1)]
        returns = []
        for number in range(1, 3):
            if month_sales and rng.random() < RETURN_SHARE * weekly / 5:
                original = rng.choice(month_sales)
                back = _return(rng, original, day, number, returnable=returnable[original["external_id"]])
                returns.append(back)
                returnable[original["external_id"]] -= int(back["quantity"])
                if not returnable[original["external_id"]]:
                    month_sales.remove(original)
        month_sales += sales
        returnable |= {sale["external_id"]: int(sale["quantity"]) for sale in sales}
        lines += sales + returns
    return lines


def paid(lines: Iterable[Json], today: date, *, days: int = 45) -> list[Json]:
    """The lines with payment status `paid` once older than `days` (payment status is not part of a line's
    identity: a later load reports them as duplicates all the same)."""
    cut = (today - timedelta(days=days)).isoformat()
    return [line | {"payment_status": "paid"} if line["occurred_on"] < cut else line for line in lines]


def deliveries(lines: Sequence[Json], *, size: int = BATCH_LINES) -> list[list[Json]]:
    """Consecutive lines (in date order) cut into deliveries of at most `size`, at month boundaries when a
    month fits, so a delivery stays the same when later months are added."""
    months: dict[str, list[Json]] = defaultdict(list)
    for line in lines:
        months[line["occurred_on"][:7]].append(line)
    batches: list[list[Json]] = []
    current: list[Json] = []
    for month in sorted(months):
        chunk = months[month]
        if current and len(current) + len(chunk) > size:
            batches.append(current)
            current = []
        while len(chunk) > size:
            batches.append(chunk[:size])
            chunk = chunk[size:]
        current += chunk
    if current:
        batches.append(current)
    return batches


def webhook_body(lines: Sequence[Json]) -> str:
    return json.dumps({"type": "sales.reported", "data": {"transactions": list(lines)}}, sort_keys=True)


def webhook_id(partner: DemoPartner, body: str) -> str:
    """Derived from the partner and the body: the same delivery again is a replay."""
    return "demo_" + hashlib.sha256(f"{partner.id}\n{body}".encode()).hexdigest()[:40]


# --- lines the anomaly guard flags -------------------------------------------------------------------------


def _last_weekday(year: Year) -> date:
    day = year.last
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _line(
    partner: DemoPartner,
    external_id: str,
    day: date,
    customer: Json,
    product: Product,
    quantity: int,
    *,
    kind: str = "sale",
) -> Json:
    """An invoiced line of `quantity` units of `product` at its list price."""
    return {
        "external_id": external_id,
        "kind": kind,
        "occurred_on": day.isoformat(),
        "payment_status": "invoiced",
        "customer": customer,
        "product": {"sku": product.sku, "category": product.category},
        "quantity": str(quantity),
        "unit_price": str(product.list_price),
        "amount": str(product.list_price * quantity),
        "currency": partner.currency,
    }  # fmt: skip


def spike_lines(partner: DemoPartner, regular: Sequence[Json], year: Year) -> list[Json]:
    """Three big sales to three customers on the last weekday that together are over ten times the partner's
    busiest day of the 90 days before (the guard flags a day above five times the median)."""
    day = _last_weekday(year)
    since = (day - timedelta(days=90)).isoformat()
    daily: dict[str, Decimal] = defaultdict(Decimal)
    for line in regular:
        if line["kind"] == "sale" and since <= line["occurred_on"] < day.isoformat():
            daily[line["occurred_on"]] += Decimal(line["amount"])
    busiest = max(daily.values(), default=Decimal("10000"))
    product = CATALOGUE["security"][2]
    quantity = math.ceil(busiest * 10 / 3 / product.list_price)
    base = customers(partner)
    return [
        _line(partner, f"BIG-{day:%Y%m%d}-{number}", day, base[number], product, quantity + number)
        for number in (1, 2, 3)
    ]


def repeated_lines(partner: DemoPartner, year: Year) -> list[Json]:
    """The same sale twice under two invoice numbers: same customer, day and amount (the second is flagged)."""
    day = _last_weekday(year)
    product = CATALOGUE["networking"][0]
    sale = {
        "kind": "sale",
        "occurred_on": day.isoformat(),
        "payment_status": "invoiced",
        "customer": customers(partner)[1],
        "product": {"sku": product.sku, "category": product.category},
        "quantity": "4",
        "unit_price": str(product.list_price),
        "amount": str(product.list_price * 4),
        "currency": partner.currency,
    }
    return [sale | {"external_id": f"DUP-{day:%Y%m%d}-{number}"} for number in (1, 2)]


def unmatched_return(partner: DemoPartner, year: Year) -> list[Json]:
    """A return from a customer who never bought from the partner, naming no original sale."""
    day = _last_weekday(year)
    product = CATALOGUE["security"][0]
    stranger = {"name": "Stranger Holdings Ltd", "domain": "stranger-holdings.example"}
    return [_line(partner, f"RET-{day:%Y%m%d}-X1", day, stranger, product, 2, kind="return")]


def over_return(partner: DemoPartner, year: Year) -> list[Json]:
    """A sale of one unit and, in the same delivery, a return of three units naming it."""
    day = _last_weekday(year)
    product = CATALOGUE["security"][0]
    customer = customers(partner)[1]
    sale = _line(partner, f"INV-{day:%Y%m%d}-ONE", day, customer, product, 1)
    back = _line(partner, f"RET-{day:%Y%m%d}-X3", day, customer, product, 3, kind="return")
    return [sale, back | {"original_external_id": sale["external_id"]}]


def own_domain_sale(partner: DemoPartner, year: Year) -> list[Json]:
    """A sale to a customer on the partner's own domain: the partner selling to itself."""
    if partner.domain is None:
        return []
    day = _last_weekday(year)
    product = CATALOGUE["cloud"][1]
    itself = {"name": f"{partner.name} (internal)", "domain": partner.domain}
    return [_line(partner, f"INV-{day:%Y%m%d}-SELF", day, itself, product, 3)]


def future_dated_sale(partner: DemoPartner, year: Year) -> list[Json]:
    """A sale dated 365 days after the last weekday, as a mistyped year would be: after the day it is sent."""
    day = _last_weekday(year) + timedelta(days=365)
    product = CATALOGUE["networking"][0]
    return [_line(partner, f"INV-{day:%Y%m%d}-AHEAD", day, customers(partner)[2], product, 1)]


def anomalies(
    partners: Sequence[DemoPartner], sales: dict[str, list[Json]], year: Year
) -> dict[str, list[Json]]:
    """Partner id -> lines that trip the guard, for four active partners: the first distributor (a volume
    spike), reseller (a repeated sale, and a sale dated a year ahead), MSP (a return without a sale, and one
    of more units than its sale) and VAR or system integrator with a website (a sale to its own domain)."""
    active = sorted((p for p in partners if p.status == "active"), key=lambda p: p.name)

    def first(types: tuple[str, ...], *, with_domain: bool = False) -> DemoPartner | None:
        return next(
            (p for p in active if p.partner_type in types and (p.domain is not None or not with_domain)), None
        )

    chosen: dict[str, list[Json]] = defaultdict(list)
    if (partner := first(("distributor",))) is not None:
        chosen[partner.id] += spike_lines(partner, sales[partner.id], year)
    if (partner := first(("reseller",))) is not None:
        chosen[partner.id] += repeated_lines(partner, year) + future_dated_sale(partner, year)
    if (partner := first(("msp",))) is not None:
        chosen[partner.id] += unmatched_return(partner, year) + over_return(partner, year)
    if (partner := first(("var", "system_integrator"), with_domain=True)) is not None:
        chosen[partner.id] += own_domain_sale(partner, year)
    return dict(chosen)


# --- reference data ----------------------------------------------------------------------------------------


def fx_rates(year: Year) -> list[Json]:
    """A monthly EUR/USD and EUR/GBP series over the year, each month's rate seeded by the month."""
    rates = []
    for month in year.month_starts():
        rng = random.Random(f"fx|{month:%Y-%m}")
        usd = Decimal("1.0850") + Decimal(rng.randint(-250, 250)) / 10_000
        gbp = Decimal("0.8550") + Decimal(rng.randint(-150, 150)) / 10_000
        rates += [
            {"base": "EUR", "quote": "USD", "rate": str(usd), "effective_on": month.isoformat()},
            {"base": "EUR", "quote": "GBP", "rate": str(gbp), "effective_on": month.isoformat()},
        ]
    return rates


def net_revenue(lines: Iterable[Json], first: date, last: date) -> Decimal:
    """Sales minus returns of the lines that occurred between `first` and `last`."""
    total = Decimal(0)
    for line in lines:
        if first.isoformat() <= line["occurred_on"] <= last.isoformat():
            total += Decimal(line["amount"]) * (1 if line["kind"] == "sale" else -1)
    return total


def revenue_targets(partner: DemoPartner, lines: Sequence[Json], year: Year) -> dict[str, Json]:
    """Quarter -> revenue target of the full quarters: what the partner then sold, times 0.85-1.25 (seeded
    by partner and quarter), rounded to a thousand; some partners beat their target, some miss it."""
    targets = {}
    for label, first, last in year.full_quarters():
        factor = Decimal(random.Random(f"target|{partner.key}|{label}").randint(85, 125)) / 100
        amount = (net_revenue(lines, first, last) * factor / 1000).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        if amount > 0:
            targets[label] = {"amount": f"{amount * 1000}.00", "currency": partner.currency}
    return targets


def acquisition_spend(partner: DemoPartner, lines: Sequence[Json], year: Year) -> dict[str, Json]:
    """Quarter -> what acquiring the quarter's new customers cost: 400-1,600 per new customer (seeded)."""
    first_sale: dict[str, str] = {}
    for line in lines:
        if line["kind"] == "sale":
            first_sale.setdefault(line["customer"]["external_id"], line["occurred_on"])
    spend = {}
    for label, first, last in year.full_quarters():
        new = sum(1 for day in first_sale.values() if first.isoformat() <= day <= last.isoformat())
        per_customer = random.Random(f"cac|{partner.key}|{label}").randint(4, 16) * 100
        if new:
            spend[label] = {"amount": f"{new * per_customer}.00", "currency": partner.currency}
    return spend


def survey_responses(partner: DemoPartner, year: Year) -> list[Json]:
    """Two or three customer answers each month before the current one (NPS 0-10 and CSAT 1-5, drawn by tier;
    a suspended partner's customers are less happy)."""
    low, high = NPS_RANGE.get(partner.tier, NPS_RANGE[None])
    if partner.status == "suspended":
        low, high = max(0, low - 3), high - 2
    responses = []
    for month in year.month_starts():
        answered_on = month + timedelta(days=19)
        if answered_on > year.last:
            continue
        rng = random.Random(f"survey|{partner.key}|{month:%Y-%m}")
        for number in range(1, rng.randint(2, 3) + 1):
            nps = rng.randint(low, high)
            responses.append(
                {
                    "partner_id": partner.id,
                    "survey_id": f"partner-nps-{month.year}-q{(month.month - 1) // 3 + 1}",
                    "respondent_id": f"{month:%Y%m}-{number}",
                    "nps": nps,
                    "csat": min(5, max(1, round(nps / 2))),
                    "responded_on": answered_on.isoformat(),
                }
            )
    return responses


# --- loading -----------------------------------------------------------------------------------------------


@dataclass
class SentTotals:
    deliveries: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0


async def load(client: httpx.AsyncClient) -> None:
    """Load the analytics demo set through the API `client` points at (an admin credential): reference data
    with the key, sales as signed webhooks without it."""
    api = Api(client)
    today = datetime.now(UTC).date()
    year = Year.ending_before(today)
    partners = [DemoPartner.of(record) for record in await demo_partners(api)]
    await api.post("/v1/fx-rates", {"frequency": "monthly", "rates": fx_rates(year)}, step="FX rates")
    sales = {partner.id: paid(year_of_sales(partner, year), today) for partner in partners}
    flagged = anomalies(partners, sales, year)
    totals = SentTotals()
    limit = asyncio.Semaphore(CONCURRENT_PARTNERS)

    async def load_partner(partner: DemoPartner) -> None:
        async with limit:
            issued = await api.post(
                f"/v1/partners/{partner.id}/webhook-secrets", step=f"secret of {partner.name}"
            )
            for batch in [*deliveries(sales[partner.id]), flagged.get(partner.id, [])]:
                if batch:
                    await send_sales(client, partner, issued["secret"], batch, totals)
            for label, target in revenue_targets(partner, sales[partner.id], year).items():
                await put_once(api, f"/v1/targets/{partner.id}/revenue/{label}", {"target": target})
            for label, spend in acquisition_spend(partner, sales[partner.id], year).items():
                await put_once(api, f"/v1/acquisition-spend/{partner.id}/{label}", {"spend": spend})

    await asyncio.gather(*(load_partner(partner) for partner in partners))
    responses = [response for partner in partners for response in survey_responses(partner, year)]
    for start in range(0, len(responses), 1000):
        await api.post(
            "/v1/surveys/responses", {"responses": responses[start : start + 1000]}, step="surveys"
        )


async def demo_partners(api: Api) -> list[Json]:
    partners: list[Json] = []
    params: dict[str, Any] = {"status": SALES_STATUSES, "limit": 200, "sort": "display_name"}
    while True:
        page = await api.get("/v1/partners", **params)
        partners += page["items"]
        if page["next_cursor"] is None:
            return partners
        params["cursor"] = page["next_cursor"]


async def put_once(api: Api, path: str, body: Json) -> None:
    """Create the value, or leave it as loaded before: a value changed since (428 without If-Match) is
    kept, not overwritten by the demo."""
    try:
        await api.call("PUT", path, body=body, step=path)
    except DemoRequestFailed as failure:
        if failure.response.status_code != 428:
            raise


async def send_sales(
    client: httpx.AsyncClient, partner: DemoPartner, secret: str, lines: Sequence[Json], totals: SentTotals
) -> Json:
    """One signed delivery, as a partner system sends it: without the API key, the same webhook-id and body
    on every retry (connection errors, 409, 429 and 5xx), each attempt signed afresh. A 401 is waited out
    while a just issued secret may not be known yet (NEW_SECRET_SECONDS)."""
    body = webhook_body(lines)
    message_id = webhook_id(partner, body)
    secret_deadline = asyncio.get_running_loop().time() + NEW_SECRET_SECONDS
    attempt = 0
    while attempt < SEND_ATTEMPTS:
        attempt += 1
        now = datetime.now(UTC)
        request = client.build_request(
            "POST",
            f"/v1/webhooks/partners/{partner.id}/sales",
            content=body.encode(),
            headers={
                "content-type": "application/json",
                "webhook-id": message_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": Webhook(secret).sign(message_id, now, body),
            },
        )
        del request.headers["Authorization"]  # webhooks are authenticated by their signature only
        try:
            response = await client.send(request)
        except httpx.TransportError:
            if attempt == SEND_ATTEMPTS:
                raise
            await asyncio.sleep(0.2 * 2**attempt)
            continue
        if response.status_code == 401 and asyncio.get_running_loop().time() < secret_deadline:
            attempt -= 1  # not a failed attempt: the secret is on its way
            await asyncio.sleep(1.0)
            continue
        retried = response.status_code in (409, 429) or response.status_code >= 500
        if retried and attempt < SEND_ATTEMPTS:
            await asyncio.sleep(min(5.0, float(response.headers.get("Retry-After", 0.2 * 2**attempt))))
            continue
        if not response.is_success:
            raise DemoRequestFailed(
                f"sales webhook of {partner.name} failed: {response.status_code} {response.text[:500]}",
                request=response.request,
                response=response,
            )
        answer: Json = response.json()
        totals.deliveries += 1
        totals.accepted += answer["counts"]["accepted"]
        totals.duplicate += answer["counts"]["duplicate"]
        totals.rejected += answer["counts"]["rejected"]
        return answer
    raise AssertionError("unreachable")
