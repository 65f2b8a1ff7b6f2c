"""The partner-registry demo set as plain tables: made-up companies, customers and what happens to them.

Everything is fixed; days are counted from the day of loading (negative: in the past), so the set looks the
same whenever it is loaded. Partners are named by a short key that the other tables refer to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- vocabulary --------------------------------------------------------------------------------------------

DISTRIBUTOR, RESELLER, VAR, SI, MSP, REFERRAL, AGENT = (
    "distributor",
    "reseller",
    "var",
    "system_integrator",
    "msp",
    "referral",
    "agent",
)
SMB, MID, ENT, PUBLIC = "smb", "mid_market", "enterprise", "public_sector"
PROSPECT, APPLIED, ONBOARDING, ACTIVE, SUSPENDED, TERMINATED = (
    "prospect",
    "applied",
    "onboarding",
    "active",
    "suspended",
    "terminated",
)

# Tier paths: the partner climbed the ladder in this order, one step every TIER_STEP_DAYS.
REGISTERED = ("registered",)
SILVER = ("registered", "silver")
GOLD = ("registered", "silver", "gold")
PLATINUM = ("registered", "silver", "gold", "platinum")
TIER_STEP_DAYS = 180

SALES_REGION = {
    "DE": "DACH",
    "FR": "France",
    "GB": "UK & Ireland",
    "US": "North America",
    "CA": "North America",
    "NL": "Benelux",
    "ES": "Iberia",
    "IT": "Italy",
    "SE": "Nordics",
    "JP": "Japan",
    "AU": "ANZ",
    "BR": "LATAM",
}
CURRENCY = {
    "DE": "EUR",
    "FR": "EUR",
    "NL": "EUR",
    "ES": "EUR",
    "IT": "EUR",
    "GB": "GBP",
    "US": "USD",
    "CA": "CAD",
    "SE": "SEK",
    "JP": "JPY",
    "AU": "AUD",
    "BR": "BRL",
}
DIAL_CODE = {
    "DE": "49",
    "FR": "33",
    "GB": "44",
    "US": "1",
    "CA": "1",
    "NL": "31",
    "ES": "34",
    "IT": "39",
    "SE": "46",
    "JP": "81",
    "AU": "61",
    "BR": "55",
}
AGREEMENT_TYPE = {
    DISTRIBUTOR: "distribution",
    RESELLER: "reseller",
    VAR: "reseller",
    SI: "reseller",
    MSP: "msp",
    REFERRAL: "referral",
    AGENT: "referral",
}


# --- partners ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerSeed:
    """A partner and where its story ends. `application`: it applied through `POST /v1/applications`
    (approved when it got further than `applied`, rejected when it ends `terminated`)."""

    key: str
    legal_name: str
    display_name: str
    partner_type: str
    country: str
    domain: str
    registration_number: str
    founded: int
    employees: int
    revenue: str  # in the country's currency
    contact: str  # the primary contact's name
    status: str
    tiers: tuple[str, ...] = ()
    product_lines: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    segments: tuple[str, ...] = (SMB,)
    application: bool = False
    status_reason: str | None = None  # for suspended and terminated


PARTNERS: tuple[PartnerSeed, ...] = (
    # distributors
    PartnerSeed(
        "nordwind", "Nordwind Distribution GmbH", "Nordwind Distribution", DISTRIBUTOR, "DE",
        "nordwind-distribution.de", "HRB 48213", 1998, 640, "182000000.00", "Katrin Vogel", ACTIVE, PLATINUM,
        ("networking", "security", "storage"), ("manufacturing", "logistics"), (SMB, MID, ENT),
    ),
    PartnerSeed(
        "albion", "Albion Channel Supply Ltd", "Albion Channel Supply", DISTRIBUTOR, "GB",
        "albionchannel.co.uk", "07214593", 2004, 310, "96500000.00", "Oliver Bennett", ACTIVE, GOLD,
        ("networking", "cloud", "collaboration"), ("retail", "financial services"), (SMB, MID),
    ),
    PartnerSeed(
        "maplegate", "Maplegate Distribution Inc.", "Maplegate", DISTRIBUTOR, "CA",
        "maplegate.ca", "BC1048823", 2001, 220, "74000000.00", "Chloé Tremblay", ACTIVE, GOLD,
        ("storage", "networking"), ("government", "forestry"), (MID, ENT, PUBLIC),
    ),
    PartnerSeed(
        "sakura", "Sakura Trading K.K.", "Sakura Trading", DISTRIBUTOR, "JP",
        "sakura-trading.co.jp", "0104-01-118842", 1987, 890, "21500000000", "Haruto Sato", ACTIVE, PLATINUM,
        ("networking", "security"), ("manufacturing", "automotive"), (MID, ENT),
    ),
    PartnerSeed(
        "cruzeiro", "Cruzeiro Distribuidora Ltda.", "Cruzeiro", DISTRIBUTOR, "BR",
        "cruzeirodistribuidora.com.br", "12.345.678/0001-90", 2009, 180, "210000000.00", "Lucas Almeida",
        ACTIVE, SILVER, ("networking", "cloud"), ("agribusiness", "retail"), (SMB, MID),
    ),
    # resellers
    PartnerSeed(
        "rheinblick", "Rheinblick IT GmbH", "Rheinblick IT", RESELLER, "DE",
        "rheinblick-it.de", "HRB 90211", 2011, 45, "12400000.00", "Jonas Krämer", ACTIVE, SILVER,
        ("security", "endpoint"), ("healthcare",), (SMB,),
    ),
    PartnerSeed(
        "lumiere", "Lumière Réseaux S.A.S.", "Lumière Réseaux", RESELLER, "FR",
        "lumiere-reseaux.fr", "RCS Paris 812 334 107", 2013, 60, "15800000.00", "Camille Laurent", ACTIVE,
        GOLD, ("networking", "wifi"), ("hospitality", "education"), (SMB, MID),
    ),
    PartnerSeed(
        "canalsur", "Canal Sur Soluciones S.L.", "Canal Sur", RESELLER, "ES",
        "canalsur-soluciones.es", "B-87654321", 2010, 38, "7200000.00", "Lucía Romero", ACTIVE, REGISTERED,
        ("networking", "collaboration"), ("public administration",), (SMB, PUBLIC),
    ),
    PartnerSeed(
        "lagom", "Lagom Nätverk AB", "Lagom Nätverk", RESELLER, "SE",
        "lagomnatverk.se", "556789-1234", 2015, 22, "41000000.00", "Elin Lindqvist", ACTIVE,
        # promoted to gold, then back to silver when its revenue fell short
        ("registered", "silver", "gold", "silver"), ("networking", "security"), ("education",), (SMB,),
    ),
    PartnerSeed(
        "harbourview", "Harbourview Technology Pty Ltd", "Harbourview Technology", RESELLER, "AU",
        "harbourviewtech.com.au", "ACN 612 345 678", 2012, 75, "23500000.00", "Mia Thompson", ACTIVE, GOLD,
        ("cloud", "security"), ("mining", "healthcare"), (MID,),
    ),
    PartnerSeed(
        "pioneer", "Pioneer Valley Technologies Inc.", "Pioneer Valley Tech", RESELLER, "US",
        "pioneervalleytech.com", "EIN 04-3381920", 2006, 55, "18700000.00", "Ethan Brooks", SUSPENDED,
        SILVER, ("endpoint", "security"), ("education", "healthcare"), (SMB, PUBLIC),
        status_reason="Invoices unpaid for more than 90 days; resumes once the account is settled",
    ),
    # value-added resellers
    PartnerSeed(
        "bluefjord", "Blue Fjord Solutions AB", "Blue Fjord", VAR, "SE",
        "bluefjord.se", "556123-9876", 2008, 95, "160000000.00", "Anders Nyberg", ACTIVE, GOLD,
        ("security", "cloud"), ("financial services",), (MID, ENT),
    ),
    PartnerSeed(
        "tulpenveld", "Tulpenveld ICT B.V.", "Tulpenveld ICT", VAR, "NL",
        "tulpenveld-ict.nl", "KvK 61234567", 2003, 120, "28000000.00", "Sanne de Vries", ACTIVE, GOLD,
        ("storage", "networking", "cloud"), ("logistics", "horticulture"), (MID,),
    ),
    PartnerSeed(
        "sierra", "Sierra Crest Systems Inc.", "Sierra Crest", VAR, "US",
        "sierracrest.com", "EIN 27-1184530", 2002, 210, "64000000.00", "Rachel Kim", ACTIVE, PLATINUM,
        ("security", "networking"), ("healthcare", "financial services"), (ENT,),
    ),
    PartnerSeed(
        "vesuvio", "Vesuvio Informatica S.r.l.", "Vesuvio Informatica", VAR, "IT",
        "vesuvio-informatica.it", "NA-845512", 2007, 48, "9600000.00", "Giulia Esposito", ACTIVE, SILVER,
        ("networking", "security"), ("manufacturing", "tourism"), (SMB, MID),
    ),
    PartnerSeed(
        "kookaburra", "Kookaburra Networks Pty Ltd", "Kookaburra Networks", VAR, "AU",
        "kookaburranetworks.com.au", "ACN 098 765 432", 2016, 30, "8900000.00", "Jack Wilson", ONBOARDING,
        REGISTERED, ("wifi", "networking"), ("education",), (SMB,),
    ),
    # system integrators
    PartnerSeed(
        "hexacore", "Hexacore Systemhaus AG", "Hexacore", SI, "DE",
        "hexacore.de", "HRB 77120", 1995, 1450, "310000000.00", "Matthias Brandt", ACTIVE, PLATINUM,
        ("networking", "security", "cloud", "storage"), ("automotive", "manufacturing", "public sector"),
        (ENT, PUBLIC),
    ),
    PartnerSeed(
        "ateliers", "Les Ateliers Numériques S.A.", "Ateliers Numériques", SI, "FR",
        "ateliers-numeriques.fr", "RCS Lyon 503 221 904", 1999, 780, "142000000.00", "Antoine Girard", ACTIVE,
        PLATINUM, ("cloud", "security", "collaboration"), ("energy", "public sector"), (ENT, PUBLIC),
    ),
    PartnerSeed(
        "thamesgate", "Thamesgate Consulting Ltd", "Thamesgate", SI, "GB",
        "thamesgate.co.uk", "05566778", 2005, 340, "51000000.00", "Priya Shah", ACTIVE, GOLD,
        ("cloud", "collaboration"), ("financial services", "legal"), (ENT,),
    ),
    PartnerSeed(
        "yamato", "Yamato Systems K.K.", "Yamato Systems", SI, "JP",
        "yamato-systems.co.jp", "0100-01-204517", 1992, 520, "9800000000", "Yui Takahashi", ACTIVE, GOLD,
        ("networking", "storage"), ("manufacturing", "electronics"), (ENT,),
    ),
    PartnerSeed(
        "atlantica", "Atlântica Integração Ltda.", "Atlântica Integração", SI, "BR",
        "atlantica-integracao.com.br", "23.456.789/0001-12", 2012, 260, "95000000.00", "Beatriz Costa",
        ONBOARDING, (), ("cloud", "networking"), ("banking", "retail"), (MID, ENT), application=True,
    ),
    # managed service providers
    PartnerSeed(
        "dijkstra", "Dijkstra Managed IT B.V.", "Dijkstra Managed IT", MSP, "NL",
        "dijkstra-managed.nl", "KvK 70112233", 2014, 85, "13500000.00", "Pieter Jansen", ACTIVE, SILVER,
        ("managed security", "cloud backup"), ("healthcare", "legal"), (SMB, MID),
    ),
    PartnerSeed(
        "cedar", "Cedar Ridge Managed Services Inc.", "Cedar Ridge MS", MSP, "US",
        "cedarridgems.com", "EIN 81-2233445", 2011, 140, "27500000.00", "Daniel Ortiz", ACTIVE, GOLD,
        ("managed security", "endpoint", "cloud backup"), ("healthcare",), (SMB, MID),
    ),
    PartnerSeed(
        "laurentide", "Laurentide Services Gérés Inc.", "Laurentide Managed Services", MSP, "CA",
        "laurentide-ms.ca", "QC 1172345678", 2017, 40, "6800000.00", "Émile Gagnon", ONBOARDING, REGISTERED,
        ("managed security", "cloud"), ("government",), (SMB, PUBLIC),
    ),
    PartnerSeed(
        "iberonube", "IberoNube Servicios Gestionados S.A.", "IberoNube", MSP, "ES",
        "iberonube.es", "A-28123456", 2016, 110, "16200000.00", "Javier Martín", ACTIVE, SILVER,
        ("cloud", "managed security"), ("tourism", "retail"), (SMB, MID),
    ),
    PartnerSeed(
        "southerncross", "Southern Cross Managed IT Pty Ltd", "Southern Cross IT", MSP, "AU",
        "southerncrossit.com.au", "ACN 155 432 109", 2013, 65, "11200000.00", "Liam O'Connor", TERMINATED,
        SILVER, ("managed security", "cloud backup"), ("mining", "agriculture"), (SMB, MID),
        status_reason="Breach of partner agreement §7: hardware resold to a grey-market broker",
    ),
    # referral partners
    PartnerSeed(
        "brightpath", "Brightpath Advisory Ltd", "Brightpath Advisory", REFERRAL, "GB",
        "brightpath-advisory.co.uk", "09876543", 2018, 12, "2100000.00", "Hannah Clarke", ACTIVE, REGISTERED,
        (), ("financial services",), (MID,),
    ),
    PartnerSeed(
        "montblanc", "Mont Blanc Conseil SARL", "Mont Blanc Conseil", REFERRAL, "FR",
        "montblanc-conseil.fr", "RCS Annecy 791 002 336", 2016, 8, "1400000.00", "Julien Favre", PROSPECT,
        (), (), ("hospitality",), (SMB,),
    ),
    PartnerSeed(
        "toscana", "Toscana Digital Partners S.r.l.", "Toscana Digital", REFERRAL, "IT",
        "toscanadigital.it", "FI-612233", 2019, 15, "1900000.00", "Marco Bianchi", ACTIVE, REGISTERED,
        ("cloud",), ("fashion", "tourism"), (SMB,), application=True,
    ),
    PartnerSeed(
        "granitepeak", "Granite Peak Advisors Inc.", "Granite Peak Advisors", REFERRAL, "US",
        "granitepeakadvisors.com", "EIN 46-5566778", 2017, 9, "1200000.00", "Megan Carter", PROSPECT,
        (), (), ("real estate",), (SMB,),
    ),
    PartnerSeed(
        "oresund", "Öresund Partners AB", "Öresund Partners", REFERRAL, "SE",
        "oresundpartners.se", "559012-3456", 2020, 6, "9500000.00", "Sofia Berg", APPLIED,
        (), (), ("life sciences",), (MID,), application=True,
    ),
    # agents
    PartnerSeed(
        "hanse", "Hanse Vertriebsagentur GmbH", "Hanse Vertrieb", AGENT, "DE",
        "hanse-vertrieb.de", "HRB 132456", 2015, 7, "1100000.00", "Lena Petersen", ACTIVE, REGISTERED,
        ("networking",), ("logistics",), (SMB,),
    ),
    PartnerSeed(
        "boreal", "Boreal Sales Agency Inc.", "Boreal Sales", AGENT, "CA",
        "borealsales.ca", "ON 2345678", 2019, 5, "850000.00", "Noah Campbell", APPLIED,
        (), ("networking",), ("government",), (PUBLIC,), application=True,
    ),
    PartnerSeed(
        "solnaciente", "Agencia Sol Naciente S.L.", "Sol Naciente", AGENT, "ES",
        "solnaciente.es", "B-66778899", 2018, 4, "600000.00", "Carmen Ruiz", TERMINATED,
        (), (), ("tourism",), (SMB,), application=True,
        status_reason="Below the minimum revenue and staff for agents; no references in the target segment",
    ),
    PartnerSeed(
        "fujimi", "Fujimi Sales Agency K.K.", "Fujimi Sales", AGENT, "JP",
        "fujimi-sales.co.jp", "0110-01-556677", 2014, 11, "320000000", "Ren Watanabe", PROSPECT,
        (), ("networking",), ("manufacturing",), (SMB,),
    ),
    PartnerSeed(
        "paulista", "Agência Paulista de Negócios Ltda.", "Paulista Negócios", AGENT, "BR",
        "paulistanegocios.com.br", "34.567.890/0001-23", 2017, 14, "4800000.00", "Rafael Souza", SUSPENDED,
        REGISTERED, ("networking",), ("retail",), (SMB,),
        status_reason="Failed MDF audit: claims for events that did not take place; suspended pending review",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class ContactSeed:
    partner: str
    name: str
    role: str


# Beside each partner's primary contact (PartnerSeed.contact).
MORE_CONTACTS: tuple[ContactSeed, ...] = (
    ContactSeed("nordwind", "Stefan Hoffmann", "sales"),
    ContactSeed("nordwind", "Aylin Demir", "technical"),
    ContactSeed("nordwind", "Birgit Schulz", "billing"),
    ContactSeed("sakura", "Aoi Nakamura", "technical"),
    ContactSeed("sierra", "Marcus Lee", "technical"),
    ContactSeed("sierra", "Olivia Grant", "marketing"),
    ContactSeed("hexacore", "Sabine Keller", "sales"),
    ContactSeed("hexacore", "Tobias Wagner", "technical"),
    ContactSeed("ateliers", "Nathalie Moreau", "technical"),
    ContactSeed("thamesgate", "George Hughes", "billing"),
    ContactSeed("bluefjord", "Karin Ek", "technical"),
    ContactSeed("tulpenveld", "Daan Bakker", "sales"),
    ContactSeed("cedar", "Sarah Nguyen", "technical"),
    ContactSeed("albion", "Emily Walsh", "marketing"),
)


# --- territories -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TerritorySeed:
    partner: str
    country: str
    region: str | None = None
    segment: str | None = None
    exclusive: bool = False


# Exclusive territories are regional, so that deals registered without a region stay clear of them. Two
# overlaps are on purpose: Lumière's and Ateliers' exclusive Île-de-France, and Cedar Ridge's California
# inside Sierra Crest's exclusive one (enterprise): both show in GET /v1/territories/conflicts.
TERRITORIES: tuple[TerritorySeed, ...] = (
    TerritorySeed("nordwind", "DE", "North Rhine-Westphalia"),
    TerritorySeed("nordwind", "DE", "Hamburg"),
    TerritorySeed("nordwind", "AT"),
    TerritorySeed("nordwind", "CH"),
    TerritorySeed("albion", "GB"),
    TerritorySeed("albion", "IE"),
    TerritorySeed("maplegate", "CA", "Ontario"),
    TerritorySeed("maplegate", "CA", "British Columbia"),
    TerritorySeed("sakura", "JP", "Kantō"),
    TerritorySeed("sakura", "JP", "Kansai"),
    TerritorySeed("cruzeiro", "BR", "São Paulo"),
    TerritorySeed("cruzeiro", "BR", "Paraná"),
    TerritorySeed("rheinblick", "DE", "Rhineland-Palatinate", SMB),
    TerritorySeed("lumiere", "FR", "Île-de-France", exclusive=True),
    TerritorySeed("canalsur", "ES", "Andalusia"),
    TerritorySeed("lagom", "SE", "Stockholm County"),
    TerritorySeed("harbourview", "AU", "New South Wales", exclusive=True),
    TerritorySeed("bluefjord", "SE", "Västra Götaland"),
    TerritorySeed("bluefjord", "NO"),
    TerritorySeed("tulpenveld", "NL"),
    TerritorySeed("tulpenveld", "BE"),
    TerritorySeed("sierra", "US", "California", ENT, exclusive=True),
    TerritorySeed("sierra", "US", "Oregon"),
    TerritorySeed("vesuvio", "IT", "Campania"),
    TerritorySeed("hexacore", "DE", "Bavaria", ENT, exclusive=True),
    TerritorySeed("hexacore", "DE", "Baden-Württemberg"),
    TerritorySeed("ateliers", "FR", "Île-de-France", PUBLIC, exclusive=True),
    TerritorySeed("ateliers", "FR", "Auvergne-Rhône-Alpes"),
    TerritorySeed("thamesgate", "GB", "London", ENT),
    TerritorySeed("yamato", "JP", "Chūbu"),
    TerritorySeed("dijkstra", "NL", "North Holland", SMB),
    TerritorySeed("cedar", "US", "California"),
    TerritorySeed("cedar", "US", "Nevada"),
    TerritorySeed("iberonube", "ES", "Catalonia"),
    TerritorySeed("iberonube", "ES", "Balearic Islands"),
    TerritorySeed("pioneer", "US", "Massachusetts", SMB),
    TerritorySeed("toscana", "IT", "Tuscany"),
    TerritorySeed("hanse", "DE", "Bremen"),
    TerritorySeed("southerncross", "AU", "Western Australia"),
    TerritorySeed("paulista", "BR", "São Paulo", SMB),
)


# --- certifications, agreements, compliance ----------------------------------------------------------------

# What a partner's people hold by the tier it reached; the first is the company's, the rest its primary
# contact's. Expiry dates cycle through CERTIFICATE_EXPIRY_DAYS (days from today), so a few run out within
# the month and show in GET /v1/certifications/expiring.
CERTIFICATES_BY_TIER: dict[str, tuple[tuple[str, str], ...]] = {
    "registered": (("Partner Sales Accreditation", "Foundation"),),
    "silver": (("Partner Sales Accreditation", "Foundation"), ("Network Technical Associate", "Associate")),
    "gold": (
        ("Partner Sales Accreditation", "Foundation"),
        ("Network Technical Associate", "Associate"),
        ("Network Security Specialist", "Professional"),
    ),
    "platinum": (
        ("Partner Sales Accreditation", "Foundation"),
        ("Network Technical Associate", "Associate"),
        ("Network Security Specialist", "Professional"),
        ("Cloud Solutions Architect", "Expert"),
    ),
}
CERTIFICATE_EXPIRY_DAYS = (
    410,
    18,
    265,
    540,
    95,
    330,
    620,
    150,
    480,
    210,
    365,
    700,
    45,
    590,
    27,
    305,
    130,
    455,
    240,
    660,
)
CERTIFICATE_VALID_DAYS = 730

# Agreements that ran out before the current one; recorded active, then moved to expired.
EARLIER_AGREEMENT = frozenset({"nordwind", "sakura", "hexacore", "tulpenveld"})
AGREEMENT_YEARS = 3


@dataclass(frozen=True)
class AuditSeed:
    partner: str
    days: int
    auditor: str
    scope: str
    outcome: str
    notes: str | None = None


AUDITS: tuple[AuditSeed, ...] = (
    AuditSeed("nordwind", -120, "KPMG Channel Assurance", "Deal registration practices and MDF claims", "passed"),
    AuditSeed("sakura", -200, "Deloitte Tohmatsu Partner Review", "Export controls and end-user screening",
              "passed"),
    AuditSeed("sierra", -90, "Grant Thornton LLP", "Deal registration practices", "passed_with_findings",
              "Two registrations without a customer confirmation on file"),
    AuditSeed("cedar", -60, "Grant Thornton LLP", "Customer data handling of the managed services",
              "passed_with_findings", "Backups kept longer than the data protection addendum allows"),
    AuditSeed("albion", -150, "Mazars Channel Audit", "Rebate claims", "passed"),
    AuditSeed("tulpenveld", -210, "Mazars Channel Audit", "Deal registration practices", "passed"),
    AuditSeed("hexacore", -100, "KPMG Channel Assurance", "Public-sector tender compliance", "passed"),
    AuditSeed("pioneer", -30, "BDO USA", "Payment terms and credit", "passed_with_findings",
              "Three invoices more than 90 days overdue"),
    AuditSeed("paulista", -45, "PwC Brasil", "Marketing development funds claims", "failed",
              "Claims for two events that did not take place"),
    AuditSeed("southerncross", -75, "EY Oceania", "Resale channels and end-user reporting", "failed",
              "Hardware sold to a broker outside the agreed territory"),
)  # fmt: skip


@dataclass(frozen=True)
class ViolationSeed:
    partner: str
    policy: str
    finding: str
    severity: str
    opened_days: int
    status: str = "open"
    resolved_days: int | None = None


VIOLATIONS: tuple[ViolationSeed, ...] = (
    ViolationSeed("paulista", "MDF policy §3", "MDF claimed for two events that did not take place", "high", -40),
    ViolationSeed("paulista", "Brand guidelines §2", "Vendor logo used in a print campaign without approval",
                  "low", -40, "remediating"),
    ViolationSeed("southerncross", "Partner agreement §7", "Hardware resold to a grey-market broker", "critical",
                  -70),
    ViolationSeed("sierra", "Deal registration policy §4", "Two deals registered without customer confirmation",
                  "medium", -85, "remediating"),
    ViolationSeed("pioneer", "Payment terms §2", "Invoices unpaid for more than 90 days", "high", -25),
    ViolationSeed("cedar", "Data protection addendum §5", "Customer backups kept beyond the agreed retention",
                  "medium", -58, "resolved", -20),
    ViolationSeed("vesuvio", "Brand guidelines §2", "Outdated partner logo on the company website", "low", -130,
                  "waived", -110),
)  # fmt: skip


# --- house accounts and deal registrations -----------------------------------------------------------------


@dataclass(frozen=True)
class HouseAccountSeed:
    customer_name: str
    domain: str
    country: str
    notes: str


HOUSE_ACCOUNTS: tuple[HouseAccountSeed, ...] = (
    HouseAccountSeed("Hanseatic Shipping AG", "hanseatic-shipping.de", "DE", "Global account, sold direct since 2019"),
    HouseAccountSeed("Globex Retail Group Inc.", "globex-retail.com", "US", "Strategic account; direct enterprise team"),
    HouseAccountSeed("Kaiyō Heavy Industries K.K.", "kaiyo-heavy.co.jp", "JP", "Direct OEM agreement"),
)  # fmt: skip


@dataclass(frozen=True)
class Won:
    amount: str


@dataclass(frozen=True)
class Lost:
    reason: str


@dataclass(frozen=True)
class Approve:
    reason: str


@dataclass(frozen=True)
class Reject:
    reason: str


@dataclass(frozen=True)
class Extend:
    reason: str


DealStep = Won | Lost | Approve | Reject | Extend


@dataclass(frozen=True)
class DealSeed:
    """A deal a partner registers, and what the channel team or the partner does with it afterwards, in
    order. `key` names the deals conflict cases refer to."""

    partner: str
    customer_name: str
    domain: str | None  # None: a customer known by name only
    country: str
    products: tuple[str, ...]
    amount: str  # in the customer's country's currency
    close_in_days: int
    segment: str | None = None
    region: str | None = None
    steps: tuple[DealStep, ...] = ()
    key: str | None = None


FW, SDWAN, VPN, SWITCH, WIFI, EDR, BACKUP, SIEM, STORAGE, COLLAB, MDR, ZTNA = (
    "firewall",
    "sd-wan",
    "vpn",
    "switches",
    "wifi access points",
    "endpoint protection",
    "cloud backup",
    "siem",
    "storage arrays",
    "collaboration suite",
    "managed detection",
    "zero trust access",
)

# Every customer is registered by one partner only, except the conflicts on purpose (marked ▲): those land in
# pending_review with their conflicts listed, and some are then approved or rejected.
DEALS: tuple[DealSeed, ...] = (
    # Germany
    DealSeed("nordwind", "Bergmann Präzisionstechnik GmbH", "bergmann-praezision.de", "DE", (FW, SWITCH), "148000.00", 45, MID, steps=(Won("151250.00"),)),
    DealSeed("nordwind", "Falkenrath Logistik GmbH", "falkenrath-logistik.de", "DE", (SDWAN, FW), "96000.00", 70, MID, key="falkenrath"),
    DealSeed("nordwind", "Stadtwerke Lindenau", "stadtwerke-lindenau.de", "DE", (SWITCH, WIFI), "212000.00", 120, PUBLIC),
    DealSeed("hexacore", "Isarwerk Maschinenbau AG", "isarwerk.de", "DE", (ZTNA, SIEM, MDR), "640000.00", 150, ENT, "Bavaria"),
    DealSeed("hexacore", "Auerhahn Brauerei KG", "auerhahn-brauerei.de", "DE", (SDWAN,), "78000.00", 30, MID, steps=(Won("74500.00"),)),
    DealSeed("rheinblick", "Klinikum Oberfeld", "klinikum-oberfeld.de", "DE", (EDR, BACKUP), "54000.00", 60, PUBLIC, steps=(Lost("Budget moved to the new clinic wing"),)),
    DealSeed("hanse", "Reederei Störtebeker GmbH", "stoertebeker-reederei.de", "DE", (WIFI,), "23000.00", 40, SMB),
    # ▲ a look-alike of Nordwind's Falkenrath Logistik, registered by name only: approved after review
    DealSeed("rheinblick", "Falkenrath Logistics AG", None, "DE", (FW,), "38000.00", 55, SMB, key="falkenrath-lookalike", steps=(Approve("Different company: Falkenrath Logistics AG is the Swiss holding, not the German carrier"),)),
    # ▲ inside Hexacore's exclusive Bavaria (enterprise): approved, Hexacore declined the opportunity
    DealSeed("rheinblick", "Isarwerk Maschinenbau AG (Werk Landshut)", "landshut.isarwerk.de", "DE", (EDR,), "42000.00", 50, ENT, "Bavaria", steps=(Approve("Hexacore confirmed it does not pursue the Landshut plant"),)),
    # United Kingdom
    DealSeed("albion", "Ashdown Retail Ltd", "ashdownretail.co.uk", "GB", (WIFI, SWITCH), "88000.00", 35, MID, steps=(Won("91200.00"),)),
    DealSeed("albion", "Harrowgate Building Society", "harrowgate-bs.co.uk", "GB", (FW, VPN), "64000.00", 90, MID),
    DealSeed("thamesgate", "Pembroke Insurance plc", "pembroke-insurance.co.uk", "GB", (COLLAB, ZTNA), "410000.00", 110, ENT, key="pembroke"),
    DealSeed("thamesgate", "Hollins & Wragg Solicitors LLP", "hollinswragg.co.uk", "GB", (COLLAB,), "72000.00", 25, MID, steps=(Lost("Customer renewed with the incumbent"),)),
    DealSeed("albion", "Wexford Garden Centres Ltd", "wexfordgardens.co.uk", "GB", (WIFI,), "27500.00", 50, SMB),
    DealSeed("brightpath", "Northmoor Mutual", "northmoor-mutual.co.uk", "GB", (BACKUP,), "31000.00", 80, MID),
    # ▲ the vendor's own Hanseatic Shipping (house account, same domain): rejected
    DealSeed("albion", "Hanseatic Shipping (UK branch)", "hanseatic-shipping.de", "GB", (SDWAN,), "120000.00", 75, ENT, key="hanseatic", steps=(Reject("Hanseatic Shipping is a house account sold direct; the UK branch is covered by the global agreement"),)),
    # France
    DealSeed("lumiere", "Groupe Hôtelier Vauban", "vauban-hotels.fr", "FR", (WIFI, SWITCH), "134000.00", 65, MID, steps=(Extend("Roll-out tied to the hotel renovation, now in the next quarter"),)),
    DealSeed("lumiere", "Lycée International Saint-Exupéry", "lycee-saint-exupery.fr", "FR", (WIFI,), "46000.00", 100, PUBLIC),
    DealSeed("ateliers", "Énergies du Rhône S.A.", "energies-rhone.fr", "FR", (ZTNA, SIEM), "520000.00", 160, ENT, steps=(Won("498000.00"),)),
    DealSeed("ateliers", "Clinique des Tilleuls", "clinique-tilleuls.fr", "FR", (COLLAB, BACKUP), "88000.00", 40, MID),
    # Benelux
    DealSeed("tulpenveld", "Van den Berg Transport B.V.", "vdberg-transport.nl", "NL", (STORAGE, SDWAN), "115000.00", 85, MID, key="vandenberg"),
    DealSeed("tulpenveld", "Zonnebloem Kwekerijen B.V.", "zonnebloem-kwekerij.nl", "NL", (WIFI, SWITCH), "67000.00", 50, SMB, steps=(Won("69900.00"),)),
    DealSeed("dijkstra", "Huisartsenpraktijk De Linde", "praktijkdelinde.nl", "NL", (MDR, BACKUP), "18000.00", 30, SMB),
    DealSeed("dijkstra", "Gemeente Hoorneveld", "hoorneveld.nl", "NL", (MDR,), "52000.00", 140, PUBLIC),
    # ▲ a look-alike of Tulpenveld's Van den Berg Transport, by name only: left for review
    DealSeed("dijkstra", "Van der Berg Transport", None, "NL", (BACKUP,), "24000.00", 60, SMB),
    # Spain and Italy
    DealSeed("canalsur", "Ayuntamiento de Villaverde del Río", "villaverdedelrio.es", "ES", (COLLAB, SWITCH), "39000.00", 95, PUBLIC),
    DealSeed("iberonube", "Hoteles Costa Dorada S.A.", "costadorada-hoteles.es", "ES", (BACKUP, MDR), "58000.00", 45, MID, steps=(Won("61500.00"),)),
    DealSeed("iberonube", "Bodegas Ribera Alta S.L.", "riberaalta.es", "ES", (BACKUP,), "14500.00", 70, SMB),
    DealSeed("iberonube", "Clínica Dental Mediterránea S.L.", "clinicamediterranea.es", "ES", (BACKUP, MDR), "12800.00", 35, SMB),
    DealSeed("vesuvio", "Ceramiche Amalfi S.p.A.", "ceramicheamalfi.it", "IT", (FW, SWITCH), "83000.00", 55, MID, steps=(Lost("Customer postponed the project indefinitely"),)),
    DealSeed("vesuvio", "Porto di Salerno Servizi S.r.l.", "portosalerno-servizi.it", "IT", (WIFI, FW), "47000.00", 120, MID),
    DealSeed("toscana", "Moda Fiorentina S.r.l.", "modafiorentina.it", "IT", (BACKUP,), "21000.00", 35, SMB),
    # Nordics
    DealSeed("bluefjord", "Skärgårdsbanken AB", "skargardsbanken.se", "SE", (ZTNA, SIEM), "2400000.00", 130, ENT, key="skargard"),
    DealSeed("bluefjord", "Göteborgs Hamnlogistik AB", "hamnlogistik.se", "SE", (SDWAN,), "860000.00", 60, MID, steps=(Won("845000.00"),)),
    DealSeed("lagom", "Kungsholmens Gymnasium", "kungsholmensgymnasium.se", "SE", (WIFI,), "310000.00", 40, PUBLIC),
    # ▲ the same bank (same domain) as Blue Fjord's registration: left for review
    DealSeed("lagom", "Skargardsbanken", "skargardsbanken.se", "SE", (FW, ZTNA), "450000.00", 90, MID),
    # North America
    DealSeed("sierra", "Pinecrest Medical Group", "pinecrestmedical.com", "US", (FW, ZTNA, SIEM), "385000.00", 95, ENT, key="pinecrest"),
    DealSeed("sierra", "Redfern Credit Union", "redferncu.org", "US", (FW, VPN), "142000.00", 60, MID, steps=(Won("139800.00"),)),
    DealSeed("sierra", "Ironbridge Capital LLC", "ironbridgecap.com", "US", (ZTNA,), "96000.00", 150, MID, steps=(Extend("Security review at the customer takes another month"),)),
    DealSeed("cedar", "Lakeshore Family Dental", "lakeshorefamilydental.com", "US", (MDR, BACKUP), "26000.00", 30, SMB, steps=(Won("26000.00"),)),
    DealSeed("cedar", "Saguaro Foods Inc.", "saguarofoods.com", "US", (EDR, MDR), "74000.00", 75, MID),
    DealSeed("pioneer", "Lakeshore Unified School District", "lakeshoreusd.org", "US", (EDR,), "58000.00", 80, PUBLIC),
    DealSeed("maplegate", "Northern Rail Logistics Ltd", "nrlogistics.ca", "CA", (STORAGE, SWITCH), "265000.00", 100, ENT),
    DealSeed("maplegate", "Fraser Timber Co.", "frasertimber.ca", "CA", (STORAGE,), "98000.00", 45, MID, steps=(Lost("Lost on price to a competitor"),)),
    DealSeed("maplegate", "Ottawa Valley Health", "ovhealth.ca", "CA", (SWITCH, WIFI), "176000.00", 130, PUBLIC),
    # ▲ Sierra Crest's Pinecrest Medical again (same domain, same products): rejected, case closed
    DealSeed("cedar", "Pinecrest Medical Group, Inc.", "pinecrestmedical.com", "US", (FW, MDR), "160000.00", 80, ENT, key="pinecrest-again", steps=(Reject("Sierra Crest registered Pinecrest first and holds the approved registration"),)),
    # ▲ the vendor's Globex Retail Group by name only: left for review
    DealSeed("pioneer", "Globex Retail Group", None, "US", (EDR,), "88000.00", 70, ENT),
    # Japan
    DealSeed("sakura", "Hoshino Seimitsu K.K.", "hoshino-seimitsu.co.jp", "JP", (FW, SWITCH), "18500000", 90, ENT, steps=(Won("18200000"),)),
    DealSeed("sakura", "Midori Electronics K.K.", "midori-elec.co.jp", "JP", (VPN, FW), "7400000", 60, MID),
    DealSeed("yamato", "Tanaka Auto Parts K.K.", "tanaka-autoparts.co.jp", "JP", (STORAGE,), "32000000", 140, ENT),
    DealSeed("yamato", "Kobe Marine Logistics K.K.", "kobe-marine.co.jp", "JP", (SWITCH, SDWAN), "12800000", 50, MID, steps=(Lost("Customer chose a competitor"),)),
    # ▲ the vendor's Kaiyō Heavy Industries (house account, same domain): rejected
    DealSeed("yamato", "Kaiyo Heavy Industries", "kaiyo-heavy.co.jp", "JP", (STORAGE, SWITCH), "54000000", 120, ENT, steps=(Reject("Kaiyō Heavy Industries buys direct under its OEM agreement"),)),
    # Australia
    DealSeed("harbourview", "Coral Coast Mining Pty Ltd", "coralcoastmining.com.au", "AU", (ZTNA, BACKUP), "310000.00", 110, ENT),
    DealSeed("harbourview", "Sydney Harbour Medical Centre", "shmedical.com.au", "AU", (FW,), "64000.00", 40, MID, steps=(Won("66300.00"),)),
    DealSeed("southerncross", "Outback Agri Co-operative", "outbackagri.com.au", "AU", (MDR, BACKUP), "45000.00", 65, MID),
    # Brazil
    DealSeed("cruzeiro", "Mercado Verde S.A.", "mercadoverde.com.br", "BR", (WIFI, SWITCH), "980000.00", 75, MID, key="mercado"),
    DealSeed("cruzeiro", "Banco Horizonte S.A.", "bancohorizonte.com.br", "BR", (FW, SDWAN), "2750000.00", 160, ENT),
    DealSeed("cruzeiro", "Agropecuária Serra Azul Ltda.", "serraazul-agro.com.br", "BR", (SWITCH,), "340000.00", 45, SMB, steps=(Won("352000.00"),)),
    DealSeed("paulista", "Farmácias Bem Viver Ltda.", "bemviver.com.br", "BR", (WIFI,), "120000.00", 55, SMB),
    # ▲ the distributor's Mercado Verde (same domain) again, by its agent: left for review, a conflict case
    DealSeed("paulista", "Mercado Verde", "mercadoverde.com.br", "BR", (WIFI,), "860000.00", 60, MID, key="mercado-agent"),
)  # fmt: skip


# --- channel-conflict cases --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseStep:
    to_stage: str | None = None
    notes: str | None = None
    resolution: dict[str, str] | None = None  # ResolutionIn; `awarded_to` as a partner key


@dataclass(frozen=True)
class CaseSeed:
    conflict_type: str
    parties: tuple[str, ...]  # partner keys, or "vendor_direct"
    description: str
    root_causes: tuple[tuple[str, str | None], ...]
    deals: tuple[str, ...] = ()  # DealSeed keys
    territories: tuple[tuple[str, str | None], ...] = ()  # (partner key, region) of TERRITORIES
    steps: tuple[CaseStep, ...] = field(default=())


CASES: tuple[CaseSeed, ...] = (
    CaseSeed(
        "horizontal",
        ("lumiere", "ateliers"),
        "Both partners hold an exclusive Île-de-France territory; Lumière quoted a Paris lycée that Ateliers "
        "counts as public sector.",
        (("territory_overlap", "Exclusive territories overlap in the public sector of Île-de-France"),),
        territories=(("lumiere", "Île-de-France"), ("ateliers", "Île-de-France")),
        steps=(
            CaseStep("under_review", "Territory maps of both agreements compared"),
            CaseStep("mediation", "Joint call with both channel managers scheduled"),
        ),
    ),
    CaseSeed(
        "horizontal",
        ("sierra", "cedar"),
        "Cedar Ridge registered Pinecrest Medical Group, which Sierra Crest had registered and is working on.",
        (
            ("product_overlap", None),
            ("territory_overlap", "California enterprise is Sierra Crest's exclusively"),
        ),
        deals=("pinecrest", "pinecrest-again"),
        territories=(("sierra", "California"), ("cedar", "California")),
        steps=(
            CaseStep("under_review", "Registration dates and customer contacts checked"),
            CaseStep(
                "ruled",
                "Ruled by the channel council",
                {
                    "ruling": "The deal stays with Sierra Crest, whose registration was approved first; Cedar "
                    "Ridge may offer managed detection as Sierra Crest's subcontractor.",
                    "outcome": "awarded",
                    "awarded_to": "sierra",
                    "decided_by": "Channel council",
                },
            ),
            CaseStep("closed", "Both partners informed"),
        ),
    ),
    CaseSeed(
        "multichannel",
        ("albion", "vendor_direct"),
        "Albion registered the UK branch of Hanseatic Shipping, a house account of the vendor's direct team.",
        (("direct_sales_overlap", None),),
        deals=("hanseatic",),
        steps=(CaseStep("under_review", "Asked the global account team whether the UK branch is in scope"),),
    ),
    CaseSeed(
        "vertical",
        ("cruzeiro", "paulista"),
        "Paulista Negócios, an agent, quoted Mercado Verde below the price of its own distributor Cruzeiro.",
        (
            ("pricing", "The agent quoted 12 % below the distributor's price"),
            ("incentive_misalignment", "The agent's commission is paid on list price, not on margin"),
        ),
        deals=("mercado", "mercado-agent"),
        steps=(
            CaseStep("under_review"),
            CaseStep("mediation", "Both sides heard; no agreement on the price"),
            CaseStep("arbitration", "Referred to the regional channel director"),
        ),
    ),
    CaseSeed(
        "role",
        ("brightpath", "thamesgate"),
        "Brightpath claims a referral fee on Pembroke Insurance, a deal Thamesgate says it sourced itself.",
        (
            ("role_ambiguity", None),
            ("other", "The referral agreement does not say who sourced an existing contact"),
        ),
        deals=("pembroke",),
        steps=(CaseStep(notes="Brightpath sent the introduction e-mail of last spring"),),
    ),
)

# Partners that get a webhook signing secret.
WEBHOOK_PARTNERS = ("nordwind", "sierra")
