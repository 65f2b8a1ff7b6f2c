"""How well the deal-registration conflict check tells the same customer from a different one (quality only).

Run from the repository root:

    .venv/bin/python bench/matching_bench.py                 # the registry's current matcher
    .venv/bin/python bench/matching_bench.py --threshold 80  # the same matcher at another name threshold
    .venv/bin/python bench/matching_bench.py --decide my_pkg.matcher:decide   # another matcher
    .venv/bin/python bench/matching_bench.py --json /tmp/matching.json        # also write the figures

The labelled pairs are `bench/data/customer_pairs.csv` (how they were labelled: `customer_pairs.md`). Each pair
is one customer an earlier partner registered (left) and one a second partner registers now (right). A pair
should be flagged for review when it is `same_customer` or `same_group`, and not when it is `different`.

What "flagged" means is decided in one place, `registry_decision`, which reproduces what
`deal_registrations.submission.submit` does for one other partner's open registration:

1. the domains are normalised as the API does (`prm_contracts.deal_registrations.normalise_customer_domain`:
   bare host, lower case, no `www.`); a pair side without a domain has none (`customer_domain` is optional);
   both sides carry their country;
2. the registration is a candidate only if the database would find it: the same domain
   (`repository.open_ids_for_domain`) or at least one shared token (`matching.customer_tokens` of the name
   and domain, the token index behind `repository.ids_sharing_name_tokens`). With a single candidate no
   token is frequent, so the postings cut-off of `name_search` does not apply;
3. `matching.score_conflicts` scores it at the registry's default name threshold
   (`Settings.deal_name_match_threshold`); any customer conflict (same domain, look-alike name, same
   group) routes the registration to review.

Another matcher is swapped in with `--decide module:function`, a function taking a `Pair` and returning a
`Decision` (or anything with `flagged` and `score`). The script always exits 0: it measures, it does not gate.

Latency (the conflict check at 100,000 registrations through the gateway) is measured by
`bench/registry_bench.py`, not here.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol
from uuid import NAMESPACE_URL, uuid5

from partner_registry.config import Settings
from partner_registry.deal_registrations.matching import (
    Candidates,
    RegistrationCandidate,
    Submission,
    customer_tokens,
    name_form,
    name_similarity,
    normalise_name,
    score_conflicts,
)
from prm_contracts.deal_registrations import (
    ConflictKind,
    DealRegistrationStatus,
    normalise_customer_domain,
)
from rich.console import Console
from rich.table import Table

DATA = Path(__file__).resolve().parent / "data" / "customer_pairs.csv"
LABELS = ("same_customer", "same_group", "different")
POSITIVE = frozenset({"same_customer", "same_group"})
DEFAULT_THRESHOLD = float(Settings.model_fields["deal_name_match_threshold"].default)
NAME_KINDS = frozenset({ConflictKind.CUSTOMER_DOMAIN, ConflictKind.CUSTOMER_NAME, ConflictKind.SAME_GROUP})
EARLIER_PARTNER = uuid5(NAMESPACE_URL, "prm-bench:partner:left")
LATER_PARTNER = uuid5(NAMESPACE_URL, "prm-bench:partner:right")


@dataclass(frozen=True)
class Pair:
    id: str
    left_name: str
    left_domain: str
    left_country: str
    right_name: str
    right_domain: str
    right_country: str
    label: str
    category: str
    note: str

    @property
    def positive(self) -> bool:
        return self.label in POSITIVE


@dataclass(frozen=True)
class Decision:
    flagged: bool
    score: float  # 0-100: the strongest conflict's score, else the bare name similarity
    why: str = ""


class Decide(Protocol):
    def __call__(self, pair: Pair) -> Decision: ...


def read_pairs(path: Path = DATA) -> list[Pair]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [Pair(**row) for row in csv.DictReader(handle)]


def _domain(value: str) -> str | None:
    return normalise_customer_domain(value) if value.strip() else None


def registry_decision(pair: Pair, *, threshold: float = DEFAULT_THRESHOLD) -> Decision:
    """Would the registry route the right-hand registration to review because of the left-hand one?"""
    earlier = RegistrationCandidate(
        id=uuid5(NAMESPACE_URL, f"prm-bench:registration:{pair.id}"),
        partner_id=EARLIER_PARTNER,
        customer_name=pair.left_name,
        customer_domain=_domain(pair.left_domain),
        status=DealRegistrationStatus.APPROVED,
        products=["firewall"],
        name_key=normalise_name(pair.left_name),
        country=pair.left_country,
    )
    submission = Submission(
        partner_id=LATER_PARTNER,
        customer_name=pair.right_name,
        customer_domain=_domain(pair.right_domain),
        country=pair.right_country,
        region=None,
        customer_segment=None,
        products=["firewall"],
    )
    similarity, _ = name_similarity(name_form(pair.right_name), name_form(pair.left_name))
    same_domain = (
        earlier.customer_domain is not None and earlier.customer_domain == submission.customer_domain
    )
    shared = customer_tokens(pair.right_name, submission.customer_domain) & customer_tokens(
        pair.left_name, earlier.customer_domain
    )
    if not same_domain and not shared:
        return Decision(False, similarity, "not a candidate (no shared domain or token)")
    conflicts = [
        c
        for c in score_conflicts(submission, Candidates(registrations=[earlier]), name_threshold=threshold)
        if c.kind in NAME_KINDS
    ]
    if not conflicts:
        return Decision(False, similarity, "candidate below the name threshold")
    first = conflicts[0]
    rule = first.explanation.rule if first.explanation else ""
    return Decision(True, max(c.score for c in conflicts), f"{first.kind.value}: {rule}")


def load_decide(spec: str | None, threshold: float) -> Decide:
    """`module:function` of another matcher, else the registry's at `threshold`."""
    if spec is None:
        return lambda pair: registry_decision(pair, threshold=threshold)
    module_name, _, attribute = spec.partition(":")
    function: Callable[[Pair], Decision] = getattr(
        importlib.import_module(module_name), attribute or "decide"
    )
    return function


# --- measuring ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    pair: Pair
    decision: Decision

    @property
    def miss(self) -> bool:
        return self.pair.positive and not self.decision.flagged

    @property
    def false_alarm(self) -> bool:
        return not self.pair.positive and self.decision.flagged


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summary(outcomes: Iterable[Outcome]) -> dict[str, object]:
    outcomes = list(outcomes)
    tp = sum(o.pair.positive and o.decision.flagged for o in outcomes)
    fp = sum(o.false_alarm for o in outcomes)
    fn = sum(o.miss for o in outcomes)
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    by_label: dict[str, list[Outcome]] = defaultdict(list)
    by_category: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_label[o.pair.label].append(o)
        by_category[o.pair.category].append(o)

    def group(items: list[Outcome]) -> dict[str, object]:
        positives = [o for o in items if o.pair.positive]
        negatives = [o for o in items if not o.pair.positive]
        return {
            "pairs": len(items),
            "flagged": sum(o.decision.flagged for o in items),
            "positives": len(positives),
            "recall": _ratio(sum(o.decision.flagged for o in positives), len(positives)),
            "negatives": len(negatives),
            "false_alarm_rate": _ratio(sum(o.decision.flagged for o in negatives), len(negatives)),
            "correct": _ratio(sum(o.decision.flagged == o.pair.positive for o in items), len(items)),
        }

    return {
        "pairs": len(outcomes),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "true_negatives": len(outcomes) - tp - fp - fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "by_label": {label: group(by_label[label]) for label in LABELS if by_label[label]},
        "by_category": {name: group(items) for name, items in sorted(by_category.items())},
    }


def _percent(value: object) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}%"  # type: ignore[arg-type]


def _outcome_table(title: str, outcomes: list[Outcome]) -> Table:
    table = Table(title=f"{title} ({len(outcomes)})", show_lines=False, title_justify="left")
    for column in ("id", "label", "category", "left", "right", "score", "why"):
        table.add_column(column, overflow="fold", justify="right" if column == "score" else "left")
    for o in outcomes:
        p = o.pair
        table.add_row(
            p.id,
            p.label,
            p.category,
            f"{p.left_name} [dim]{p.left_domain or '-'} {p.left_country}[/]",
            f"{p.right_name} [dim]{p.right_domain or '-'} {p.right_country}[/]",
            f"{o.decision.score:.1f}",
            o.decision.why,
        )
    return table


def report(console: Console, outcomes: list[Outcome], figures: dict[str, object], matcher: str) -> None:
    counts = Counter(o.pair.label for o in outcomes)
    console.print(
        f"[bold]Conflict check quality[/] — {matcher}; {len(outcomes)} pairs "
        f"({', '.join(f'{counts[label]} {label}' for label in LABELS)}); "
        "flag for review = same_customer or same_group"
    )
    overall = Table(title="Overall", title_justify="left")
    for column in ("precision", "recall", "F1", "TP", "FP", "FN", "TN"):
        overall.add_column(column, justify="right")
    overall.add_row(
        _percent(figures["precision"]),
        _percent(figures["recall"]),
        _percent(figures["f1"]),
        *(
            str(figures[key])
            for key in ("true_positives", "false_positives", "false_negatives", "true_negatives")
        ),
    )
    console.print(overall)
    for title, key in (("Per label", "by_label"), ("Per category", "by_category")):
        table = Table(title=title, title_justify="left")
        for column in ("", "pairs", "flagged", "recall (positives)", "false alarms (negatives)", "correct"):
            table.add_column(column, justify="left" if not column else "right")
        groups: dict[str, dict[str, object]] = figures[key]  # type: ignore[assignment]
        for name, g in groups.items():
            table.add_row(
                name,
                str(g["pairs"]),
                str(g["flagged"]),
                f"{_percent(g['recall'])} of {g['positives']}",
                f"{_percent(g['false_alarm_rate'])} of {g['negatives']}",
                _percent(g["correct"]),
            )
        console.print(table)
    console.print(_outcome_table("Misses: should be flagged, were not", [o for o in outcomes if o.miss]))
    console.print(
        _outcome_table("False alarms: flagged, but different", [o for o in outcomes if o.false_alarm])
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the labelled pairs (CSV)")
    parser.add_argument(
        "--threshold",
        type=float,
        default=DEFAULT_THRESHOLD,
        help=f"name threshold of the registry's matcher (default {DEFAULT_THRESHOLD:g}, the service's)",
    )
    parser.add_argument("--decide", metavar="MODULE:FUNCTION", help="another matcher to measure")
    parser.add_argument("--json", type=Path, help="also write the figures and every decision here")
    parser.add_argument("--width", type=int, default=None, help="console width (default: the terminal's)")
    args = parser.parse_args(argv)

    decide = load_decide(args.decide, args.threshold)
    matcher = args.decide or f"registry matcher, name threshold {args.threshold:g}"
    outcomes = [Outcome(pair, decide(pair)) for pair in read_pairs(args.data)]
    figures = summary(outcomes)
    report(Console(width=args.width), outcomes, figures, matcher)
    if args.json is not None:
        document = {
            "matcher": matcher,
            **figures,
            "decisions": [
                {"id": o.pair.id, "label": o.pair.label, "category": o.pair.category, **asdict(o.decision)}
                for o in outcomes
            ],
        }
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
