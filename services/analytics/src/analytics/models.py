"""Every ORM model of the service, imported here so that `Base.metadata` knows all tables: migrations/env.py
imports this module, so autogenerate compares the database with every model.

Add a domain's models as `from analytics.<domain>.models import <Model>` (and to `__all__`); the test
`tests/test_models_and_migrations.py` fails until a migration creates what they declare.
"""

from analytics.acquisition_spend.models import AcquisitionSpend
from analytics.anomalies.models import AnomalyFlag
from analytics.db import Base
from analytics.fx.models import FxRate
from analytics.kpis.models import SalesCustomerMonthRollup
from analytics.market_sizes.models import MarketSize
from analytics.partners.models import (
    DealRegistrationOutcome,
    PartnerDimension,
    PartnerStatusPeriod,
    PartnerTierPeriod,
)
from analytics.sales.models import (
    SalesCustomerRollup,
    SalesDailyRollup,
    SalesLine,
    SalesLineKey,
    SalesMonthlyRollup,
    SalesWebhookReceipt,
)
from analytics.surveys.models import SurveyResponse
from analytics.targets.models import Target

__all__ = [
    "AcquisitionSpend",
    "AnomalyFlag",
    "Base",
    "DealRegistrationOutcome",
    "FxRate",
    "MarketSize",
    "PartnerDimension",
    "PartnerStatusPeriod",
    "PartnerTierPeriod",
    "SalesCustomerMonthRollup",
    "SalesCustomerRollup",
    "SalesDailyRollup",
    "SalesLine",
    "SalesLineKey",
    "SalesMonthlyRollup",
    "SalesWebhookReceipt",
    "SurveyResponse",
    "Target",
]
