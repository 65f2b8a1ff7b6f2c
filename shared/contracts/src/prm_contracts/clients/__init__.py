from prm_contracts.clients.analytics import AnalyticsClient
from prm_contracts.clients.base import ServiceClient
from prm_contracts.clients.incentives import IncentivesClient
from prm_contracts.clients.registry import RegistryClient
from prm_contracts.clients.scoring import ScoringClient

__all__ = ["AnalyticsClient", "IncentivesClient", "RegistryClient", "ScoringClient", "ServiceClient"]
