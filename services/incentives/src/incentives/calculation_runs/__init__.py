"""Calculation runs: set-based payouts of a programme version for a period, draft → approved → paid."""
