"""Every ORM model of the service, imported here so that `Base.metadata` knows all tables: migrations/env.py
imports this module, so autogenerate compares the database with every model.

Add a domain's models as `from analytics.<domain>.models import <Model>` (and to `__all__`); the test
`tests/test_models_and_migrations.py` fails until a migration creates what they declare.
"""

from analytics.db import Base

__all__ = ["Base"]
