"""Rates stored in programme versions written as the document's pattern says (`^[0-9](\\.[0-9]{1,8})?$`).

Rates were once taken in looser spellings of the same number: "-0", "0.0300000000" (places past the 8th all
zeros), "00.5". They are refused now, and a stored version is read back through the contract, so each such
rate is rewritten here as the same number in the documented form ("0", "0.03", "0.5"); nothing else changes.

Revision ID: incentives0018
Revises: incentives0017
Create Date: 2026-12-02
"""

import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "incentives0018"
down_revision: str | None = "incentives0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DOCUMENTED = re.compile(r"^[0-9](\.[0-9]{1,8})?$")


def _documented(rate: str) -> str:
    number = Decimal(rate).normalize()
    return format(abs(number) if number == 0 else number, "f")


def _rewritten(node: Any) -> Any:
    if isinstance(node, list):
        return [_rewritten(item) for item in node]
    if isinstance(node, dict):
        return {
            key: _documented(value)
            if key == "rate" and isinstance(value, str) and not _DOCUMENTED.fullmatch(value)
            else _rewritten(value)
            for key, value in node.items()
        }
    return node


def upgrade() -> None:
    bind = op.get_bind()
    versions = sa.table("programme_version", sa.column("id", sa.Uuid()), sa.column("rules", sa.JSON()))
    for version_id, rules in bind.execute(sa.select(versions.c.id, versions.c.rules)).all():
        stored = json.loads(rules) if isinstance(rules, str) else rules
        rewritten = _rewritten(stored)
        if rewritten != stored:
            bind.execute(versions.update().where(versions.c.id == version_id).values(rules=rewritten))


def downgrade() -> None:
    pass  # the documented form is the same number
