"""The CSV shape of a sales line: one column per field of the webhook's line (`SalesTransaction`), the
customer's and product's fields flattened with their prefix (`customer_name`, `product_sku`). Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prm_contracts.sales import SalesTransaction
from prm_kit.errors import validation_issues
from pydantic import ValidationError

REQUIRED_COLUMNS = (
    "external_id",
    "kind",
    "occurred_on",
    "payment_status",
    "customer_name",
    "product_sku",
    "product_category",
    "quantity",
    "unit_price",
    "amount",
    "currency",
)
OPTIONAL_COLUMNS = (
    "invoice_id",
    "paid_on",
    "customer_domain",
    "customer_country",
    "customer_external_id",
    "customer_is_new",
    "cost",
    "deal_registration_id",
    "original_external_id",
)
_NESTED = ("customer", "product")


def transaction_of(values: Mapping[str, str]) -> SalesTransaction:
    """The line a CSV record describes; an empty optional field is the field left out. Raises pydantic's
    ValidationError as the webhook's model does."""
    line: dict[str, Any] = {"customer": {}, "product": {}}
    for column, value in values.items():
        if value == "" and column not in REQUIRED_COLUMNS:
            continue
        prefix, _, rest = column.partition("_")
        if prefix in _NESTED:
            line[prefix][rest] = _BOOLEANS.get(value.lower(), value) if column in _BOOLEAN_COLUMNS else value
        else:
            line[column] = value
    return SalesTransaction.model_validate(line)


# CSV has no booleans: `true`/`false` in any case (a spreadsheet writes TRUE) stand for them; anything else is
# refused by the model, which takes a JSON boolean only
_BOOLEAN_COLUMNS = frozenset({"customer_is_new"})
_BOOLEANS = {"true": True, "false": False}


def column_of(loc: tuple[int | str, ...] | list[int | str]) -> str | None:
    """The CSV column a validation error's location names (`("customer", "name")` → `customer_name`);
    None for a rule across fields (amount = quantity * unit_price)."""
    names = [str(part) for part in loc if isinstance(part, str)]
    return "_".join(names) if names else None


def invalid_fields(error: ValidationError) -> tuple[str | None, str]:
    """(first column at fault, every problem of the record in one sentence) of a refused record."""
    issues = validation_issues(error.errors())
    columns = [column_of(issue.loc) for issue in issues]
    detail = "; ".join(
        f"{column}: {issue.msg}" if column else issue.msg
        for column, issue in zip(columns, issues, strict=True)
    )
    return next((column for column in columns if column), None), detail
