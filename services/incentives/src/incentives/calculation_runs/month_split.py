"""Which of a run's lines the month sums stand for and which are read one by one (pure: no I/O).

A month's sum (replica/month_sum_models.py) stands for its lines only when the run treats all of them alike:
- the month lies wholly in the counting window (on the paid basis: the month they were paid in);
- neither the hold cutoff (`as_of` - hold days) nor an end of a SPIFF window falls inside it;
- for its partner, no change of tier or status (when eligibility reads them) and no approval of one of the
  partner's deal registrations (when a rule reads deals) takes effect after the month's first day, and no
  return of the month counts nowhere (clawed back by the programme, or its sale will never be paid);
- its foreign-currency lines have one FX rate on all their days, and none was recorded after the run's moment:
  both known only once the sums are read, so a second read moves such months to the lines (`with_fx`,
  `with_cells`).
The lines of every other month, and every line a flag holds (never in the sums), are read one by one. The two
reads are complementary: each line of the window counts exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from uuid import UUID

from prm_contracts.incentives import Basis, SpiffRule, VersionTerms
from prm_contracts.periods import Period

from incentives.calculation.reference import counting_window


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_days(month: date, days: int) -> list[date]:
    """The days of `month` whose bits are set in `days` (day d is bit d - 1)."""
    return [month.replace(day=bit + 1) for bit in range(31) if days >> bit & 1]


def _splits_month(last_before: date) -> bool:
    """Whether a boundary after `last_before` (the last day on one side) falls inside its month."""
    return (last_before + timedelta(days=1)).day != 1


@dataclass(frozen=True)
class Boundary:
    """A day from which a partner's lines fare differently (a tier or status change, a registration's approval),
    or the day of one of its returns that counts nowhere, clawed back or of a sale never paid (`whole_month`:
    its whole month goes to the lines)."""

    partner_id: UUID
    day: date
    whole_month: bool = False


@dataclass(frozen=True)
class Split:
    paid_basis: bool
    whole: tuple[date, ...]  # window months the sums serve (occurred months; paid months on the paid basis)
    partial: tuple[date, ...]  # window months partly outside the window: their lines are read one by one
    months: frozenset[date] = frozenset()  # occurred months read one by one for every partner
    cells: frozenset[tuple[UUID, date]] = field(default_factory=frozenset)  # (partner, occurred month)
    fx: frozenset[tuple[str, date]] = field(default_factory=frozenset)  # (currency, occurred month)

    def with_cells(self, cells: Iterable[tuple[UUID, date]]) -> Split:
        return replace(self, cells=self.cells | frozenset(cells))

    def with_fx(self, cells: Iterable[tuple[str, date]]) -> Split:
        return replace(self, fx=self.fx | frozenset(cells))

    def lines_only(self) -> Split:
        """Every line of the window read one by one, none from the sums."""
        return replace(self, whole=(), partial=tuple(sorted(self.whole + self.partial)))


def window_months(first: date, end: date) -> tuple[tuple[date, ...], tuple[date, ...]]:
    """The months of [first, end): those wholly inside, and those only partly."""
    whole: list[date] = []
    partial: list[date] = []
    month = month_of(first)
    while month < end:
        (whole if month >= first and next_month(month) <= end else partial).append(month)
        month = next_month(month)
    return tuple(whole), tuple(partial)


def split_of(terms: VersionTerms, period: Period, as_of: date, boundaries: Iterable[Boundary]) -> Split:
    first, end = counting_window(terms, period)
    whole, partial = window_months(first, end)
    months = set()
    cutoff = as_of - timedelta(days=terms.hold_days)  # lines after it are held
    if _splits_month(cutoff):
        months.add(month_of(cutoff))
    for rule in terms.rules:
        if isinstance(rule, SpiffRule):
            if rule.window.from_.day != 1:
                months.add(month_of(rule.window.from_))
            if _splits_month(rule.window.to):
                months.add(month_of(rule.window.to))
    cells = {(b.partner_id, month_of(b.day)) for b in boundaries if b.whole_month or b.day.day != 1}
    return Split(terms.basis is Basis.PAID, whole, partial, frozenset(months), frozenset(cells))
