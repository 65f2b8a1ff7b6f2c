"""Typed client of the analytics service's endpoints that other services call."""

from prm_contracts.clients.base import ServiceClient


class AnalyticsClient(ServiceClient):
    service = "analytics"
