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
from enum import StrEnum
from functools import cached_property
from uuid import UUID

from prm_contracts.deal_registrations import ConflictKind, DealRegistrationStatus
from rapidfuzz import fuzz

from partner_registry.deal_registrations.customer_forms import (
    FAMILY_WORDS,
    GROUP_WORDS,
    STOP_WORDS,
    DomainForm,
    NameForm,
    domain_form,
    has_cjk,
    is_generic,
    name_form,
    romanised,
)
from partner_registry.deal_registrations.customer_forms import GENERIC_WORDS as COMMON_WORDS
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


def _cjk_tokens(text: str) -> set[str]:
    """Character bigrams (a single character alone): CJK names have no spaces between their words, so
    阿里巴巴 and 阿里巴巴集团, or 华信科技 and 北京华信科技, share these and not a "word"."""
    if len(text) < 2:
        return {text} if text else set()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _domain_label_tokens(label: str) -> set[str]:
    """A domain's label, and without a group word at either end (alibabagroup → alibaba)."""
    tokens = {label}
    for word in GROUP_WORDS:
        for joined in (word, f"-{word}", f"{word}-"):
            if (
                word.isascii()
                and len(label) > len(joined)
                and (label.endswith(joined) or label.startswith(joined))
            ):
                tokens.add(
                    label.removesuffix(joined) if label.endswith(joined) else label.removeprefix(joined)
                )
    return tokens


def customer_tokens(name: str, domain: str | None = None) -> set[str]:
    """What the database indexes a customer under, so that every look-alike the matcher would flag is found
    without a scan: the significant core words with their one-letter deletions (typos), character bigrams
    of CJK names, the words joined (Fjord Fisk / Fjordfisk), the initials of a multi-word name (an acronym
    token: International Business Machines → ibm) and the registrable domain's label (acme.co.uk → acme).
    Generic words (group, services, …) are left out unless there is nothing else.
    """
    form = name_form(name)
    tokens: set[str] = set()
    ascii_words = [w for w in form.core if not has_cjk(w)]
    # the words as written too (before plural and spelling folds), so a typo that a fold changes (aaae →
    # aaa) still shares a deletion with the spelling it is one edit from
    written = [
        w
        for w in form.words
        if w.isascii() and w not in form.group_words and w not in STOP_WORDS and w not in FAMILY_WORDS
    ]
    # and an abbreviation as written (`bros`), so a typo of it (`abros`) is not only compared with its expansion
    written += [w for w in form.abbreviations if w.isascii()]
    for words in (ascii_words, written):
        significant = [w for w in words if w not in GENERIC_WORDS and w not in COMMON_WORDS and len(w) >= 2]
        for word in significant or words:
            tokens |= _word_tokens(word)
    cjk_text = "".join(w for w in form.core if has_cjk(w))
    tokens |= _cjk_tokens(cjk_text)
    if len(ascii_words) > 1:
        tokens.add("".join(ascii_words))
    tokens |= form.initials
    if domain:
        tokens |= _domain_label_tokens(domain_form(domain).label)
    return {token[:TOKEN_MAX_LENGTH] for token in tokens if token}


def name_tokens(name: str) -> set[str]:
    """The name's part of `customer_tokens` (a name without a domain)."""
    return customer_tokens(name)


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


# --- customers -----------------------------------------------------------------------------------------------

# Two own, unrelated registrable domains say "two firms": a look-alike name must be that much closer. Not the
# same name (equal after `normalise_name`): one firm with two domains is what a channel manager must review,
# and 100 - 15 would fall below every threshold above 85.
UNRELATED_DOMAINS_PENALTY = 15
# Another country, and nothing ties the two (no domain, no group word): the same name is likely another firm.
OTHER_COUNTRY_PENALTY = 20
CONTAINED_CJK_SCORE = 90  # 华信科技 within 北京华信科技: a place or trade added to the same name
ACRONYM_SCORE = 95


class Relation(StrEnum):
    """How two customer records are related, by the rule that found it."""

    SAME_DOMAIN = "same_domain"  # the same registrable domain (a subdomain or www. of one domain)
    DOMAIN_ALIAS = "domain_alias"  # the same domain name under another top-level domain, in one country
    SAME_NAME = "same_name"  # names alike (legal forms, spelling, script, typos, acronyms aside)
    SAME_GROUP = "same_group"  # one group: a holding, country company or sister company of the same name


@dataclass(frozen=True)
class Customer:
    """One side of the comparison: a customer as a partner or the vendor recorded it."""

    name: str
    domain: str | None
    country: str | None


@dataclass(frozen=True)
class CustomerMatch:
    """Why two customer records are taken for one customer or one group: the rule, the fields it used, the
    forms compared and the score (0-100, after any penalty)."""

    relation: Relation
    score: int
    rule: str
    fields: tuple[str, ...]
    forms: tuple[str, str]  # the submitted and the other side's compared forms

    @property
    def conflict_kind(self) -> ConflictKind:
        if self.relation in (Relation.SAME_DOMAIN, Relation.DOMAIN_ALIAS):
            return ConflictKind.CUSTOMER_DOMAIN
        if self.relation == Relation.SAME_GROUP:
            return ConflictKind.SAME_GROUP
        return ConflictKind.CUSTOMER_NAME


def _acronym_of(short: NameForm, long: NameForm) -> str | None:
    """`acronym` for IBM against International Business Machines (or BHCL against Bharat Heavy Castings
    Ltd); `first word` for KVG against KVG Kraftverkehrsgesellschaft; else None."""
    if len(short.core) != 1 or long.cjk or len(long.words) < 2:
        return None
    token = short.core[0]
    if not (token.isascii() and 2 <= len(token) <= 6):
        return None
    if token in long.initials:
        return "acronym"
    return "first word" if token == long.words[0] else None


def _expanded(form: NameForm, other: NameForm) -> tuple[str, ...]:
    """`form`'s core with each run of words spelling an acronym of `other` written as that acronym
    (first national bank of clayton → fnb clayton, against FNB Clayton), and an acronym `form` spells out
    itself left out (HTL Hanseatische Transport Logistik → hanseatische transport logistik)."""
    words = [w for w in form.core]
    if len(words) >= 2 and words[0] == "".join(w[0] for w in words[1:]):
        return tuple(words[1:])
    for token in other.core:
        if not (token.isascii() and 2 <= len(token) <= 5):
            continue
        for start in range(len(words) - len(token) + 1):
            run = words[start : start + len(token)]
            if "".join(w[0] for w in run) == token and len(run) > 1:
                return (*words[:start], token, *words[start + len(token) :])
    return tuple(words)


def name_similarity(first: NameForm, second: NameForm) -> tuple[float, str]:
    """How alike two names are, 0-100, and by which comparison: the words in any order, the words joined
    (Fjordfisk/Fjord Fisk), an acronym, or one CJK name inside the other."""
    if not first.core or not second.core:
        return 0.0, "no name"
    scores = [
        (float(fuzz.token_sort_ratio(first.core_text, second.core_text)), "words in any order"),
        (float(fuzz.ratio(first.joined, second.joined)), "words joined"),
    ]
    a, b = _expanded(first, second), _expanded(second, first)
    if (a, b) != (first.core, second.core):
        scores.append((float(fuzz.token_sort_ratio(" ".join(a), " ".join(b))), "acronym written out"))
    if how := _acronym_of(first, second) or _acronym_of(second, first):
        scores.append((float(ACRONYM_SCORE), how))
    if first.cjk and second.cjk:
        shorter, longer = sorted((first.joined, second.joined), key=len)
        if len(shorter) >= 2 and shorter in longer and shorter != longer:
            scores.append((float(CONTAINED_CJK_SCORE), "one name contained in the other"))
        scores.append(
            (float(fuzz.ratio(romanised(first.joined), romanised(second.joined))), "read in Latin letters")
        )
    return max(scores)


def _words_within(inner: tuple[str, ...], outer: tuple[str, ...]) -> bool:
    """Every word of `inner` in `outer` (a typo apart at most); for CJK, `inner` as text within `outer`."""
    if not inner:
        return False
    inner_text, outer_text = "".join(inner), "".join(outer)
    if any(has_cjk(w) for w in inner):
        return len(inner_text) >= 2 and inner_text in outer_text
    return all(any(fuzz.ratio(word, other) >= 88 for other in outer) for word in inner)


def _group_by_names(first: NameForm, second: NameForm, threshold: float) -> tuple[float, str] | None:
    """A group word on one side only, and the other name is that group's name with more words or the same:
    Acme Holding / Acme GmbH, 阿里巴巴集团 / 阿里巴巴, Weber Gruppe / Weber Logistik."""
    only_first = set(first.group_words) - set(second.group_words)
    only_second = set(second.group_words) - set(first.group_words)
    if not only_first and not only_second:
        return None
    similarity, how = name_similarity(first, second)
    if how == "acronym":  # IBM for International Business Machines: its initials, not another company
        return None
    if similarity >= threshold and not (is_generic(first) or is_generic(second)):
        return similarity, f"group word {', '.join(sorted(only_first | only_second))}; names {how}"
    for group, other, words in ((first, second, only_first), (second, first, only_second)):
        if not words or is_generic(group):
            continue
        if _words_within(group.core, other.core):
            return (
                90.0,
                f"group word {', '.join(sorted(words))}; {group.core_text!r} within {other.core_text!r}",
            )
        brand = group.core[0]
        if brand == other.core[0] and len(brand) >= 4 and brand not in GENERIC_WORDS and not group.cjk:
            return 88.0, f"group word {', '.join(sorted(words))}; the same first name {brand!r}"
    return None


def _group_by_domains(first: DomainForm, second: DomainForm) -> bool:
    """One domain is the other's name with a group word: alibabagroup.com / alibaba.com, acme-holding.com."""
    for group, other in ((first.label, second.label), (second.label, first.label)):
        for word in GROUP_WORDS:
            if word.isascii() and group in (
                f"{other}{word}",
                f"{other}-{word}",
                f"{word}{other}",
                f"{word}-{other}",
            ):
                return True
    return False


def match_customer(mine: Customer, theirs: Customer, *, threshold: float) -> CustomerMatch | None:
    """Are these one customer, or one group, for a channel conflict? None when nothing says so.

    In this order: the same registrable domain; the same domain name under another top-level domain (one
    country: an alias; another country with a look-alike name: a sister company); a group word on one side
    with the group's name on the other (or in its domain); look-alike names, less `UNRELATED_DOMAINS_PENALTY`
    when both have their own, unrelated domains (unless the names are the same after `normalise_name`) and
    `OTHER_COUNTRY_PENALTY` in another country.
    """
    mine_name, their_name = name_form(mine.name), name_form(theirs.name)
    forms = (mine_name.core_text, their_name.core_text)
    mine_domain = domain_form(mine.domain) if mine.domain else None
    their_domain = domain_form(theirs.domain) if theirs.domain else None
    if mine_domain and their_domain:
        if mine_domain.host == their_domain.host:
            return CustomerMatch(
                Relation.SAME_DOMAIN,
                100,
                "the same domain",
                ("customer_domain",),
                (mine.domain or "", theirs.domain or ""),
            )
        if mine_domain.registrable == their_domain.registrable:
            return CustomerMatch(
                Relation.SAME_DOMAIN,
                100,
                f"the same registrable domain {mine_domain.registrable}",
                ("customer_domain",),
                (mine_domain.host, their_domain.host),
            )
    own = mine_domain and their_domain and not mine_domain.hosted and not their_domain.hosted
    same_country = not mine.country or not theirs.country or mine.country == theirs.country
    similarity, how = name_similarity(mine_name, their_name)
    if own and mine_domain and their_domain and mine_domain.label == their_domain.label:
        domains = (mine_domain.registrable, their_domain.registrable)
        if same_country:
            return CustomerMatch(
                Relation.DOMAIN_ALIAS,
                95,
                f"the same domain name {mine_domain.label!r} under another top-level domain in one country",
                ("customer_domain", "country"),
                domains,
            )
        group_words = mine_name.group_words or their_name.group_words
        if similarity >= threshold or group_words or _group_by_names(mine_name, their_name, threshold):
            return CustomerMatch(
                Relation.SAME_GROUP,
                90,
                f"a sister company in {theirs.country}: the same domain name {mine_domain.label!r} under its "
                f"country's domain, names {how} ({_rounded(similarity)})",
                ("customer_domain", "customer_name", "country"),
                domains,
            )
    group = _group_by_names(mine_name, their_name, threshold)
    if group is not None:
        score, rule = group
        return CustomerMatch(Relation.SAME_GROUP, _rounded(score), rule, ("customer_name",), forms)
    if (
        own
        and mine_domain
        and their_domain
        and (mine_name.group_words or their_name.group_words)
        and _group_by_domains(mine_domain, their_domain)
    ):
        return CustomerMatch(
            Relation.SAME_GROUP,
            90,
            "one domain is the other's name with a group word",
            ("customer_domain", "customer_name"),
            (mine_domain.label, their_domain.label),
        )
    penalties = []
    if own and normalise_name(mine.name) != normalise_name(theirs.name):
        similarity -= UNRELATED_DOMAINS_PENALTY
        penalties.append(f"-{UNRELATED_DOMAINS_PENALTY} for two unrelated own domains")
    if not same_country:
        similarity -= OTHER_COUNTRY_PENALTY
        penalties.append(f"-{OTHER_COUNTRY_PENALTY} for another country")
    if similarity >= threshold:
        rule = f"names alike ({how})" + (f", {', '.join(penalties)}" if penalties else "")
        fields = ("customer_name",) if same_country else ("customer_name", "country")
        return CustomerMatch(Relation.SAME_NAME, _rounded(similarity), rule, fields, forms)
    return None


# --- conflicts ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    """The registration being checked, as the matcher needs it."""

    partner_id: UUID
    customer_name: str
    customer_domain: str | None
    country: str
    region: str | None
    customer_segment: str | None
    products: Sequence[str]

    @cached_property
    def name_key(self) -> str:
        return normalise_name(self.customer_name)

    @cached_property
    def tokens(self) -> set[str]:
        """What the customer is indexed under (`customer_tokens`): the candidates' lookup and its own."""
        return customer_tokens(self.customer_name, self.customer_domain)

    @property
    def customer(self) -> Customer:
        return Customer(self.customer_name, self.customer_domain, self.country)


@dataclass(frozen=True)
class RegistrationCandidate:
    """Another partner's open (pending or approved, still protected) registration."""

    id: UUID
    partner_id: UUID
    customer_name: str
    customer_domain: str | None
    status: DealRegistrationStatus
    products: Sequence[str]
    name_key: str | None = None  # normalise_name(customer_name), when stored with it
    country: str | None = None

    @property
    def normalised_name(self) -> str:
        return self.name_key if self.name_key is not None else normalise_name(self.customer_name)


@dataclass(frozen=True)
class HouseAccountCandidate:
    id: UUID
    customer_name: str
    customer_domain: str
    name_key: str | None = None
    country: str | None = None

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
class Explanation:
    """What a customer conflict rests on, for the channel manager: the rule, the fields it used, the forms
    compared (the submission's, then the other side's) and the score."""

    relation: str
    rule: str
    fields: tuple[str, ...]
    submitted_form: str
    other_form: str
    score: int

    @classmethod
    def of(cls, found: CustomerMatch) -> Explanation:
        return cls(
            found.relation.value, found.rule, found.fields, found.forms[0], found.forms[1], found.score
        )


@dataclass(frozen=True)
class Conflict:
    kind: ConflictKind
    reason: str
    score: int
    other_registration_id: UUID | None = None
    other_partner_id: UUID | None = None
    house_account_id: UUID | None = None
    territory_id: UUID | None = None
    explanation: Explanation | None = None


@dataclass(frozen=True)
class Candidates:
    registrations: Sequence[RegistrationCandidate] = ()
    house_accounts: Sequence[HouseAccountCandidate] = ()
    territories: Sequence[TerritoryCandidate] = ()


_KIND_ORDER = [
    ConflictKind.CUSTOMER_DOMAIN,
    ConflictKind.CUSTOMER_NAME,
    ConflictKind.SAME_GROUP,
    ConflictKind.PRODUCT_OVERLAP,
    ConflictKind.HOUSE_ACCOUNT,
    ConflictKind.EXCLUSIVE_TERRITORY,
]


def _registration_reason(found: CustomerMatch, submission: Submission, other: RegistrationCandidate) -> str:
    whose = f"another partner's {other.status.value.replace('_', ' ')} registration"
    if found.relation == Relation.SAME_DOMAIN and other.customer_domain == submission.customer_domain:
        return f"{whose} is for the same customer domain {other.customer_domain}"
    if found.relation in (Relation.SAME_DOMAIN, Relation.DOMAIN_ALIAS):
        return (
            f"{whose} is for the customer domain {other.customer_domain}, "
            f"{found.rule} as {submission.customer_domain}"
        )
    if found.relation == Relation.SAME_GROUP:
        return (
            f"customer {submission.customer_name!r} is of the same group as {other.customer_name!r} of {whose} "
            f"({found.rule}; score {found.score})"
        )
    return (
        f"customer name {submission.customer_name!r} matches {other.customer_name!r} of {whose} "
        f"(similarity {found.score}; {found.rule})"
    )


def _registration_conflicts(
    submission: Submission, other: RegistrationCandidate, name_threshold: float
) -> list[Conflict]:
    theirs = Customer(other.customer_name, other.customer_domain, other.country)
    found = match_customer(submission.customer, theirs, threshold=name_threshold)
    if found is None:
        return []
    conflicts = [
        Conflict(
            found.conflict_kind,
            _registration_reason(found, submission, other),
            found.score,
            other_registration_id=other.id,
            other_partner_id=other.partner_id,
            explanation=Explanation.of(found),
        )
    ]
    shared, overlap = product_overlap(submission.products, other.products)
    if shared:
        whose = f"another partner's {other.status.value.replace('_', ' ')} registration"
        customer = "group" if found.relation == Relation.SAME_GROUP else "customer"
        conflicts.append(
            Conflict(
                ConflictKind.PRODUCT_OVERLAP,
                f"{whose} for the same {customer} covers {', '.join(shared)} too",
                overlap,
                other_registration_id=other.id,
                other_partner_id=other.partner_id,
            )
        )
    return conflicts


def _house_account_conflict(
    submission: Submission, account: HouseAccountCandidate, name_threshold: float
) -> Conflict | None:
    theirs = Customer(account.customer_name, account.customer_domain, account.country)
    found = match_customer(submission.customer, theirs, threshold=name_threshold)
    if found is None:
        return None
    if found.relation == Relation.SAME_DOMAIN and account.customer_domain == submission.customer_domain:
        how = f"the same domain {account.customer_domain}"
    elif found.relation == Relation.SAME_NAME:
        how = f"name similarity {found.score}"
    else:
        how = f"{found.relation.value.replace('_', ' ')}: {found.rule}"
    return Conflict(
        ConflictKind.HOUSE_ACCOUNT,
        f"the customer is the vendor's direct (house) account {account.customer_name!r} ({how})",
        found.score,
        house_account_id=account.id,
        explanation=Explanation.of(found),
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
