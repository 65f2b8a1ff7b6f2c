"""Customer matching on its own, without a database: name normalisation, scores, tokens, conflict reasons."""

from __future__ import annotations

import string
import uuid

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from partner_registry.deal_registrations.customer_forms import GENERIC_WORDS as COMMON_WORDS
from partner_registry.deal_registrations.customer_forms import name_form
from partner_registry.deal_registrations.matching import (
    CONNECTORS,
    GENERIC_WORDS,
    LEADING_ARTICLES,
    LEGAL_FORMS,
    Candidates,
    Customer,
    HouseAccountCandidate,
    RegistrationCandidate,
    Relation,
    Submission,
    TerritoryCandidate,
    customer_tokens,
    match_customer,
    name_score,
    name_tokens,
    normalise_name,
    product_overlap,
    score_conflicts,
    token_weights,
)
from partner_registry.territories.overlap import TerritoryScope
from prm_contracts.deal_registrations import ConflictKind, DealRegistrationStatus, normalise_customer_domain

# --- names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_name", "normalised"),
    [
        ("ACME Corp.", "acme"),
        ("Acme Corporation", "acme"),
        ("  Acme   Inc ", "acme"),
        ("acme, inc.", "acme"),
        ("Acme LLC", "acme"),
        ("Acme Ltd", "acme"),
        ("Acme Limited", "acme"),
        ("Acme Pty Ltd", "acme"),
        ("Müller GmbH", "muller"),
        ("Müller & Söhne GmbH & Co. KG", "muller and sohne"),
        ("Smith & Co", "smith"),
        ("Deutsche Telekom AG", "deutsche telekom"),
        ("Société Générale S.A.", "societe generale"),
        ("Publicis Groupe S.A.S.", "publicis groupe"),
        ("Bolloré SARL", "bollore"),
        ("Philips N.V.", "philips"),
        ("Randstad B.V.", "randstad"),
        ("Fiat S.p.A.", "fiat"),
        ("Mercadona S.L.", "mercadona"),
        ("Nokia Oy", "nokia"),
        ("Volvo AB", "volvo"),
        ("AB Volvo", "volvo"),
        ("Maersk A/S", "maersk"),
        ("Sony K.K.", "sony"),
        ("Sony KK", "sony"),
        ("トヨタ自動車株式会社", "トヨタ自動車"),
        ("株式会社トヨタ", "トヨタ"),
        ("㈱トヨタ", "トヨタ"),  # NFKC spells ㈱ as (株)
        ("华为技术有限公司", "华为技术"),
        ("中国平安保险股份有限公司", "中国平安保险"),
        ("ＡＣＭＥ　ＧｍｂＨ", "acme"),  # noqa: RUF001 - full-width forms on purpose: NFKC folds them
        ("The Boring Company", "boring"),
        ("O’Brien Ltd", "obrien"),  # noqa: RUF001 - a typographic apostrophe on purpose
        ("Hewlett-Packard", "hewlett packard"),
        ("STRASSE AG", "strasse"),
        ("Straße AG", "strasse"),  # case folding spells ß as ss
    ],
)
def test_names_are_normalised_for_comparison(given_name: str, normalised: str) -> None:
    assert normalise_name(given_name) == normalised


@pytest.mark.parametrize("only_legal_words", ["AG", "GmbH & Co. KG", "Co", "The Company"])
def test_a_name_that_is_only_a_legal_form_is_kept(only_legal_words: str) -> None:
    assert normalise_name(only_legal_words) == " ".join(
        only_legal_words.casefold().replace(".", "").replace("&", " and ").split()
    )


@pytest.mark.parametrize(
    ("first", "second", "score"),
    [
        # identical after normalisation
        ("ACME Corp.", "Acme Corporation", 100.0),
        # word order does not matter
        ("Networks Acme GmbH", "Acme Networks", 100.0),
        # Indel similarity: 1 - edits / total length. "zalando" (7) vs "zalandoo" (8): 1 insertion,
        # 1 - 1/15 = 93.33…
        ("Zalando SE", "Zalandoo", 100 * (1 - 1 / 15)),
        # "siemens" vs "seimens": a swap is 2 edits over 14 characters, 1 - 2/14 = 85.71…
        ("Siemens AG", "Seimens", 100 * (1 - 2 / 14)),
        # "muller" (6) vs "mueller" (7): 1 insertion, 1 - 1/13 = 92.31…
        ("Müller GmbH", "Mueller GmbH", 100 * (1 - 1 / 13)),
        # "acme" vs "acme networks": 9 insertions over 17 characters, 1 - 9/17 = 47.06…
        ("Acme", "Acme Networks", 100 * (1 - 9 / 17)),
    ],
)
def test_name_scores_are_indel_similarities_of_sorted_words(first: str, second: str, score: float) -> None:
    assert name_score(normalise_name(first), normalise_name(second)) == pytest.approx(score)


def test_an_empty_name_matches_nothing() -> None:
    assert name_score("", "") == 0.0
    assert name_score("acme", "") == 0.0


def _with_deletions(word: str) -> set[str]:
    """A slow reference: the word and each spelling of it without one of its letters."""
    return {word} | {"".join(letter for j, letter in enumerate(word) if j != i) for i in range(len(word))}


def test_tokens_are_significant_words_their_deletions_the_joined_words_and_initials() -> None:
    # "global" and "solutions" are generic: not indexed while "acme" is there; the words joined
    # ("acme" + "global" + "solution", plurals folded) and the initials of three words ("ags") are
    assert name_tokens("acme global solutions") == {
        "acme", "cme", "ame", "ace", "acm", "acmeglobalsolution", "ags"
    }  # fmt: skip
    assert name_tokens("ibm") == {"ibm"}  # short words as they are
    # a name of generic words only is indexed by them
    assert name_tokens("global solutions") >= _with_deletions("global") | _with_deletions("solution")
    assert name_tokens("") == set()


def test_cjk_names_are_indexed_by_character_bigrams() -> None:
    # 株式会社 is a legal form; トヨタ自動車 gives its 5 neighbouring pairs of characters (its kanji in
    # their simplified Chinese form, as every Han character is compared: 動 → 动)
    assert name_tokens("トヨタ自動車株式会社") == {"トヨ", "ヨタ", "タ自", "自动", "动车"}
    # traditional and simplified Chinese, hiragana and katakana are indexed alike
    assert name_tokens("阿里巴巴集團") == name_tokens("阿里巴巴") == {"阿里", "里巴", "巴巴"}
    assert name_tokens("さくらテック") == name_tokens("サクラテック")


def test_the_domain_label_and_acronyms_are_tokens() -> None:
    assert "acme" in customer_tokens("Something Else", "shop.acme.co.uk")  # the registrable domain's label
    assert "alibaba" in customer_tokens("Alibaba Group", "alibabagroup.com")  # its label without "group"
    assert "ibm" in customer_tokens("International Business Machines Corporation", None)
    assert customer_tokens("阿里巴巴", "alibaba.com") & customer_tokens("Alibaba Group", "alibabagroup.com")


def test_rarer_tokens_weigh_more_and_common_ones_nothing() -> None:
    weights = token_weights({"acme": 2, "ace": 500, "logistics": 1001, "zzz": 0}, frequent_above=1000)

    assert weights == {"acme": 0.5, "ace": 1 / 500}


def test_product_overlap_is_the_share_of_the_shorter_list() -> None:
    # firewall and vpn are shared; the shorter list has 3 products: 2/3 = 66.7 → 67
    assert product_overlap(["Firewall", "VPN", "Wifi"], ["vpn", "firewall", "switches", "routers"]) == (
        ["Firewall", "VPN"],
        67,
    )
    assert product_overlap(["firewall"], ["firewall", "vpn"]) == (["firewall"], 100)
    assert product_overlap(["firewall"], ["vpn"]) == ([], 0)


# --- properties --------------------------------------------------------------------------------------------

_NOT_STRIPPED = LEGAL_FORMS | CONNECTORS | LEADING_ARTICLES
words = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=12).filter(
    lambda w: w not in _NOT_STRIPPED
)
company_names = st.lists(words, min_size=1, max_size=4).map(" ".join)
legal_forms = st.sampled_from(
    ["GmbH", "AG", "Ltd", "Limited", "LLC", "Inc.", "Corp.", "S.A.", "S.A.S.", "SARL", "B.V.", "N.V.",
     "S.p.A.", "S.L.", "Pty", "Oy", "AB", "A/S", "KK", "Pty Ltd", "GmbH & Co. KG"]
)  # fmt: skip


@given(st.text(max_size=60))
@settings(deadline=None)
@example("Acme GmbH & Co. KG")
@example("co co acme")
@example("ǅ")
def test_normalising_twice_changes_nothing(name: str) -> None:
    once = normalise_name(name)

    assert normalise_name(once) == once


@given(company_names, legal_forms)
@settings(deadline=None)
def test_a_legal_form_does_not_change_the_name(name: str, form: str) -> None:
    assert normalise_name(f"{name} {form}") == normalise_name(name) == name


@given(company_names)
@settings(deadline=None)
def test_case_punctuation_and_spacing_do_not_change_the_name(name: str) -> None:
    shouted = "  " + name.upper().replace(" ", " ,  ") + ". "

    assert normalise_name(shouted) == normalise_name(name)


@given(st.text(max_size=40), st.text(max_size=40))
@settings(deadline=None)
def test_scores_are_symmetric_and_bounded(first: str, second: str) -> None:
    a, b = normalise_name(first), normalise_name(second)

    assert name_score(a, b) == name_score(b, a)
    assert 0 <= name_score(a, b) <= 100


@given(company_names)
@settings(deadline=None)
def test_a_name_matches_itself_fully(name: str) -> None:
    assert name_score(normalise_name(name), normalise_name(name + " Inc.")) == 100


def _edited(word: str, edit: str, position: int, letter: str) -> str:
    position = min(position, len(word) - 1)
    if edit == "insert":
        return word[:position] + letter + word[position:]
    if edit == "delete":
        return word[:position] + word[position + 1 :]
    if edit == "replace":
        return word[:position] + letter + word[position + 1 :]
    position = min(position, len(word) - 2)  # swap with the next letter
    return word[:position] + word[position + 1] + word[position] + word[position + 2 :]


@given(
    company_names,
    st.data(),
    st.sampled_from(["insert", "delete", "replace", "swap"]),
    st.sampled_from(string.ascii_lowercase),
)
@settings(max_examples=300, deadline=None)
def test_names_one_typo_apart_share_a_token(name: str, data: st.DataObject, edit: str, letter: str) -> None:
    words = name.split()
    index = data.draw(st.integers(0, len(words) - 1))
    assume(words[index] not in GENERIC_WORDS and len(words[index]) >= 4)
    position = data.draw(st.integers(0, len(words[index]) - 1))
    typo = _edited(words[index], edit, position, letter)
    assume(typo not in _NOT_STRIPPED)
    misspelt = " ".join([*words[:index], typo, *words[index + 1 :]])

    assert name_tokens(normalise_name(name)) & name_tokens(normalise_name(misspelt))


@given(company_names)
@settings(deadline=None)
def test_every_significant_word_is_indexed_with_its_deletions(name: str) -> None:
    tokens = name_tokens(name)
    for word in name_form(name).core:
        if word not in GENERIC_WORDS and word not in COMMON_WORDS:
            assert (_with_deletions(word) if len(word) >= 4 else {word}) <= tokens


# not `www`: `www.co.uk` loses its `www.` like any host (telling it from a registrable name needs the
# public-suffix list)
domain_labels = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20).filter(
    lambda label: label != "www"
)


@given(domain_labels, st.sampled_from(["com", "de", "co.uk", "example"]), st.sampled_from(["", ":8080"]))
@settings(deadline=None)
def test_any_spelling_of_a_domain_normalises_to_the_bare_host(label: str, tld: str, port: str) -> None:
    domain = f"{label}.{tld}"

    for spelling in (domain, domain.upper(), f"https://www.{domain}{port}/about?x=1", f"http://{domain}."):
        assert normalise_customer_domain(spelling) == domain


def test_a_www_that_is_the_name_itself_is_kept() -> None:
    assert normalise_customer_domain("https://www.com/") == "www.com"
    assert normalise_customer_domain("www.www.com") == "www.com"


def test_unicode_domains_are_compared_in_punycode() -> None:
    assert normalise_customer_domain("https://www.Müller.de/kontakt") == "xn--mller-kva.de"


# --- conflicts ---------------------------------------------------------------------------------------------

MINE, THEIRS = uuid.uuid4(), uuid.uuid4()


def _submission(**fields: object) -> Submission:
    values: dict[str, object] = {
        "partner_id": MINE,
        "customer_name": "Globex Corporation",
        "customer_domain": "globex.example",
        "country": "DE",
        "region": None,
        "customer_segment": None,
        "products": ["firewall", "vpn"],
    }
    values.update(fields)
    return Submission(**values)  # type: ignore[arg-type]


def _registration(**fields: object) -> RegistrationCandidate:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "partner_id": THEIRS,
        "customer_name": "Globex Corp.",
        "customer_domain": "globex.example",
        "status": DealRegistrationStatus.APPROVED,
        "products": ["VPN"],
    }
    values.update(fields)
    return RegistrationCandidate(**values)  # type: ignore[arg-type]


def test_the_same_domain_with_a_shared_product_gives_two_reasons() -> None:
    other = _registration()

    conflicts = score_conflicts(_submission(), Candidates(registrations=[other]), name_threshold=88)

    assert [(c.kind, c.score, c.other_registration_id, c.other_partner_id) for c in conflicts] == [
        (ConflictKind.CUSTOMER_DOMAIN, 100, other.id, THEIRS),
        # vpn is shared; the shorter list has 1 product: 1/1 = 100
        (ConflictKind.PRODUCT_OVERLAP, 100, other.id, THEIRS),
    ]
    assert "same customer domain globex.example" in conflicts[0].reason
    assert "approved registration" in conflicts[0].reason
    assert "covers vpn too" in conflicts[1].reason


def test_a_look_alike_name_without_a_domain_is_a_name_conflict() -> None:
    other = _registration(customer_name="Globex Corp", customer_domain=None, products=["wifi"])

    [conflict] = score_conflicts(_submission(), Candidates(registrations=[other]), name_threshold=88)

    assert (conflict.kind, conflict.score) == (ConflictKind.CUSTOMER_NAME, 100)
    assert "'Globex Corporation' matches 'Globex Corp'" in conflict.reason
    assert conflict.explanation is not None
    assert (conflict.explanation.relation, conflict.explanation.fields) == ("same_name", ("customer_name",))
    assert (conflict.explanation.submitted_form, conflict.explanation.other_form) == ("globex", "globex")


def test_the_same_name_on_two_unrelated_own_domains_is_a_conflict_without_the_penalty() -> None:
    # "Globex Corporation" and "Globex Corp" are both "globex": one firm with two domains is reviewed, so the
    # unrelated-domains penalty (which would leave 100 - 15 = 85 < 88) does not apply
    other = _registration(customer_name="Globex Corp", customer_domain="globex-shop.example")

    [conflict, _overlap] = score_conflicts(
        _submission(), Candidates(registrations=[other]), name_threshold=88
    )

    assert (conflict.kind, conflict.score) == (ConflictKind.CUSTOMER_NAME, 100)
    assert conflict.explanation is not None
    assert "-15" not in conflict.explanation.rule


def test_a_look_alike_name_on_two_unrelated_own_domains_keeps_the_penalty() -> None:
    # "globex" vs "globexx": one insertion over 13 characters, 1 - 1/13 = 92.3; less 15 = 77.3 < 88
    other = _registration(customer_name="Globexx Corp", customer_domain="globexx-shop.example")

    assert score_conflicts(_submission(), Candidates(registrations=[other]), name_threshold=88) == []
    [conflict, _overlap] = score_conflicts(
        _submission(), Candidates(registrations=[other]), name_threshold=77
    )
    assert (conflict.kind, conflict.score) == (ConflictKind.CUSTOMER_NAME, 77)


def test_names_below_the_threshold_do_not_conflict() -> None:
    # "globex" vs "globus": 2 substitutions = 4 edits over 12 characters, 1 - 4/12 = 66.7
    other = _registration(customer_name="Globus", customer_domain=None)

    assert score_conflicts(_submission(), Candidates(registrations=[other]), name_threshold=88) == []
    assert score_conflicts(_submission(), Candidates(registrations=[other]), name_threshold=60) != []


def test_a_partner_does_not_conflict_with_itself() -> None:
    own = _registration(partner_id=MINE)

    assert score_conflicts(_submission(), Candidates(registrations=[own]), name_threshold=88) == []


def test_house_accounts_match_by_domain_or_name() -> None:
    by_domain = HouseAccountCandidate(uuid.uuid4(), "Something Else", "globex.example")
    by_name = HouseAccountCandidate(uuid.uuid4(), "GLOBEX Corp.", "globex-direct.example")
    look_alike = HouseAccountCandidate(uuid.uuid4(), "Globexx", "globexx.example")
    unrelated = HouseAccountCandidate(uuid.uuid4(), "Initech", "initech.example")
    accounts = Candidates(house_accounts=[by_domain, by_name, look_alike, unrelated])

    with_domain = score_conflicts(_submission(), accounts, name_threshold=88)
    # a submission without a domain is matched by name (and country) only
    name_only = score_conflicts(_submission(customer_domain=None), accounts, name_threshold=88)

    # by_name is the same name ("globex") on its own domain: no penalty. look_alike's own, unrelated domain
    # costs its name match 15: "globex" vs "globexx" 1 - 1/13 = 92.3, less 15 = 77.3 < 88. Equal scores are
    # ordered by reason ('GLOBEX Corp.' before 'Something Else').
    assert [(c.house_account_id, c.score) for c in with_domain] == [(by_name.id, 100), (by_domain.id, 100)]
    assert [(c.house_account_id, c.score) for c in name_only] == [(by_name.id, 100), (look_alike.id, 92)]
    assert all(c.kind == ConflictKind.HOUSE_ACCOUNT for c in with_domain + name_only)


def test_exclusive_territories_of_others_that_cover_the_customer_conflict() -> None:
    bavaria = TerritoryCandidate(uuid.uuid4(), THEIRS, TerritoryScope("DE", "Bavaria", None, True))
    germany = TerritoryCandidate(uuid.uuid4(), THEIRS, TerritoryScope("DE", None, "enterprise", True))
    mine = TerritoryCandidate(uuid.uuid4(), MINE, TerritoryScope("DE", None, None, True))
    candidates = Candidates(territories=[bavaria, germany, mine])

    in_bavaria = score_conflicts(_submission(region="bavaria"), candidates, name_threshold=88)
    region_unknown = score_conflicts(_submission(), candidates, name_threshold=88)
    smb_in_bavaria = score_conflicts(
        _submission(region="Bavaria", customer_segment="smb"), candidates, name_threshold=88
    )

    assert {c.territory_id for c in in_bavaria} == {bavaria.id, germany.id}
    assert {c.territory_id for c in region_unknown} == {germany.id}
    assert {c.territory_id for c in smb_in_bavaria} == {bavaria.id}
    assert all(c.kind == ConflictKind.EXCLUSIVE_TERRITORY and c.score == 100 for c in in_bavaria)
    assert "DE (segment enterprise) is an exclusive territory of another partner" in {
        c.reason for c in in_bavaria
    }


# --- issue 13: the customers the conflict check must (and must not) catch -----------------------------------

ACME_DE = Customer("Acme GmbH", "acme.de", "DE")


def _match(name: str, domain: str | None, country: str = "DE", earlier: Customer = ACME_DE) -> object:
    """How the submitted customer relates to `earlier`, as the registry's default threshold (88) decides,
    and whether the token index would have found `earlier` for it."""
    found = match_customer(Customer(name, domain, country), earlier, threshold=88)
    indexed = bool(customer_tokens(name, domain) & customer_tokens(earlier.name, earlier.domain))
    assert found is None or indexed or domain == earlier.domain, "flagged but not found by the index"
    return None if found is None else found.relation


@pytest.mark.parametrize(
    ("name", "domain"),
    [("Acme Holding GmbH", None), ("Acme Deutschland GmbH", None), ("Acme Holding", "acme-holding.com")],
)
def test_a_group_word_makes_the_same_group_not_the_same_customer(name: str, domain: str | None) -> None:
    assert _match(name, domain) == Relation.SAME_GROUP


def test_a_cjk_group_name_is_the_same_group() -> None:
    alibaba = Customer("阿里巴巴", "alibaba.com", "CN")

    assert _match("阿里巴巴集团", None, "CN", earlier=alibaba) == Relation.SAME_GROUP
    assert (
        _match("阿里巴巴集团控股有限公司", "alibabagroup.com", "CN", earlier=alibaba) == Relation.SAME_GROUP
    )


@pytest.mark.parametrize(
    "name", ["Acme AG", "Acme Gmbh & Co. KG", "The Acme Company", "Acme GmbH", "Acmee GmbH", "ACME"]
)
def test_legal_forms_articles_and_a_typo_are_still_the_same_customer(name: str) -> None:
    assert _match(name, None) == Relation.SAME_NAME


def test_a_one_letter_apart_name_on_its_own_unrelated_domain_is_another_firm() -> None:
    acme_pharma = Customer("Acme Pharma GmbH", "acmepharma.de", "DE")

    assert _match("Acne Pharma GmbH", "acne-pharma.de", earlier=acme_pharma) is None
    # without a domain of its own nothing says "another firm": a typo of the registered customer
    assert _match("Acne Pharma GmbH", None, earlier=acme_pharma) == Relation.SAME_NAME


def test_a_name_only_registration_is_matched_by_name_and_country() -> None:
    earlier = Customer("Tessendorf Anlagenbau GmbH", None, "DE")

    assert _match("Tessendorf Anlagebau GmbH", None, "DE", earlier=earlier) == Relation.SAME_NAME
    # the same name in another country: 100 - 20 = 80 < 88
    assert _match("Tessendorf Anlagenbau GmbH", None, "AT", earlier=earlier) is None


@pytest.mark.parametrize(
    ("name", "domain", "earlier", "relation"),
    [
        # a subdomain of the registered domain (public-suffix list: shop.acme.co.uk → acme.co.uk)
        ("Acme UK Limited", "shop.acme.co.uk", Customer("Acme UK Ltd", "acme.co.uk", "GB"), "same_domain"),
        # the same domain name under another top-level domain in one country
        ("Acme", "acme.com", ACME_DE, "domain_alias"),
        # an acronym of the registered name
        ("IBM", None, Customer("International Business Machines Corporation", "ibm.com", "US"), "same_name"),
        # traditional vs simplified Chinese; hiragana for katakana; a Korean legal form
        ("北京華信科技有限公司", None, Customer("北京华信科技有限公司", "huaxin-tech.cn", "CN"), "same_name"),
        ("さくらテック株式会社", None, Customer("株式会社サクラテック", "sakuratech.jp", "JP"), "same_name"),
        ("㈜한빛전자", None, Customer("주식회사 한빛전자", "hanbit-e.co.kr", "KR"), "same_name"),
        # legal forms and connectors of other countries
        ("Kowalski i Synowie sp. z o. o.", None, Customer("Kowalski & Synowie", None, "PL"), "same_name"),
        (
            "Bouwbedrijf Smit en Zonen B.V.",
            None,
            Customer("Bouwbedrijf Smit & Zn.", "smitbouw.nl", "NL"),
            "same_name",
        ),
        ("Aeroe Mejeri ApS", None, Customer("Ærø Mejeri ApS", "aeroemejeri.dk", "DK"), "same_name"),
    ],
)
def test_other_spellings_of_one_customer_are_caught(
    name: str, domain: str | None, earlier: Customer, relation: str
) -> None:
    country = earlier.country or "DE"
    assert _match(name, domain, country, earlier=earlier) == Relation(relation)


def test_a_same_group_conflict_is_shown_as_such_with_its_explanation() -> None:
    other = _registration(customer_name="Acme GmbH", customer_domain="acme.de", products=["wifi"])

    [conflict] = score_conflicts(
        _submission(customer_name="Acme Holding GmbH", customer_domain=None),
        Candidates(registrations=[other]),
        name_threshold=88,
    )

    assert conflict.kind == ConflictKind.SAME_GROUP
    assert "is of the same group as 'Acme GmbH'" in conflict.reason
    assert conflict.explanation is not None
    assert conflict.explanation.relation == "same_group"
    assert (conflict.explanation.submitted_form, conflict.explanation.other_form) == ("acme", "acme")
    assert "group word holding" in conflict.explanation.rule


def test_a_typo_of_an_abbreviation_shares_a_token_with_it() -> None:
    # `bros` is compared as `brothers`; a typo of the abbreviation as written (`abros`) is still one edit away
    assert name_tokens(normalise_name("Smith Bros")) & name_tokens(normalise_name("Abros"))
    assert "bros" in name_tokens("bros")
