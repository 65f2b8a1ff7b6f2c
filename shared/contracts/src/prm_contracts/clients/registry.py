"""Typed client of the partner-registry service's endpoints that other services call."""

from prm_contracts.clients.base import ServiceClient


class RegistryClient(ServiceClient):
    service = "partner-registry"
