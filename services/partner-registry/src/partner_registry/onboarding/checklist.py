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


def _removal_issue(index: int, change: ChecklistItemChange, current: Item | None) -> ValidationIssue | None:
    """Why `change` cannot remove its item, if it cannot."""
    if current is None:
        return _issue(index, "key", f"the checklist has no item {change.key!r}", "item_unknown")
    if current.standard:
        return _issue(index, "remove", "standard items cannot be removed", "item_standard")
    if change.model_fields_set - {"key", "remove"}:
        return _issue(index, "remove", "a removed item takes no other change", "item_removed")
    return None


def _update_issue(index: int, change: ChecklistItemChange, current: Item | None) -> ValidationIssue | None:
    """Why `change` cannot change its item (or add it, when the checklist has none such), if it cannot."""
    if current is not None and current.standard and change.label is not None:
        return _issue(index, "label", "standard items keep their label", "item_standard")
    if current is None and change.label is None:
        return _issue(index, "label", f"a new custom item {change.key!r} needs a label", "missing")
    return None


def _with_change(
    items: list[Item], change: ChecklistItemChange, current: Item | None, *, actor: str, now: datetime
) -> list[Item]:
    """`items` after one change that breaks no rule."""
    if change.remove:
        return [item for item in items if item.key != change.key]
    if current is None:
        assert change.label is not None  # _update_issue refuses a new item without a label
        added = Item(key=change.key, label=change.label, standard=False)
        return [*items, _changed_item(added, change, actor=actor, now=now)]
    updated = _changed_item(current, change, actor=actor, now=now)
    return [updated if item.key == change.key else item for item in items]


def _custom_items_issue(items: Sequence[Item]) -> ValidationIssue | None:
    if sum(not item.standard for item in items) <= MAX_CUSTOM_ITEMS:
        return None
    return ValidationIssue(
        loc=["body", "items"],
        msg=f"a checklist may have at most {MAX_CUSTOM_ITEMS} custom items",
        type="too_many_items",
    )


def _refusal(issues: Sequence[ValidationIssue]) -> UnprocessableContent:
    return UnprocessableContent(
        "; ".join(f"items.{i.loc[2]}.{i.loc[3]}: {i.msg}" if len(i.loc) > 3 else i.msg for i in issues),
        errors=list(issues),
    )


def apply_changes(
    items: Sequence[Item], changes: Sequence[ChecklistItemChange], *, actor: str, now: datetime
) -> list[Item]:
    """The checklist after `changes`; 422 listing every change that breaks a rule (nothing applied then)."""
    by_key = {item.key: item for item in items}  # a patch names each key once (ChecklistPatch)
    result = list(items)
    issues: list[ValidationIssue] = []
    for index, change in enumerate(changes):
        current = by_key.get(change.key)
        check = _removal_issue if change.remove else _update_issue
        if (issue := check(index, change, current)) is not None:
            issues.append(issue)
        else:
            result = _with_change(result, change, current, actor=actor, now=now)
    if (too_many := _custom_items_issue(result)) is not None:
        issues.append(too_many)
    if issues:
        raise _refusal(issues)
    return result
