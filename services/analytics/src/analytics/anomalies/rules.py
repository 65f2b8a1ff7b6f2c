"""The anomaly guard's rules: which accepted lines of a delivery look wrong. Pure: what is stored comes in as
values (anomalies/repository.py reads it before the delivery's lines are written).

- `volume_spike`: a sale whose day's sales (stored before the delivery plus the delivery's own, per currency)
  exceed `SPIKE_FACTOR` (5) times the median daily sales of the partner's days with sales in that currency in
  the `HISTORY_DAYS` (90) days before; judged only with at least `MIN_HISTORY_DAYS` (14) such days, so a new
  partner is not flagged for having no history.
- `return_without_sale`: a return or credit note without `original_external_id` whose customer never bought
  from the partner (no stored sale to that customer key, and none earlier in the delivery). One naming its
  original was checked at de-duplication (an unknown original is refused there).
- `repeated_line`: lines carry a date, not a time, so "the same customer and amount within minutes" is read
  as: a sale with the same customer, day, amount and currency as a sale already stored, or as an earlier sale
  of the same delivery (the first of a repeated group is not flagged, each repeat is).
- `own_domain`: the customer's domain is the partner's own website domain or a subdomain of it (`www.` and
  case ignored).
- `future_dated`: the line occurred, or was paid, more than `FUTURE_GRACE_DAYS` (1) after the day analytics
  received it (UTC): a sale that has not happened yet, or a mistyped year. The day of grace is for partners
  whose day begins before UTC's.
- `original_mismatch`: a return or credit note that does not fit the line its `original_external_id` names:
  that line is not a sale, or is in another currency, or the returns and credit notes naming it (those stored
  and those earlier in the delivery, this one included) come to more than its amount, or the returns to
  more than its quantity. An original stored before analytics kept its figures is not judged.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from statistics import median
from uuid import UUID

from prm_contracts.sales import FlagCode, SalesKind, SalesTransaction

SPIKE_FACTOR = Decimal(5)
HISTORY_DAYS = 90
MIN_HISTORY_DAYS = 14
FUTURE_GRACE_DAYS = 1

RepeatKey = tuple[str, date, Decimal, str]  # customer key, day, amount, currency


@dataclass(frozen=True)
class GuardedLine:
    line_id: UUID
    line: SalesTransaction
    customer_key: str


@dataclass(frozen=True)
class Raised:
    code: FlagCode
    reason: str


@dataclass(frozen=True)
class OriginalLine:
    """A line that returns and credit notes may name, with what those naming it came to so far (in its
    currency: returns and credit notes in another one are flagged, not added)."""

    kind: SalesKind
    quantity: Decimal
    amount: Decimal
    currency: str
    returned_quantity: Decimal = Decimal(0)  # by returns
    returned_amount: Decimal = Decimal(0)  # by returns and credit notes

    @classmethod
    def of(cls, line: SalesTransaction) -> OriginalLine:
        return cls(kind=line.kind, quantity=line.quantity, amount=line.amount, currency=line.currency)


@dataclass(frozen=True)
class History:
    """What the partner had stored before the delivery, as far as the rules need it."""

    daily_sales: Mapping[tuple[str, date], Decimal]  # (currency, day) → gross sales
    stored_repeats: frozenset[RepeatKey]
    customers_with_sales: frozenset[str]
    partner_domain: str | None
    # the stored lines the delivery's returns and credit notes name, by external_id
    originals: Mapping[str, OriginalLine] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryWanted:
    """What of the stored history the rules need for some lines: the days of the volume rule, the (customer
    key, day) of each sale for repeats, the customers of returns without an original."""

    first: date
    last: date
    sales_keys: list[tuple[str, date]]
    unmatched: list[str]


def history_wanted(lines: Sequence[tuple[SalesTransaction, str]]) -> HistoryWanted:
    """For (line, customer key) pairs; the history read for more lines than get judged answers the rules
    alike, as each rule looks up only its own lines' keys and days."""
    days = [line.occurred_on for line, _ in lines]
    return HistoryWanted(
        first=min(days) - timedelta(days=HISTORY_DAYS),
        last=max(days),
        sales_keys=[(key, line.occurred_on) for line, key in lines if line.kind is SalesKind.sale],
        unmatched=[
            key
            for line, key in lines
            if line.kind is not SalesKind.sale and line.original_external_id is None
        ],
    )


def repeat_key(guarded: GuardedLine) -> RepeatKey:
    line = guarded.line
    return (guarded.customer_key, line.occurred_on, line.amount.normalize(), line.currency)


def _bare_domain(domain: str) -> str:
    domain = domain.strip().rstrip(".").casefold()
    return domain.removeprefix("www.")


def _is_own_domain(customer: str, partner: str) -> bool:
    customer, partner = _bare_domain(customer), _bare_domain(partner)
    return bool(partner) and (customer == partner or customer.endswith("." + partner))


def _volume_spikes(lines: Sequence[GuardedLine], history: History) -> dict[UUID, Raised]:
    sent: dict[tuple[str, date], Decimal] = defaultdict(Decimal)
    for guarded in lines:
        if guarded.line.kind is SalesKind.sale:
            sent[(guarded.line.currency, guarded.line.occurred_on)] += guarded.line.amount
    # each currency's days with sales, in order: a day's baseline is a slice found by bisection, not a scan of
    # the whole history per day of the delivery (a backfill spans many days)
    selling_days: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for (currency, day), total in sorted(history.daily_sales.items()):
        if total > 0:
            selling_days[currency].append((day, total))
    spikes: dict[tuple[str, date], str] = {}
    for (currency, day), amount in sent.items():
        days = selling_days.get(currency, [])
        start = bisect_left(days, day - timedelta(days=HISTORY_DAYS), key=lambda entry: entry[0])
        end = bisect_left(days, day, key=lambda entry: entry[0])
        baseline = [total for _, total in days[start:end]]
        if len(baseline) < MIN_HISTORY_DAYS:
            continue
        typical = median(baseline)
        day_total = history.daily_sales.get((currency, day), Decimal(0)) + amount
        if day_total > SPIKE_FACTOR * typical:
            spikes[(currency, day)] = (
                f"sales of {day} total {day_total} {currency}, more than {SPIKE_FACTOR}x the median daily "
                f"sales of {typical} {currency} over the partner's {len(baseline)} days with sales in the "
                f"{HISTORY_DAYS} days before"
            )
    return {
        guarded.line_id: Raised(FlagCode.volume_spike, reason)
        for guarded in lines
        if guarded.line.kind is SalesKind.sale
        and (reason := spikes.get((guarded.line.currency, guarded.line.occurred_on))) is not None
    }


def _money(amount: Decimal) -> str:
    """`300.0000` (as numeric(19,4) keeps it) as `300.00`; finer amounts as they are."""
    cents = amount.quantize(Decimal("0.01"))
    return str(cents) if cents == amount else format(amount.normalize(), "f")


def _count(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f")


def _unlike_original(line: SalesTransaction, original: OriginalLine) -> tuple[str | None, OriginalLine]:
    """Why a return or credit note does not fit its original (None: it fits), and the original with it added."""
    named = line.original_external_id
    if original.kind is not SalesKind.sale:
        return f"it names {named!r}, a {original.kind.value}: only a sale is returned or credited", original
    if line.currency != original.currency:
        return f"it is in {line.currency}, and {named!r} in {original.currency}", original
    returned = replace(
        original,
        returned_amount=original.returned_amount + line.amount,
        returned_quantity=original.returned_quantity
        + (line.quantity if line.kind is SalesKind.return_ else 0),
    )
    if returned.returned_amount > original.amount:
        reason = (
            f"returns and credit notes naming {named!r} come to {_money(returned.returned_amount)} "
            f"{line.currency} with this one, more than its {_money(original.amount)} {original.currency}"
        )
    elif returned.returned_quantity > original.quantity:
        reason = (
            f"returns naming {named!r} come to a quantity of {_count(returned.returned_quantity)} with this one, "
            f"more than its {_count(original.quantity)}"
        )
    else:
        reason = None
    return reason, returned


def raised_flags(
    lines: Sequence[GuardedLine], history: History, *, received_on: date
) -> dict[UUID, list[Raised]]:
    """The flags of each line that has any, by line id, in the order of the rules above; `received_on`: the
    day (UTC) the lines reached analytics."""
    latest = received_on + timedelta(days=FUTURE_GRACE_DAYS)
    flags: dict[UUID, list[Raised]] = defaultdict(list)
    for line_id, spike in _volume_spikes(lines, history).items():
        flags[line_id].append(spike)
    buyers = set(history.customers_with_sales)
    seen: set[RepeatKey] = set()
    originals = dict(history.originals)
    for guarded in lines:
        line = guarded.line
        if line.kind is SalesKind.sale:
            key = repeat_key(guarded)
            if key in history.stored_repeats:
                flags[guarded.line_id].append(
                    Raised(
                        FlagCode.repeated_line,
                        f"a sale to the same customer of {line.amount} {line.currency} on {line.occurred_on} is "
                        "already stored",
                    )
                )
            elif key in seen:
                flags[guarded.line_id].append(
                    Raised(
                        FlagCode.repeated_line,
                        f"an earlier line of this delivery is a sale to the same customer of {line.amount} "
                        f"{line.currency} on {line.occurred_on}",
                    )
                )
            seen.add(key)
            buyers.add(guarded.customer_key)
        elif line.original_external_id is None and guarded.customer_key not in buyers:
            flags[guarded.line_id].append(
                Raised(
                    FlagCode.return_without_sale,
                    f"a {line.kind.value} without original_external_id for customer {line.customer.name!r}, "
                    "who never bought from the partner",
                )
            )
        domain = line.customer.domain
        if domain is not None and history.partner_domain and _is_own_domain(domain, history.partner_domain):
            flags[guarded.line_id].append(
                Raised(
                    FlagCode.own_domain,
                    f"the customer's domain {domain} is the partner's own ({history.partner_domain})",
                )
            )
        ahead = [
            f"{what} on {day}"
            for what, day in (("occurred", line.occurred_on), ("paid", line.paid_on))
            if day is not None and day > latest
        ]
        if ahead:
            reason = f"{'; '.join(ahead)}: after {received_on}, the day (UTC) the line was received"
            flags[guarded.line_id].append(Raised(FlagCode.future_dated, reason))
        named = line.original_external_id
        if named is not None and line.kind is not SalesKind.sale and named in originals:
            mismatch, originals[named] = _unlike_original(line, originals[named])
            if mismatch is not None:
                flags[guarded.line_id].append(Raised(FlagCode.original_mismatch, mismatch))
        originals[line.external_id] = OriginalLine.of(line)  # a later line of the delivery may name it
    return dict(flags)
