"""Market development funds: budgets, allocations per partner, fund requests, claims and accruals."""
