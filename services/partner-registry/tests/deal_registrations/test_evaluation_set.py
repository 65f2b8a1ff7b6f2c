"""The labelled customer pairs the conflict check is measured on (`bench/data/customer_pairs.csv`) stay well
formed: unique ids, known labels and categories, valid countries, enough rows, the label mix, and every
language, script, legal form and group word the set promises (see `customer_pairs.md`).

The matcher's quality is not asserted here: `bench/matching_bench.py` measures it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pycountry
import pytest

pytestmark = pytest.mark.backend_independent

DATA = Path(__file__).resolve().parents[4] / "bench" / "data" / "customer_pairs.csv"
COLUMNS = [
    "id",
    "left_name",
    "left_domain",
    "left_country",
    "right_name",
    "right_domain",
    "right_country",
    "label",
    "category",
    "note",
]
LABELS = {"same_customer", "same_group", "different"}
CATEGORIES = {
    "legal_form",
    "group_word",
    "transliteration",
    "cjk_script",
    "abbreviation",
    "subdomain",
    "country_domain",
    "typo",
    "punctuation",
    "word_order",
    "hard_negative",
    "common_words",
    "name_only",
}
MIN_ROWS = 400
MIN_SHARE = {"same_customer": 0.35, "same_group": 0.20, "different": 0.35}
DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

# Each language: the countries its records come from, and its legal forms as they are written in the names.
LANGUAGES = {
    "German": ({"DE", "AT", "CH"}, r"\b(GmbH|AG|KG|e\.K\.|SE|Ges\.m\.b\.H\.)(?!\w)"),
    "French": ({"FR", "BE"}, r"\b(SAS|SARL|SA|EURL|SCEA|SELARL)\b"),
    "Spanish": ({"ES"}, r"\b(S\.L\.|SL|S\.A\.|S\.A\.U\.|SAU)(?!\w)"),
    "Italian": ({"IT"}, r"\b(S\.p\.A\.|SpA|S\.r\.l\.|Srl)(?!\w)"),
    "Dutch": ({"NL"}, r"\b(B\.V\.|BV|N\.V\.|NV)(?!\w)"),
    "Swedish": ({"SE"}, r"\bAB\b"),
    "Norwegian": ({"NO"}, r"\bASA?\b"),
    "Danish": ({"DK"}, r"\b(A/S|ApS)(?!\w)"),
    "Finnish": ({"FI"}, r"\bOyj?\b"),
    "Polish": ({"PL"}, r"(?i)\bsp\. ?z ?o\. ?o\.|\bS\.A\."),
    "English (UK)": ({"GB"}, r"\b(Ltd|Limited|plc|PLC|LLP)\b"),
    "English (US)": ({"US"}, r"\b(Inc\.?|LLC|Corporation|Corp\.?)(?!\w)"),
    "English (India)": ({"IN"}, r"\b(Pvt\.? Ltd\.?|Private Limited)(?!\w)"),
    "Chinese (simplified)": ({"CN"}, r"有限公司"),
    "Chinese (traditional)": ({"TW", "HK"}, r"有限公司"),
    "Japanese": ({"JP"}, r"株式会社|有限会社|合同会社|\(株\)|㈱"),
    "Korean": ({"KR"}, r"주식회사|\(주\)|㈜"),
}
MIN_ROWS_PER_LANGUAGE = 8  # the Nordic languages one by one; most have 20-100
GROUP_WORDS = ("Holding", "Group", "Deutschland", "International", "集团", "控股", "ホールディングス", "그룹")
# Characters written only in simplified, or only in traditional, Chinese (the pairs' own vocabulary).
SIMPLIFIED_ONLY = set("华东电贸团丰软绿长运")
TRADITIONAL_ONLY = set("華東電貿團豐軟綠長運灣機")


def _rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


ROWS = _rows()


def _names(row: dict[str, str]) -> str:
    return f"{row['left_name']} {row['right_name']}"


def _scripts(text: str) -> set[str]:
    found = set()
    for char in text:
        name = unicodedata.name(char, "")
        if name.startswith("CJK UNIFIED IDEOGRAPH"):
            found.add("Han")
        elif name.startswith("HIRAGANA LETTER"):
            found.add("Hiragana")
        elif name.startswith(("KATAKANA LETTER", "HALFWIDTH KATAKANA LETTER")):
            found.add("Katakana")
        elif name.startswith("HANGUL SYLLABLE"):
            found.add("Hangul")
        elif name.startswith("LATIN") and ("WITH" in name or name.endswith(("SHARP S", "LETTER AE"))):
            found.add("Latin with diacritics")
    return found


def test_enough_rows_with_unique_ids() -> None:
    ids = [row["id"] for row in ROWS]
    assert len(ROWS) >= MIN_ROWS
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    assert all(re.fullmatch(r"p\d{4}", i) for i in ids)


def test_no_pair_twice() -> None:
    keys = Counter(tuple(row[c] for c in COLUMNS[1:7]) for row in ROWS)
    assert [key for key, n in keys.items() if n > 1] == []


def test_labels_and_categories_from_the_allowed_sets() -> None:
    assert {row["label"] for row in ROWS} == LABELS
    assert {row["category"] for row in ROWS} <= CATEGORIES
    assert {row["category"] for row in ROWS} == CATEGORIES, "every category has pairs"


@pytest.mark.parametrize("label", sorted(MIN_SHARE))
def test_label_share(label: str) -> None:
    share = sum(row["label"] == label for row in ROWS) / len(ROWS)
    assert share >= MIN_SHARE[label], f"{label}: {share:.1%}"


def test_every_row_is_filled_in() -> None:
    for row in ROWS:
        for column in ("left_name", "right_name", "note", "left_country", "right_country"):
            assert row[column].strip() == row[column] != "", (row["id"], column)


def test_countries_are_iso_alpha_2() -> None:
    for row in ROWS:
        for column in ("left_country", "right_country"):
            code = row[column]
            assert re.fullmatch(r"[A-Z]{2}", code), (row["id"], code)
            assert pycountry.countries.get(alpha_2=code) is not None, (row["id"], code)


def test_domains_are_bare_lower_case_host_names_or_empty() -> None:
    for row in ROWS:
        for column in ("left_domain", "right_domain"):
            domain = row[column]
            assert domain == "" or DOMAIN.fullmatch(domain), (row["id"], domain)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_every_language_is_present_with_its_legal_forms(language: str) -> None:
    countries, legal_form = LANGUAGES[language]
    rows = [r for r in ROWS if r["left_country"] in countries or r["right_country"] in countries]
    assert len(rows) >= MIN_ROWS_PER_LANGUAGE, f"{language}: {len(rows)} pairs"
    with_form = [
        r
        for r in ROWS
        for side in ("left", "right")
        if r[f"{side}_country"] in countries and re.search(legal_form, r[f"{side}_name"])
    ]
    assert with_form, f"{language}: no name with a legal form of the language"
    assert {r["label"] for r in rows} == LABELS, f"{language}: not every label"


@pytest.mark.parametrize("script", ["Han", "Hiragana", "Katakana", "Hangul", "Latin with diacritics"])
def test_every_script_is_present(script: str) -> None:
    assert any(script in _scripts(_names(row)) for row in ROWS)


def test_simplified_and_traditional_chinese_are_both_present() -> None:
    assert any(set(_names(row)) & SIMPLIFIED_ONLY for row in ROWS)
    assert any(set(_names(row)) & TRADITIONAL_ONLY for row in ROWS)
    # and a pair of the two scripts of one name
    assert any(
        set(row["left_name"]) & SIMPLIFIED_ONLY and set(row["right_name"]) & TRADITIONAL_ONLY
        for row in ROWS
        if row["label"] == "same_customer"
    )


@pytest.mark.parametrize("word", GROUP_WORDS)
def test_every_group_word_is_present_in_a_group_pair(word: str) -> None:
    assert any(word in _names(row) for row in ROWS if row["label"] == "same_group")


def test_the_reported_misses_are_in_the_set() -> None:
    """The misses of issue 13 are labelled positives."""
    wanted = {
        ("Acme GmbH", "Acme Holding GmbH"),
        ("Acme GmbH", "Acme Deutschland GmbH"),
        ("Acme GmbH", "Acme Holding"),
        ("阿里巴巴", "阿里巴巴集团"),
    }
    positives = {(r["left_name"], r["right_name"]) for r in ROWS if r["label"] != "different"}
    assert wanted <= positives


def test_the_brief_examples_are_in_the_set() -> None:
    pairs = {(r["left_name"], r["right_name"]): r for r in ROWS}
    assert pairs[("Acme Pharma GmbH", "Acne Pharma GmbH")]["label"] == "different"
    assert pairs[("Apple Inc.", "Apple Bank")]["label"] == "different"
    assert pairs[("Global Solutions Ltd", "Global Solutions Partners Ltd")]["label"] == "different"
    assert pairs[("International Business Machines Corporation", "IBM")]["label"] == "same_customer"
    assert any(r["right_domain"] == "shop.acme.co.uk" and r["left_domain"] == "acme.co.uk" for r in ROWS)
    assert any({r["left_domain"], r["right_domain"]} == {"acme.de", "acme.com"} for r in ROWS)
