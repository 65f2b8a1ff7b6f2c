"""The problems MDF answers with, beside the generic ones (404, 403, 412)."""

from __future__ import annotations

from prm_contracts.problem import Conflict, UnprocessableContent


class BudgetExceeded(Conflict):
    slug, title = "mdf-budget-exceeded", "Allocation exceeds the budget's unallocated funds"
    members = {"unallocated": "What the budget can still allocate (Money)."}


class AllocationExceeded(Conflict):
    slug, title = "mdf-allocation-exceeded", "Request exceeds the allocation's remaining funds"
    members = {
        "remaining": "What the allocation can still reserve (Money): available minus pending and approved."
    }


class RequestExceeded(Conflict):
    slug, title = "mdf-request-exceeded", "Claim exceeds the approved request's unclaimed amount"
    members = {"unclaimed": "What claims on the request may still ask for (Money)."}


class AlreadyAllocated(Conflict):
    slug, title = "mdf-already-allocated", "The partner already has an allocation in this budget"


class AlreadyDecided(Conflict):
    slug, title = "mdf-already-decided", "Already decided"
    members = {"current_status": "The status it has now."}


class WrongState(Conflict):
    slug, title = "mdf-wrong-state", "Not in a state that allows this"
    members = {"current_status": "The status it has now."}


class CurrencyMismatch(UnprocessableContent):
    slug, title = "mdf-currency-mismatch", "Currency differs from the budget's"


class AmountPrecision(UnprocessableContent):
    slug, title = "mdf-amount-precision", "Amount finer than the currency's minor unit"
