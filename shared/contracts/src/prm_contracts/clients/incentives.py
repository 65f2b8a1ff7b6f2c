"""Typed client of the incentives service's endpoints that other services call."""

from prm_contracts.clients.base import ServiceClient


class IncentivesClient(ServiceClient):
    service = "incentives"
