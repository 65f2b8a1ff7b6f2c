"""Typed client of the scoring service's endpoints that other services call."""

from prm_contracts.clients.base import ServiceClient


class ScoringClient(ServiceClient):
    service = "scoring"
