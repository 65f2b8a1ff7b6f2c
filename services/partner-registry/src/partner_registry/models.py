"""Every ORM model of the service, imported so that `Base.metadata` knows all tables (migrations use it)."""

from partner_registry.agreements.models import Agreement
from partner_registry.applications.models import PartnerApplication
from partner_registry.certifications.models import Certification
from partner_registry.compliance.models import ComplianceAudit, ComplianceViolation
from partner_registry.conflicts.models import (
    ConflictCase,
    ConflictCaseParty,
    ConflictCaseRootCause,
    ConflictCaseStep,
)
from partner_registry.contacts.models import Contact
from partner_registry.db import Base
from partner_registry.deal_registrations.models import (
    DealRegistration,
    DealRegistrationConflict,
    DealRegistrationHistoryEntry,
    DealRegistrationNameToken,
)
from partner_registry.house_accounts.models import HouseAccount, HouseAccountNameToken
from partner_registry.onboarding.models import OnboardingChecklist, OnboardingChecklistItem
from partner_registry.partners.models import Partner, PartnerHistoryEntry, PartnerSpecialisation
from partner_registry.territories.models import Territory, TerritoryConflict
from partner_registry.tiers.models import PartnerTierChange, Tier
from partner_registry.webhook_secrets.models import PartnerWebhookSecret

__all__ = [
    "Agreement",
    "Base",
    "Certification",
    "ComplianceAudit",
    "ComplianceViolation",
    "ConflictCase",
    "ConflictCaseParty",
    "ConflictCaseRootCause",
    "ConflictCaseStep",
    "Contact",
    "DealRegistration",
    "DealRegistrationConflict",
    "DealRegistrationHistoryEntry",
    "DealRegistrationNameToken",
    "HouseAccount",
    "HouseAccountNameToken",
    "OnboardingChecklist",
    "OnboardingChecklistItem",
    "Partner",
    "PartnerApplication",
    "PartnerHistoryEntry",
    "PartnerSpecialisation",
    "PartnerTierChange",
    "PartnerWebhookSecret",
    "Territory",
    "TerritoryConflict",
    "Tier",
]
