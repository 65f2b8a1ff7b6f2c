"""The forms customer names and domains are compared in by the conflict check (pure, no I/O).

A name becomes a `NameForm`: transliterated to one script per writing system (Latin letters to ASCII with
`anyascii`, traditional Chinese to simplified with OpenCC, hiragana and half-width katakana to katakana),
legal forms and connectors dropped, and the group words (Holding, Gruppe, 集团, Deutschland, …) set apart, so
that "Acme Holding GmbH" reads as the core `acme` plus the group word `holding`. A domain becomes a
`DomainForm`: its registrable domain under the public-suffix list (shop.acme.co.uk → acme.co.uk) and that
domain's label (`acme`), so aliases under another top-level domain can be told from unrelated domains.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from anyascii import anyascii
from opencc import OpenCC  # type: ignore[import-untyped]
from publicsuffixlist import PublicSuffixList

# Written without spaces in Chinese, Japanese and Korean, so removed as text from either end of a word.
CJK_LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "公司",
    "株式会社",
    "有限会社",
    "合同会社",
    "주식회사",
    "유한회사",
)
# Legal forms as single words, after dots and slashes are dropped ("S.p.A." → "spa", "A/S" → "as") and the
# multi-word forms are joined (`_JOINED_FORMS`).
LEGAL_FORM_WORDS = frozenset(
    {
        # German-speaking
        "gmbh", "mbh", "gesmbh", "ag", "kg", "kgaa", "ohg", "ug", "ev", "ek", "se", "mbb", "partg",
        # English-speaking
        "ltd", "limited", "llc", "llp", "lp", "plc", "inc", "incorporated", "corp", "corporation",
        "co", "company", "pty", "pte", "pvt", "pllc", "pc",
        # Romance languages
        "sa", "sas", "sasu", "sarl", "eurl", "spa", "srl", "sl", "slu", "sau", "ltda", "lda", "sca", "scea",
        "selarl", "soccoop", "sacv",
        # Benelux, Nordics, Poland
        "bv", "nv", "bvba", "ua", "oy", "oyj", "ab", "publ", "as", "asa", "aps", "hb", "handelsbolag",
        "spzoo", "spk", "sj",
        # Asia, Middle East
        "kk", "gk", "bhd", "sdn", "fze", "fzco", "株", "주",
    }
) | frozenset(CJK_LEGAL_FORMS)  # fmt: skip
# Spelled over several words; joined into one legal-form word before the words are split.
_JOINED_FORMS = (
    (re.compile(r"\bsp\.?\s*z\s*o\.?\s*o\b\.?"), " spzoo "),
    (re.compile(r"\bspolka z ograniczona odpowiedzialnoscia\b"), " spzoo "),
    (re.compile(r"\bsp\.?\s*k\b\.?"), " spk "),
    (re.compile(r"\bsp\.?\s*j\b\.?"), " sj "),
    (re.compile(r"\bprivate limited\b"), " pvt ltd "),
    (re.compile(r"\bges\.?\s*m\.?\s*b\.?\s*h\b\.?"), " gesmbh "),
    (re.compile(r"\bs\.?\s*a\.?\s+de\s+c\.?\s*v\b\.?"), " sacv "),
    (re.compile(r"\bsoc\.?\s*coop\b\.?"), " soccoop "),
    (re.compile(r"\bl\.l\.c\b\.?"), " llc "),
)
CONNECTORS = frozenset({"and", "und", "et", "y", "e", "i", "och", "og", "en"})
LEADING_WORDS = frozenset({"the", "koninklijke"})
# Words that carry no identity of their own in a name: dropped from the core.
STOP_WORDS = CONNECTORS | frozenset(
    {"of", "the", "de", "der", "den", "het", "t", "di", "du", "del", "della", "la", "le", "les", "da", "d"}
)
# "& Sons", "et Fils", "e Hijos": the family part of a firm's name, often left out when it is written.
FAMILY_WORDS = frozenset(
    {"sons", "son", "sohne", "soehne", "sohn", "fils", "hijos", "figli", "zonen", "synowie", "brothers"}
)
# Abbreviations written out, so both spellings compare equal.
ABBREVIATIONS = {"zn": "zonen", "cie": "compagnie", "intl": "international", "vd": "van", "bros": "brothers"}

# A parent, holding or arm of a group: the same group, not the same customer.
GROUP_WORDS = frozenset(
    {
        "holding", "holdings", "group", "groupe", "gruppe", "grupo", "gruppo", "groep", "grupa", "koncern",
        "konserni", "konzern", "international", "internacional", "internazionale", "export",
        "集团", "控股", "ホールディングス", "グループ", "그룹", "홀딩스",
    }
)  # fmt: skip
# One group word in every language, so "Vernier Group" and "Groupe Vernier" carry the same one.
GROUP_SYNONYMS = {
    **dict.fromkeys(
        ("groupe", "gruppe", "grupo", "gruppo", "groep", "grupa", "koncern", "konserni"), "group"
    ),
    **dict.fromkeys(("konzern", "集团", "グループ", "그룹"), "group"),
    **dict.fromkeys(("holdings", "控股", "ホールディングス", "홀딩스"), "holding"),
    **dict.fromkeys(("internacional", "internazionale"), "international"),
}
# A country (or region) company of a group.
COUNTRY_WORDS = frozenset(
    {
        "deutschland", "osterreich", "oesterreich", "austria", "schweiz", "suisse", "svizzera", "belgique",
        "belgie", "belgium", "polska", "poland", "sverige", "sweden", "norge", "norway", "danmark", "denmark",
        "suomi", "finland", "nederland", "netherlands", "italia", "italy", "france", "espana", "spain",
        "portugal", "iberia", "europe", "europa", "emea", "america", "americas", "usa", "us", "uk", "canada",
        "mexico", "brasil", "brazil", "india", "china", "japan", "korea", "asia", "apac", "australia",
        "香港", "上海", "深圳", "北京", "台湾", "中国", "日本", "베트남", "미국", "중국", "일본",
    }
)  # fmt: skip
GROUP_MARKERS = GROUP_WORDS | COUNTRY_WORDS
# Group words are also written glued to the end of a CJK name (阿里巴巴集团, 한빛그룹).
CJK_GROUP_SUFFIXES = ("控股集团", "集团", "控股", "ホールディングス", "グループ", "그룹", "홀딩스")
# Names made only of such words are too common to say two firms are one group.
GENERIC_WORDS = frozenset(
    {
        "global", "solution", "solutions", "service", "services", "system", "systems", "technology",
        "technologies", "tech", "consulting", "consultant", "consultants", "partner", "partners",
        "enterprise", "enterprises", "industry", "industries", "trading", "trade", "premier", "digital",
        "smart", "management", "capital", "media", "energy", "green", "first", "national", "general",
        "united", "central", "medical", "health", "healthcare", "euro", "nordic", "alpha", "best", "care",
    }
)  # fmt: skip

_T2S = OpenCC("t2s")
_PSL = PublicSuffixList()  # ICANN and private suffixes: shop.myshopify.com is its own registrable domain
_ICANN = PublicSuffixList(only_icann=True)
_DROPPED = re.compile(
    "[.'\u2019\u00b4`/]"
)  # dots, apostrophes, slashes: "S.p.A." → "spa", "O'Brien" → "obrien"
_SEPARATORS = re.compile(r"[\W_]+")
_HIRAGANA = re.compile("[\u3041-\u3096]")


def is_cjk(char: str) -> bool:
    """Han, kana and Hangul: scripts written without spaces between the words of a name."""
    code = ord(char)
    return (
        0x3040 <= code <= 0x30FF  # hiragana, katakana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0x1100 <= code <= 0x11FF
        or 0xF900 <= code <= 0xFAFF
    )


def has_cjk(text: str) -> bool:
    """Any CJK character in `text` (ASCII text has none: the common case, answered without a look)."""
    return not text.isascii() and any(is_cjk(char) for char in text)


def _transliterated(text: str) -> str:
    """Latin (and other alphabetic) letters to ASCII, CJK kept but in one script: `Łódź` → `lodz`,
    `華東` → `华东`, `さくら` → `サクラ`, `ｻｸﾗ` → `サクラ`."""
    if text.isascii():  # NFKC, the script conversions and anyascii leave ASCII as it is
        return text.casefold()
    text = unicodedata.normalize("NFKC", text)
    text = _HIRAGANA.sub(lambda m: chr(ord(m.group()) + 0x60), text)
    text = _T2S.convert(text).replace("臺", "台")
    kept = [char if is_cjk(char) else anyascii(char) for char in text]
    return "".join(kept).casefold()


def _strip_cjk_affixes(word: str, affixes: tuple[str, ...]) -> tuple[str, list[str]]:
    """`word` without the affixes at either end (kept when nothing else is left), and those removed."""
    removed: list[str] = []
    changed = True
    while changed:
        changed = False
        for affix in affixes:
            if word.endswith(affix) and len(word) > len(affix):
                word, changed = word[: -len(affix)], True
                removed.append(affix)
            elif word.startswith(affix) and len(word) > len(affix):
                word, changed = word[len(affix) :], True
                removed.append(affix)
    return word, removed


def _stem(word: str) -> str:
    """A light plural fold: `industries` → `industry`, `analytics` → `analytic`; CJK words as they are."""
    if not word.isascii() or len(word) <= 4:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def romanised(text: str) -> str:
    """A CJK name in Latin letters (pinyin-like readings), to weigh a one-character typo as the few letters
    it changes rather than a sixth of the name: 北京华信科枝 → beijinghuaxinkezhi."""
    return anyascii(text).casefold()


def fold_spelling(word: str) -> str:
    """Spelling variants of one sound as one: `mueller`/`muller`, `aeroe`/`aero`, `strasse`/`strase`."""
    if not word.isascii():
        return word
    return word.replace("ae", "a").replace("oe", "o").replace("ue", "u").replace("ss", "s")


@dataclass(frozen=True)
class NameForm:
    """A customer name as the matcher compares it."""

    words: tuple[str, ...]  # legal forms dropped, transliterated; group and country words included
    core: tuple[str, ...]  # the words without group words, country words and stop words, stemmed and folded
    group_words: tuple[str, ...]  # the group and country words set apart from the core, in one language
    cjk: bool  # written in a CJK script: compared by characters, not words
    initials: frozenset[str] = frozenset()  # `international business machines` → `ibm` (and with its form)
    abbreviations: tuple[str, ...] = ()  # words as written that `words` has expanded (`bros` → `brothers`)

    @property
    def core_text(self) -> str:
        return " ".join(self.core)

    @property
    def joined(self) -> str:
        return "".join(self.core)


def _initials(words: list[str]) -> str:
    """`international business machines` → `ibm`, stop words left out; empty for CJK or under three words
    (two-letter initials are shared by too many names to tell them apart)."""
    significant = [w for w in words if w not in STOP_WORDS]
    if len(significant) < 3 or not all(w.isascii() and w.isalpha() for w in significant):
        return ""
    return "".join(w[0] for w in significant)


def _legal_stripped(words: list[str]) -> list[str]:
    """Legal forms (and a connector before one: "Smith & Co") off either end; leading articles too."""
    kept = list(words)
    stripped_last = False
    while len(kept) > 1 and (kept[-1] in LEGAL_FORM_WORDS or (stripped_last and kept[-1] in CONNECTORS)):
        kept.pop()
        stripped_last = True
    while len(kept) > 1 and (kept[0] in LEGAL_FORM_WORDS or kept[0] in LEADING_WORDS):
        kept.pop(0)
    return kept


def _words_and_abbreviations(name: str) -> tuple[list[str], list[str]]:
    """The name's words, abbreviations expanded, and the abbreviations as written."""
    text = _transliterated(name).replace("&", " and ").replace("+", " and ")
    for pattern, joined in _JOINED_FORMS:
        text = pattern.sub(joined, text)
    text = _DROPPED.sub("", text)
    words: list[str] = []
    abbreviations: list[str] = []
    for word in _SEPARATORS.split(text):
        if not word:
            continue
        if word not in LEGAL_FORM_WORDS and has_cjk(word):
            word, _ = _strip_cjk_affixes(word, CJK_LEGAL_FORMS)
        expanded = ABBREVIATIONS.get(word)
        if expanded is None:
            words.append(word)
        else:
            words.extend(expanded.split())
            abbreviations.append(word)
    return words, abbreviations


@cache
def name_form(name: str) -> NameForm:
    """The compared form of a customer name (cached: candidates are compared with many submissions)."""
    raw, abbreviations = _words_and_abbreviations(name)
    words = _legal_stripped(raw)
    group: list[str] = []
    rest: list[str] = []
    for position, word in enumerate(words):
        if has_cjk(word):
            word, removed = _strip_cjk_affixes(word, CJK_GROUP_SUFFIXES)
            group.extend(GROUP_SYNONYMS.get(w, w) for w in removed)
        # a group word counts anywhere ("Groupe Vernier", "Acme Holding"), a country word only after the name
        # ("Acme Deutschland GmbH"); `words` keeps them all for the initials ("International Business …")
        last = position == len(words) - 1 or words[position + 1] in GROUP_MARKERS
        if len(words) > 1 and (word in GROUP_WORDS or (word in COUNTRY_WORDS and position > 0 and last)):
            group.append(GROUP_SYNONYMS.get(word, word))
        else:
            rest.append(word)
    rest = _legal_stripped(rest) if rest else rest
    core = [fold_spelling(_stem(w)) for w in rest if w not in STOP_WORDS and w not in FAMILY_WORDS] or [
        fold_spelling(_stem(w)) for w in rest
    ]
    if not core:  # a name of group words only ("International Group") is its own core
        core, group = [fold_spelling(_stem(w)) for w in words], []
    cjk = any(has_cjk(word) for word in core)
    initials = frozenset(i for i in (_initials(words), _initials(raw)) if i)
    return NameForm(tuple(words), tuple(core), tuple(sorted(set(group))), cjk, initials, tuple(abbreviations))


def is_generic(form: NameForm) -> bool:
    """A core of common words only ("Global Solutions", "Premier Consulting"): many firms are called so."""
    return all(word in GENERIC_WORDS or (word.isascii() and len(word) <= 2) for word in form.core)


# --- domains -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DomainForm:
    host: str
    registrable: str  # shop.acme.co.uk → acme.co.uk; nordlicht.myshopify.com stays (a platform's customer)
    label: str  # acme.co.uk → acme
    hosted: bool  # on a platform's domain (github.io, myshopify.com): not a domain of the customer's own


@cache
def domain_form(host: str) -> DomainForm:
    """What a (normalised) customer domain says about who owns it, from the bundled public-suffix list."""
    registrable = _PSL.privatesuffix(host) or host
    public = _PSL.publicsuffix(host) or ""
    hosted = public != (_ICANN.publicsuffix(host) or "")
    label = registrable[: -len(public) - 1] if public and registrable.endswith("." + public) else registrable
    return DomainForm(host, registrable, label.split(".")[0], hosted)
