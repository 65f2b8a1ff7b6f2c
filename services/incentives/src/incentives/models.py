"""Every ORM model of the service, imported here so that `Base.metadata` knows all tables: migrations/env.py
imports this module, so autogenerate compares the database with every model.

Add a domain's models as `from incentives.<domain>.models import <Model>` (and to `__all__`); the test
`tests/test_models_and_migrations.py` fails until a migration creates what they declare.
"""

from incentives.adjustments.models import Adjustment
from incentives.calculation_runs.models import CalculationRun, Payout
from incentives.db import Base
from incentives.mdf.models import MdfAccrual, MdfAllocation, MdfBudget, MdfClaim, MdfRequest
from incentives.programmes.models import Programme, ProgrammeVersion
from incentives.replica.line_state_models import LineFlag, PendingPaymentChange
from incentives.replica.models import (
    DealRegistrationState,
    PartnerProfile,
    PartnerStatusPeriod,
    PartnerTierPeriod,
    SalesLine,
)
from incentives.replica.month_sum_models import (
    SalesMonthSum,
    SalesMonthTotal,
    SalesPaidMonthSum,
    SalesPaidMonthTotal,
)

__all__ = [
    "Adjustment",
    "Base",
    "CalculationRun",
    "DealRegistrationState",
    "LineFlag",
    "MdfAccrual",
    "MdfAllocation",
    "MdfBudget",
    "MdfClaim",
    "MdfRequest",
    "PartnerProfile",
    "PartnerStatusPeriod",
    "PartnerTierPeriod",
    "Payout",
    "PendingPaymentChange",
    "Programme",
    "ProgrammeVersion",
    "SalesLine",
    "SalesMonthSum",
    "SalesMonthTotal",
    "SalesPaidMonthSum",
    "SalesPaidMonthTotal",
]
