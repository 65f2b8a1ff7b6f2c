"""Every ORM model of the service, imported so that `Base.metadata` knows all tables (migrations use it)."""

from partner_registry.contacts.models import Contact
from partner_registry.db import Base
from partner_registry.partners.models import Partner, PartnerHistoryEntry, PartnerSpecialisation

__all__ = ["Base", "Contact", "Partner", "PartnerHistoryEntry", "PartnerSpecialisation"]
