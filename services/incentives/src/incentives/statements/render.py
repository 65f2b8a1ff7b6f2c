"""A statement as CSV (one row per line contribution, adjustment and total, for spreadsheets) and as a
printable HTML page (server-rendered, inline style, no external assets)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from html import escape

from prm_contracts.incentives import StatementOut
from prm_kit.csv_rows import defused

CSV_HEADER = [
    "programme",
    "period",
    "run_status",
    "payout_status",
    "row",
    "line_external_id",
    "occurred_on",
    "product_sku",
    "line_kind",
    "line_amount",
    "line_currency",
    "fx_rate",
    "converted",
    "held",
    "rule",
    "rule_kind",
    "band",
    "rate",
    "amount",
    "currency",
    "note",
]


class _DefusedWriter:
    """A CSV writer whose every cell is `defused`: a line's external id or SKU comes from the partner's own
    system, and `=HYPERLINK(...)` must reach finance's spreadsheet as text, not as a formula."""

    def __init__(self, out: io.StringIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, cells: Sequence[object]) -> None:
        self._writer.writerow([defused(str(cell)) for cell in cells])


def statement_csv(statement: StatementOut) -> str:
    out = io.StringIO()
    writer = _DefusedWriter(out)
    writer.writerow(CSV_HEADER)
    for p in statement.programmes:
        head = [p.programme_name, statement.period, p.run_status.value, p.payout_status.value]
        currency = p.amount.currency
        for line in p.lines:
            facts = [
                line.external_id,
                line.occurred_on.isoformat(),
                line.product_sku,
                line.kind,
                format(line.amount.amount, "f"),
                line.amount.currency,
                line.fx_rate,
                line.converted,
                line.held or "",
            ]
            if not line.contributions:
                writer.writerow([*head, "line", *facts, "", "", "", "", "0", currency, ""])
            for c in line.contributions:
                band = "" if c.band is None else str(c.band)
                writer.writerow(
                    [
                        *head,
                        "line",
                        *facts,
                        str(c.rule),
                        c.kind.value,
                        band,
                        c.rate or "",
                        c.amount,
                        currency,
                        "",
                    ]
                )
        blank = [""] * 9
        if p.lines_unavailable:
            writer.writerow([*head, "lines_unavailable", *blank, "", "", "", "", "", "", p.lines_unavailable])
        for a in p.adjustments:
            amount = format(a.amount.amount, "f")
            writer.writerow(
                [*head, f"adjustment:{a.kind.value}", *blank, "", "", "", "", amount, currency, a.reason]
            )
        calculated = format(p.calculated.amount, "f")
        writer.writerow([*head, "calculated", *blank, "", "", "", "", calculated, currency, ""])
        writer.writerow(
            [
                *head,
                "payout",
                *blank,
                "",
                "",
                "",
                "",
                format(p.amount.amount, "f"),
                currency,
                p.hold_reason or "",
            ]
        )
    for total in statement.totals:
        writer.writerow(
            ["", statement.period, "", "", "total", *[""] * 13, format(total.amount, "f"), total.currency, ""]
        )
    return out.getvalue()


_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#111}table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #999;padding:.25em .5em;font-size:.85em;text-align:left}td.n{text-align:right}"
    ".held{background:#fff3cd}h2{margin-top:1.5em}@media print{body{margin:0}}"
)


def _cell(value: object, numeric: bool = False) -> str:
    css = ' class="n"' if numeric else ""
    return f"<td{css}>{escape('' if value is None else str(value))}</td>"


def statement_html(statement: StatementOut) -> str:
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>Statement {escape(statement.period)} — partner {statement.partner_id}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Incentive statement {escape(statement.period)}</h1><p>Partner {statement.partner_id}</p>",
    ]
    for p in statement.programmes:
        parts.append(
            f"<h2>{escape(p.programme_name)} (version {p.version_number})</h2>"
            f"<p>Run {escape(p.run_status.value)}; payout {escape(p.payout_status.value)}"
            + (f" — on hold: {escape(p.hold_reason)}" if p.hold_reason else "")
            + f"; held lines: {p.held_lines}</p>"
        )
        parts.append("<table><tr><th>Rule</th><th>Kind</th><th>Exact amount</th></tr>")
        parts += [f"<tr>{_cell(r.rule)}{_cell(r.kind.value)}{_cell(r.amount, True)}</tr>" for r in p.rules]
        parts.append("</table>")
        if p.lines_unavailable:
            parts.append(f"<p>Lines not shown: {escape(p.lines_unavailable)}.</p>")
        parts.append(
            "<table><tr><th>Line</th><th>Day</th><th>SKU</th><th>Kind</th><th>Amount</th><th>FX</th>"
            "<th>Converted</th><th>Held</th><th>Rule / band / rate → share</th><th>Payout</th></tr>"
        )
        for line in p.lines:
            shares = "; ".join(
                f"{c.kind.value} #{c.rule}"
                + (f" band {c.band}" if c.band is not None else "")
                + (f" @ {c.rate}" if c.rate else "")
                + f" → {c.amount}"
                for c in line.contributions
            )
            css = ' class="held"' if line.held else ""
            parts.append(
                f"<tr{css}>{_cell(line.external_id)}{_cell(line.occurred_on)}{_cell(line.product_sku)}"
                f"{_cell(line.kind)}{_cell(f'{line.amount.amount} {line.amount.currency}', True)}"
                f"{_cell(line.fx_rate, True)}{_cell(line.converted, True)}{_cell(line.held or '')}"
                f"{_cell(shares)}{_cell(line.payout, True)}</tr>"
            )
        parts.append("</table>")
        if p.adjustments:
            parts.append("<table><tr><th>Adjustment</th><th>Amount</th><th>Reason</th></tr>")
            parts += [
                f"<tr>{_cell(a.kind.value)}{_cell(a.amount.amount, True)}{_cell(a.reason)}</tr>"
                for a in p.adjustments
            ]
            parts.append("</table>")
        parts.append(
            f"<p>Calculated {p.calculated.amount} {p.calculated.currency}; paid "
            f"<strong>{p.amount.amount} {p.amount.currency}</strong>; MDF accrued {p.mdf_accrual.amount}</p>"
        )
    totals = ", ".join(f"{t.amount} {t.currency}" for t in statement.totals)
    parts.append(f"<h2>Total</h2><p><strong>{escape(totals)}</strong></p></body></html>")
    return "".join(parts)
