"""The sales webhooks' fixtures (a signing sender, the clock), for KPI tests; the registry's: ../conftest.py."""

from ..sales.conftest import clock, sender

__all__ = ["clock", "sender"]
