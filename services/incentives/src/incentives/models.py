"""Every ORM model of the service, imported here so that `Base.metadata` knows all tables: migrations/env.py
imports this module, so autogenerate compares the database with every model.

Add a domain's models as `from incentives.<domain>.models import <Model>` (and to `__all__`); the test
`tests/test_models_and_migrations.py` fails until a migration creates what they declare.
"""

from incentives.db import Base
from incentives.replica.models import (
    DealRegistrationState,
    PartnerProfile,
    PartnerStatusPeriod,
    PartnerTierPeriod,
    SalesLine,
)

__all__ = [
    "Base",
    "DealRegistrationState",
    "PartnerProfile",
    "PartnerStatusPeriod",
    "PartnerTierPeriod",
    "SalesLine",
]
