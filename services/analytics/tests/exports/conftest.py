"""The sales webhooks' fixtures (a signing sender, the registry stood in for, the clock), for KPI tests."""

from ..sales.conftest import clock, registry, sender

__all__ = ["clock", "registry", "sender"]
