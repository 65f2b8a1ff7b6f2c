"""The onboarding checklist's rules: pure, no I/O.

Every partner's checklist has the standard items; a channel manager may add custom ones. It is complete
when every item is completed, and only then may the partner leave onboarding for active.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from prm_contracts.problem import UnprocessableContent, ValidationIssue

from partner_registry.onboarding.schemas import ChecklistItemChange

STANDARD_ITEMS: tuple[tuple[str, str], ...] = (
    ("agreement_signed", "Partner agreement signed"),
    ("tax_documents_received", "Tax documents received"),
    ("first_certification", "First certification earned"),
    ("portal_access", "Partner portal access granted"),
)
MAX_CUSTOM_ITEMS = 30


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    standard: bool
    completed_at: datetime | None = None
    completed_by: str | None = None
    note: str | None = None


def standard_items() -> list[Item]:
    """The checklist of a partner whose checklist has never changed: the standard items, none done."""
    return [Item(key=key, label=label, standard=True) for key, label in STANDARD_ITEMS]


def incomplete_keys(items: Sequence[Item]) -> list[str]:
    return [item.key for item in items if item.completed_at is None]


def _issue(index: int, field: str, msg: str, kind: str) -> ValidationIssue:
    return ValidationIssue(loc=["body", "items", index, field], msg=msg, type=kind)


def _changed_item(item: Item, change: ChecklistItemChange, *, actor: str, now: datetime) -> Item:
    given = change.model_fields_set
    if change.completed is True and item.completed_at is None:
        item = replace(item, completed_at=now, completed_by=actor)
    elif change.completed is False:
        item = replace(item, completed_at=None, completed_by=None)
    if "note" in given:
        item = replace(item, note=change.note)
    if change.label is not None:
        item = replace(item, label=change.label)
    return item


def apply_changes(
    items: Sequence[Item], changes: Sequence[ChecklistItemChange], *, actor: str, now: datetime
) -> list[Item]:
    """The checklist after `changes`; 422 listing every change that breaks a rule (nothing applied then)."""
    by_key = {item.key: item for item in items}
    result = list(items)
    issues: list[ValidationIssue] = []
    for index, change in enumerate(changes):
        current = by_key.get(change.key)
        if change.remove:
            if current is None:
                issues.append(
                    _issue(index, "key", f"the checklist has no item {change.key!r}", "item_unknown")
                )
            elif current.standard:
                issues.append(_issue(index, "remove", "standard items cannot be removed", "item_standard"))
            elif change.model_fields_set - {"key", "remove"}:
                issues.append(_issue(index, "remove", "a removed item takes no other change", "item_removed"))
            else:
                result = [item for item in result if item.key != change.key]
            continue
        if current is not None and current.standard and change.label is not None:
            issues.append(_issue(index, "label", "standard items keep their label", "item_standard"))
            continue
        if current is None:
            if change.label is None:
                issues.append(
                    _issue(index, "label", f"a new custom item {change.key!r} needs a label", "missing")
                )
                continue
            current = Item(key=change.key, label=change.label, standard=False)
            result.append(current)
        updated = _changed_item(current, change, actor=actor, now=now)
        result = [updated if item.key == change.key else item for item in result]
    if sum(not item.standard for item in result) > MAX_CUSTOM_ITEMS:
        issues.append(
            ValidationIssue(
                loc=["body", "items"],
                msg=f"a checklist may have at most {MAX_CUSTOM_ITEMS} custom items",
                type="too_many_items",
            )
        )
    if issues:
        raise UnprocessableContent(
            "; ".join(f"items.{i.loc[2]}.{i.loc[3]}: {i.msg}" if len(i.loc) > 3 else i.msg for i in issues),
            errors=issues,
        )
    return result
