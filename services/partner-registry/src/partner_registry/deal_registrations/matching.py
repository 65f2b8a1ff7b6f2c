"""Who a deal registration conflicts with: customer-name normalisation, fuzzy scores, conflict reasons.

Pure functions, no I/O. The repositories narrow the candidates in the database (same normalised domain, or
sharing a telling name token from `name_tokens`: see `partner_registry.name_search`); this module scores
those few candidates.

Names are compared after `normalise_name`: Unicode NFKC, case-folded, Latin diacritics dropped, punctuation
folded, and legal forms (GmbH, Inc., S.A.S., 株式会社, …) removed from either end, so that "ACME Corp." and
"Acme Corporation" are one customer. The score is rapidfuzz's `token_sort_ratio` (an Indel similarity
of the words in sorted order, 0-100), so word order does not matter but every word counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from uuid import UUID

from prm_contracts.deal_registrations import ConflictKind, DealRegistrationStatus
from rapidfuzz import fuzz

from partner_registry.partners.changes import label_key
from partner_registry.territories.overlap import TerritoryScope, covers, describe_scope

# Legal forms as single words, after dots and slashes are dropped ("S.p.A." → "spa", "A/S" → "as").
LEGAL_FORMS = frozenset(
    {
        # German-speaking
        "gmbh", "mbh", "ag", "kg", "kgaa", "ohg", "ug", "ev", "se",
        # English-speaking
        "ltd", "limited", "llc", "llp", "lp", "plc", "inc", "incorporated", "corp", "corporation",
        "co", "company", "pty", "pte", "pvt",
        # Romance languages
        "sa", "sas", "sasu", "sarl", "eurl", "spa", "srl", "sl", "slu", "sau", "ltda", "sca",
        # Benelux, Nordics
        "bv", "nv", "bvba", "oy", "oyj", "ab", "as", "asa", "aps",
        # Asia
        "kk", "gk", "bhd", "sdn", "株",
    }
)  # fmt: skip
# Written without spaces in Chinese and Japanese, so removed as text from either end of a word.
CJK_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限責任公司",
    "有限公司",
    "株式会社",
    "有限会社",
    "合同会社",
)
# "Smith & Co", "Acme GmbH & Co. KG": a connector directly before a trailing legal form goes with it.
CONNECTORS = frozenset({"and", "und", "et", "y", "e"})
LEADING_ARTICLES = frozenset({"the"})

# Words too common to narrow the candidates; a name made only of such words uses them anyway.
GENERIC_WORDS = frozenset(
    {
        "and", "the", "of", "for", "und", "der", "die", "das", "de", "la", "le", "les", "et", "y",
        "group", "gruppe", "holding", "holdings", "international", "global", "services", "service",
        "solutions", "systems", "technologies", "technology", "consulting", "partners", "enterprises",
        "industries",
    }
)  # fmt: skip
MIN_VARIANT_LENGTH = 4
TOKEN_MAX_LENGTH = 100
_JOINED = re.compile("[.'\u2019/]")  # dots, apostrophes (straight and curly) and slashes
_SEPARATORS = re.compile(r"[\W_]+")


def _without_latin_diacritics(text: str) -> str:
    """`müller` → `muller`; marks on other scripts (Japanese dakuten, say) are part of the letter and stay."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char) and kept and "a" <= kept[-1] <= "z":
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def _strip_cjk_forms(word: str) -> str:
    changed = True
    while changed:
        changed = False
        for form in CJK_LEGAL_FORMS:
            if word.endswith(form) and len(word) > len(form):
                word, changed = word[: -len(form)], True
            elif word.startswith(form) and len(word) > len(form):
                word, changed = word[len(form) :], True
    return word


def _strip_legal_forms(words: list[str]) -> list[str]:
    kept = list(words)
    stripped_last = False
    while kept and (kept[-1] in LEGAL_FORMS or (stripped_last and kept[-1] in CONNECTORS and len(kept) > 1)):
        kept.pop()
        stripped_last = True
    while kept and (kept[0] in LEGAL_FORMS or kept[0] in LEADING_ARTICLES):
        kept.pop(0)
    return kept or words


def normalise_name(name: str) -> str:
    """The form customer names are compared in: `" ACME  Corp. "` → `"acme"`, `"株式会社トヨタ"` → `"トヨタ"`."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _without_latin_diacritics(text).replace("&", " and ").replace("+", " and ")
    text = _JOINED.sub("", text)
    words = [_strip_cjk_forms(word) for word in _SEPARATORS.split(text) if word]
    return " ".join(_strip_legal_forms(words))


def name_score(first: str, second: str) -> float:
    """Similarity 0-100 of two normalised names; word order does not matter."""
    if not first or not second:
        return 0.0
    return float(fuzz.token_sort_ratio(first, second))


def _word_tokens(word: str) -> set[str]:
    """The word and, from four letters on, every spelling of it with one letter left out.

    Two words one edit apart (a letter inserted, left out, replaced, or two swapped) share one of these:
    the shorter is among the longer's deletions, or both lose the changed position (symmetric deletion,
    as in SymSpell). Shorter words are indexed as they are: one edit changes too much of them to match.
    """
    tokens = {word}
    if len(word) >= MIN_VARIANT_LENGTH:
        tokens.update(word[:i] + word[i + 1 :] for i in range(len(word)))
    return tokens


def name_tokens(normalised: str) -> set[str]:
    """What the database indexes a customer name under, to find look-alike names without a scan.

    The tokens of each significant word (see `_word_tokens`): names that share a word, or whose words are one
    typo apart, share a token. Generic words (group, services, …) are left out unless there is nothing else.
    """
    words = [w[:TOKEN_MAX_LENGTH] for w in normalised.split()]
    significant = [w for w in words if w not in GENERIC_WORDS and len(w) >= 2]
    significant = significant or [w for w in words if len(w) >= 2] or words
    return set().union(*(_word_tokens(word) for word in significant)) if significant else set()


def token_weights(postings: Mapping[str, int], *, frequent_above: int) -> dict[str, float]:
    """How much sharing each token says about two names: 1/postings (the rarer, the more), and nothing
    for tokens with more than `frequent_above` postings (common words and fragments) or none."""
    return {token: 1 / count for token, count in postings.items() if 0 < count <= frequent_above}


def product_keys(products: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(label_key(product) for product in products))


def product_overlap(mine: Sequence[str], theirs: Sequence[str]) -> tuple[list[str], int]:
    """The products both registrations name (compared case-folded; in my spelling and order) and the share
    of the shorter list they make up, 0-100."""
    their_keys = set(product_keys(theirs))
    shared = [product for product in mine if label_key(product) in their_keys]
    if not shared:
        return [], 0
    shorter = min(len(product_keys(mine)), len(their_keys))
    return shared, _rounded(100 * len(product_keys(shared)) / shorter)


def _rounded(score: float) -> int:
    """Half up, not Python's half to even: 92.5 is 93."""
    return min(100, int(score + 0.5))


# --- conflicts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """The registration being checked, as the matcher needs it."""

    partner_id: UUID
    customer_name: str
    customer_domain: str
    country: str
    region: str | None
    customer_segment: str | None
    products: Sequence[str]

    @cached_property
    def name_key(self) -> str:
        return normalise_name(self.customer_name)


@dataclass(frozen=True)
class RegistrationCandidate:
    """Another partner's open (pending or approved, still protected) registration."""

    id: UUID
    partner_id: UUID
    customer_name: str
    customer_domain: str
    status: DealRegistrationStatus
    products: Sequence[str]
    name_key: str | None = None  # normalise_name(customer_name), when stored with it

    @property
    def normalised_name(self) -> str:
        return self.name_key if self.name_key is not None else normalise_name(self.customer_name)


@dataclass(frozen=True)
class HouseAccountCandidate:
    id: UUID
    customer_name: str
    customer_domain: str
    name_key: str | None = None

    @property
    def normalised_name(self) -> str:
        return self.name_key if self.name_key is not None else normalise_name(self.customer_name)


@dataclass(frozen=True)
class TerritoryCandidate:
    """Another partner's exclusive territory."""

    id: UUID
    partner_id: UUID
    scope: TerritoryScope


@dataclass(frozen=True)
class Conflict:
    kind: ConflictKind
    reason: str
    score: int
    other_registration_id: UUID | None = None
    other_partner_id: UUID | None = None
    house_account_id: UUID | None = None
    territory_id: UUID | None = None


@dataclass(frozen=True)
class Candidates:
    registrations: Sequence[RegistrationCandidate] = ()
    house_accounts: Sequence[HouseAccountCandidate] = ()
    territories: Sequence[TerritoryCandidate] = ()


GENERIC_REASONS = {
    ConflictKind.CUSTOMER_DOMAIN: "conflicts with an existing registration",
    ConflictKind.CUSTOMER_NAME: "conflicts with an existing registration",
    ConflictKind.PRODUCT_OVERLAP: "conflicts with an existing registration",
    ConflictKind.HOUSE_ACCOUNT: "conflicts with an existing customer relationship of the vendor",
    ConflictKind.EXCLUSIVE_TERRITORY: "the customer lies in another partner's exclusive territory",
}
_KIND_ORDER = list(ConflictKind)


def _registration_conflicts(
    submission: Submission, other: RegistrationCandidate, name_threshold: float
) -> list[Conflict]:
    ids = {"other_registration_id": other.id, "other_partner_id": other.partner_id}
    whose = f"another partner's {other.status.value.replace('_', ' ')} registration"
    found: list[Conflict] = []
    same_domain = other.customer_domain == submission.customer_domain
    if same_domain:
        found.append(
            Conflict(
                ConflictKind.CUSTOMER_DOMAIN,
                f"{whose} is for the same customer domain {other.customer_domain}",
                100,
                **ids,
            )
        )
    else:
        similarity = name_score(submission.name_key, other.normalised_name)
        if similarity >= name_threshold:
            found.append(
                Conflict(
                    ConflictKind.CUSTOMER_NAME,
                    f"customer name {submission.customer_name!r} matches {other.customer_name!r} of {whose} "
                    f"(similarity {_rounded(similarity)})",
                    _rounded(similarity),
                    **ids,
                )
            )
    if found:
        shared, overlap = product_overlap(submission.products, other.products)
        if shared:
            found.append(
                Conflict(
                    ConflictKind.PRODUCT_OVERLAP,
                    f"{whose} for the same customer covers {', '.join(shared)} too",
                    overlap,
                    **ids,
                )
            )
    return found


def _house_account_conflict(
    submission: Submission, account: HouseAccountCandidate, name_threshold: float
) -> Conflict | None:
    if account.customer_domain == submission.customer_domain:
        how, score = f"the same domain {account.customer_domain}", 100
    else:
        similarity = name_score(submission.name_key, account.normalised_name)
        if similarity < name_threshold:
            return None
        how, score = f"name similarity {_rounded(similarity)}", _rounded(similarity)
    return Conflict(
        ConflictKind.HOUSE_ACCOUNT,
        f"the customer is the vendor's direct (house) account {account.customer_name!r} ({how})",
        score,
        house_account_id=account.id,
    )


def score_conflicts(
    submission: Submission, candidates: Candidates, *, name_threshold: float
) -> list[Conflict]:
    """Every conflict of `submission` with the candidates, strongest kinds first.

    Candidates of the submitting partner itself are ignored: a partner does not conflict with itself.
    """
    conflicts: list[Conflict] = []
    for other in candidates.registrations:
        if other.partner_id != submission.partner_id:
            conflicts += _registration_conflicts(submission, other, name_threshold)
    for account in candidates.house_accounts:
        if (conflict := _house_account_conflict(submission, account, name_threshold)) is not None:
            conflicts.append(conflict)
    for territory in candidates.territories:
        if territory.partner_id != submission.partner_id and covers(
            territory.scope, submission.country, submission.region, submission.customer_segment
        ):
            conflicts.append(
                Conflict(
                    ConflictKind.EXCLUSIVE_TERRITORY,
                    f"{describe_scope(territory.scope)} is an exclusive territory of another partner",
                    100,
                    other_partner_id=territory.partner_id,
                    territory_id=territory.id,
                )
            )
    return sorted(conflicts, key=lambda c: (_KIND_ORDER.index(c.kind), -c.score, str(c.reason)))
