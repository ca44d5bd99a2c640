"""A curated vaccine vocabulary: VAERS VAX_TYPE codes -> product groups, and what users type -> groups.

A *product group* is the "ingredient" VAERS reports get in `report_drug` (lower case, like FAERS
ingredients): "influenza vaccine", "rotavirus vaccine", "dtap vaccine" ...

Choices:
- One VAX_TYPE maps to exactly one product group, combination vaccines included: DTAPHEPBIP
  (Pediarix) is "dtap-hepatitis b-ipv vaccine", not three groups, so one vaccine given stays one
  drug row (counts per report are not inflated) and a combination keeps its own signal (MMRV and
  febrile seizures is not MMR's). Each group lists its *antigens*; `resolve_vaccine` uses them, so
  a question about "hepatitis b vaccine" covers Pediarix, Comvax and Twinrix too (the monovalent
  group first, then the combinations; callers take the union).
- Brands of one kind share a group: RotaShield, RotaTeq and Rotarix are all "rotavirus vaccine";
  every seasonal/pandemic influenza code (FLU3, FLU4, FLUN3, FLUA3, H1N1 ...) is "influenza vaccine".
- Pneumococcal and meningococcal vaccines keep polysaccharide and conjugate groups apart (different
  products, ages and safety profiles); "pneumococcal vaccine" resolves to both.
- UNK ("vaccine not specified") maps to no group: such rows stay unmapped.

Codes are those in the 1990-2006 releases (with counts checked against the shared files) plus the
codes of later CDC releases (COVID19, HPV9, RV1, MENB, ...), so newer files map too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class VaccineGroup:
    name: str  # the product group ("ingredient")
    codes: tuple[str, ...]  # VAERS VAX_TYPE codes
    antigens: tuple[str, ...]  # antigen keys (see _ANTIGENS)
    synonyms: tuple[str, ...]  # brands and what people call it


# antigen key -> phrases naming it in a question ("measles" -> measles-containing vaccines).
_ANTIGENS: dict[str, tuple[str, ...]] = {
    "anthrax": ("anthrax",),
    "bcg": ("bcg", "tuberculosis", "tb"),
    "chikungunya": ("chikungunya",),
    "cholera": ("cholera",),
    "covid19": ("covid", "covid-19", "covid 19", "covid19", "coronavirus", "sars-cov-2", "sars cov 2"),
    "dengue": ("dengue",),
    "diphtheria": ("diphtheria",),
    "ebola": ("ebola",),
    "hepa": ("hepatitis a", "hep a", "hepa"),
    "hepb": ("hepatitis b", "hep b", "hepb"),
    "hib": ("hib", "haemophilus", "haemophilus influenzae type b", "hemophilus"),
    "hpv": ("hpv", "human papillomavirus", "papillomavirus", "papilloma"),
    "influenza": ("influenza", "flu"),
    "jev": ("japanese encephalitis",),
    "lyme": ("lyme", "lyme disease"),
    "measles": ("measles",),
    "meningococcal": ("meningococcal", "meningitis", "meningococcus"),
    "mpox": ("mpox", "monkeypox"),
    "mumps": ("mumps",),
    "pertussis": ("pertussis", "whooping cough"),
    "plague": ("plague",),
    "pneumococcal": ("pneumococcal", "pneumonia", "pneumococcus", "pneumo"),
    "polio": ("polio", "poliovirus", "poliomyelitis"),
    "rabies": ("rabies",),
    "rotavirus": ("rotavirus", "rota"),
    "rsv": ("rsv", "respiratory syncytial virus"),
    "rubella": ("rubella", "german measles"),
    "smallpox": ("smallpox", "vaccinia"),
    "tbe": ("tick-borne encephalitis", "tick borne encephalitis", "tbe"),
    "tetanus": ("tetanus", "lockjaw"),
    "typhoid": ("typhoid",),
    "adenovirus": ("adenovirus",),
    "varicella": ("varicella", "chickenpox", "chicken pox"),
    "yellow_fever": ("yellow fever",),
    "zoster": ("zoster", "shingles", "herpes zoster"),
}

_ANTIGEN_PHRASES = frozenset(p for ps in _ANTIGENS.values() for p in ps)

# Antigen words that, alone, name the vaccine rather than the disease.
_BARE_VACCINE_WORDS = frozenset({"hpv", "hib", "bcg"})

_GROUPS: tuple[VaccineGroup, ...] = (
    VaccineGroup("adenovirus vaccine", ("ADEN", "ADEN_4_7"), ("adenovirus",), ()),
    VaccineGroup("anthrax vaccine", ("ANTH",), ("anthrax",), ("biothrax", "cyfendus")),
    VaccineGroup("bcg vaccine", ("BCG",), ("bcg",), ("tice bcg", "bacille calmette-guerin")),
    VaccineGroup("chikungunya vaccine", ("CHIK",), ("chikungunya",), ("ixchiq",)),
    VaccineGroup("cholera vaccine", ("CHOL",), ("cholera",), ("vaxchora", "dukoral")),
    VaccineGroup(
        "covid-19 vaccine",
        ("COVID19", "COVID19-2"),
        ("covid19",),
        (
            "comirnaty",
            "spikevax",
            "pfizer-biontech",
            "pfizer covid",
            "moderna",
            "moderna covid",
            "janssen covid",
            "novavax",
            "covid shot",
            "covid jab",
            "mrna vaccine",
        ),
    ),
    VaccineGroup("dengue vaccine", ("DEN",), ("dengue",), ("dengvaxia",)),
    VaccineGroup("diphtheria toxoid", ("DTOX",), ("diphtheria",), ()),
    VaccineGroup("dt vaccine", ("DT",), ("diphtheria", "tetanus"), ("dt adsorbed", "diphtheria and tetanus toxoids")),
    VaccineGroup(
        "dtap vaccine",
        ("DTAP",),
        ("diphtheria", "tetanus", "pertussis"),
        ("dtap", "daptacel", "infanrix", "tripedia", "acel-imune", "certiva", "acellular pertussis vaccine"),
    ),
    VaccineGroup(
        "dtp vaccine",
        ("DTP",),
        ("diphtheria", "tetanus", "pertussis"),
        ("dtp", "dtwp", "tri-immunol", "whole-cell pertussis vaccine", "whole cell pertussis vaccine"),
    ),
    VaccineGroup("pertussis vaccine", ("PER",), ("pertussis",), ()),
    VaccineGroup(
        "td vaccine", ("TD",), ("tetanus", "diphtheria"), ("td", "td adsorbed", "tenivac", "decavac", "tdvax")
    ),
    VaccineGroup(
        "tdap vaccine",
        ("TDAP",),
        ("tetanus", "diphtheria", "pertussis"),
        ("tdap", "boostrix", "adacel"),
    ),
    VaccineGroup("tetanus toxoid", ("TTOX",), ("tetanus",), ("tetanus shot", "tetanus toxoid adsorbed")),
    VaccineGroup("dtp-hib vaccine", ("DTPHIB",), ("diphtheria", "tetanus", "pertussis", "hib"), ("tetramune",)),
    VaccineGroup("dtap-hib vaccine", ("DTAPH",), ("diphtheria", "tetanus", "pertussis", "hib"), ("trihibit",)),
    VaccineGroup(
        "dtap-hepatitis b-ipv vaccine",
        ("DTAPHEPBIP",),
        ("diphtheria", "tetanus", "pertussis", "hepb", "polio"),
        ("pediarix",),
    ),
    VaccineGroup(
        "dtap-ipv vaccine",
        ("DTAPIPV",),
        ("diphtheria", "tetanus", "pertussis", "polio"),
        ("kinrix", "quadracel"),
    ),
    VaccineGroup(
        "dtap-ipv-hib vaccine",
        ("DTAPIPVHIB",),
        ("diphtheria", "tetanus", "pertussis", "polio", "hib"),
        ("pentacel",),
    ),
    VaccineGroup(
        "dtap-ipv-hib-hepatitis b vaccine",
        ("DTPPVHBHPB", "6VAX-F", "DTPIHI"),
        ("diphtheria", "tetanus", "pertussis", "polio", "hib", "hepb"),
        ("vaxelis", "hexavax", "infanrix hexa", "hexyon", "hexavalent vaccine"),
    ),
    VaccineGroup("dtp-ipv vaccine", ("DTPIPV", "DPP"), ("diphtheria", "tetanus", "pertussis", "polio"), ()),
    VaccineGroup("dtp-ipv-hib vaccine", ("DTPPHIB",), ("diphtheria", "tetanus", "pertussis", "polio", "hib"), ()),
    VaccineGroup(
        "dtp-hepatitis b vaccine", ("DTPHEP",), ("diphtheria", "tetanus", "pertussis", "hepb"), ("tritanrix",)
    ),
    VaccineGroup("ebola vaccine", ("EBZR",), ("ebola",), ("ervebo",)),
    VaccineGroup("hepatitis a vaccine", ("HEPA",), ("hepa",), ("havrix", "vaqta")),
    VaccineGroup(
        "hepatitis b vaccine",
        ("HEP", "HEPB"),
        ("hepb",),
        (
            "engerix-b",
            "engerix b",
            "engerix",
            "recombivax hb",
            "recombivax",
            "heplisav-b",
            "heplisav",
            "prehevbrio",
        ),
    ),
    VaccineGroup("hepatitis a and b vaccine", ("HEPAB",), ("hepa", "hepb"), ("twinrix",)),
    VaccineGroup("hepatitis a-typhoid vaccine", ("HEPATYP",), ("hepa", "typhoid"), ("vivaxim",)),
    VaccineGroup(
        "hib vaccine",
        ("HIBV", "HBPV"),
        ("hib",),
        ("hib", "acthib", "hibtiter", "pedvaxhib", "hiberix", "prohibit"),
    ),
    VaccineGroup("hib-hepatitis b vaccine", ("HBHEPB",), ("hib", "hepb"), ("comvax",)),
    VaccineGroup("hib-meningococcal vaccine", ("MENHIB",), ("hib", "meningococcal"), ("menhibrix",)),
    VaccineGroup(
        "hpv vaccine",
        ("HPV2", "HPV4", "HPV9", "HPVX"),
        ("hpv",),
        ("gardasil", "hpv", "gardasil 9", "gardasil9", "cervarix", "cervical cancer vaccine"),
    ),
    VaccineGroup(
        "influenza vaccine",
        (
            "FLU",
            "FLU3",
            "FLU4",
            "FLUA3",
            "FLUA4",
            "FLUC3",
            "FLUC4",
            "FLUN",
            "FLUN3",
            "FLUN4",
            "FLUR3",
            "FLUR4",
            "FLUX",
            "FLUN(H1N1)",
            "FLUX(H1N1)",
            "H1N1",
            "H5N1",
            "FLU(H1N1)",
        ),
        ("influenza",),
        (
            "flu vaccine",
            "flu shot",
            "flu jab",
            "influenza vaccine",
            "flumist",
            "fluzone",
            "fluarix",
            "flulaval",
            "fluvirin",
            "afluria",
            "fluad",
            "flucelvax",
            "flublok",
            "agriflu",
            "fluogen",
            "flu-imune",
            "flushield",
            "swine flu vaccine",
            "h1n1 vaccine",
            "bird flu vaccine",
        ),
    ),
    VaccineGroup("japanese encephalitis vaccine", ("JEV", "JEVX", "JEV1"), ("jev",), ("je-vax", "j-vax", "ixiaro")),
    VaccineGroup("lyme vaccine", ("LYME",), ("lyme",), ("lymerix",)),
    VaccineGroup("measles vaccine", ("MEA",), ("measles",), ("attenuvax",)),
    VaccineGroup(
        "measles mumps rubella vaccine",
        ("MMR",),
        ("measles", "mumps", "rubella"),
        ("mmr", "mmr ii", "mmr-ii", "m-m-r ii", "priorix", "mmr vaccine", "mmr shot"),
    ),
    VaccineGroup(
        "measles mumps rubella varicella vaccine",
        ("MMRV",),
        ("measles", "mumps", "rubella", "varicella"),
        ("mmrv", "proquad", "priorix-tetra"),
    ),
    VaccineGroup("measles mumps vaccine", ("MM",), ("measles", "mumps"), ("m-m-vax", "mm-vax")),
    VaccineGroup("measles rubella vaccine", ("MER",), ("measles", "rubella"), ("mr-vax", "m-r-vax")),
    VaccineGroup("mumps vaccine", ("MU",), ("mumps",), ("mumpsvax",)),
    VaccineGroup("mumps rubella vaccine", ("MUR",), ("mumps", "rubella"), ("biavax",)),
    VaccineGroup("rubella vaccine", ("RUB",), ("rubella",), ("meruvax", "meruvax ii")),
    VaccineGroup("meningococcal polysaccharide vaccine", ("MEN",), ("meningococcal",), ("menomune",)),
    VaccineGroup(
        "meningococcal conjugate vaccine",
        ("MNQ", "MNQHIB", "MENACWY"),
        ("meningococcal",),
        ("menactra", "menveo", "menquadfi", "nimenrix", "menacwy"),
    ),
    VaccineGroup("meningococcal b vaccine", ("MENB",), ("meningococcal",), ("bexsero", "trumenba", "menb")),
    VaccineGroup("meningococcal abcwy vaccine", ("MENABCWY",), ("meningococcal",), ("penbraya",)),
    VaccineGroup(
        "pneumococcal polysaccharide vaccine",
        ("PPV",),
        ("pneumococcal",),
        ("pneumovax", "pneumovax 23", "pnu-imune", "ppsv23"),
    ),
    VaccineGroup(
        "pneumococcal conjugate vaccine",
        ("PNC", "PNC10", "PNC13", "PNC15", "PNC20", "PNC21"),
        ("pneumococcal",),
        (
            "prevnar",
            "prevnar 13",
            "prevnar 20",
            "prevnar13",
            "vaxneuvance",
            "synflorix",
            "capvaxive",
            "pcv13",
        ),
    ),
    VaccineGroup("plague vaccine", ("PLAGUE",), ("plague",), ()),
    VaccineGroup("polio vaccine inactivated", ("IPV",), ("polio",), ("ipv", "ipol", "poliovax")),
    VaccineGroup("polio vaccine oral", ("OPV",), ("polio",), ("opv", "orimune", "sabin vaccine")),
    VaccineGroup("rabies vaccine", ("RAB",), ("rabies",), ("imovax", "imovax rabies", "rabavert")),
    VaccineGroup(
        "rotavirus vaccine",
        ("RV", "RV1", "RV5", "RVX"),
        ("rotavirus",),
        ("rotavirus vaccine", "rotashield", "rotateq", "rotarix", "rota vaccine"),
    ),
    VaccineGroup("rsv vaccine", ("RSV",), ("rsv",), ("arexvy", "abrysvo", "mresvia")),
    VaccineGroup("smallpox vaccine", ("SMALL", "SMALLMNK"), ("smallpox", "mpox"), ("dryvax", "acam2000", "jynneos")),
    VaccineGroup("tick-borne encephalitis vaccine", ("TBE",), ("tbe",), ("ticovac", "fsme-immun")),
    VaccineGroup("typhoid vaccine", ("TYP",), ("typhoid",), ("vivotif", "typhim vi", "typhim", "ty21a")),
    VaccineGroup("varicella vaccine", ("VARCEL",), ("varicella",), ("varivax", "chickenpox vaccine")),
    VaccineGroup("yellow fever vaccine", ("YF",), ("yellow_fever",), ("yf-vax", "stamaril")),
    VaccineGroup(
        "zoster vaccine",
        ("VARZOS", "ZOS"),
        ("zoster",),
        ("zostavax", "shingrix", "shingles vaccine", "shingles shot"),
    ),
)

# Codes that name no product: the row stays unmapped on purpose.
UNSPECIFIED_CODES = frozenset({"UNK", "OTHER"})

_GENERIC_WORDS = (
    "vaccines",
    "vaccine",
    "vaccination",
    "vaccinations",
    "vax",
    "shots",
    "shot",
    "jab",
    "jabs",
    "immunization",
    "immunisation",
    "inoculation",
    "live",
    "inactivated",
    "the",
    "a",
    "an",
)


def _norm(s: str) -> str:
    s = s.lower().replace("_", " ")
    s = re.sub(r"[®™©]", "", s)
    s = re.sub(r"[^\w+\-/ ]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _strip_generic(s: str) -> str:
    words = [w for w in s.split() if w not in _GENERIC_WORDS]
    return " ".join(words)


@cache
def _indexes() -> tuple[dict[str, VaccineGroup], dict[str, VaccineGroup], dict[str, list[VaccineGroup]]]:
    by_code: dict[str, VaccineGroup] = {}
    by_phrase: dict[str, VaccineGroup] = {}
    by_antigen: dict[str, list[VaccineGroup]] = {}
    for g in _GROUPS:
        for c in g.codes:
            assert c not in by_code, f"duplicate vaccine code {c}"
            by_code[c] = g
        for phrase in (g.name, *g.synonyms, *(c.lower() for c in g.codes)):
            key = _norm(phrase)
            # A brand names one product; the first group to claim a phrase keeps it.
            if key not in _ANTIGEN_PHRASES:  # the code "FLU" must not make the word "flu" a vaccine
                by_phrase.setdefault(key, g)
            core = _strip_generic(key)
            # "rotashield vaccine" -> "rotashield" too, but a bare disease word ("measles") is no vaccine.
            if core and core not in _ANTIGEN_PHRASES:
                by_phrase.setdefault(core, g)
        for a in g.antigens:
            by_antigen.setdefault(a, []).append(g)
    return by_code, by_phrase, by_antigen


def _antigen_groups(antigen: str) -> list[str]:
    """Groups containing `antigen`, the single-antigen ones first, then by fewest antigens."""
    groups = _indexes()[2].get(antigen, [])
    return [g.name for g in sorted(groups, key=lambda g: (len(g.antigens), g.name))]


def vaccine_products(vax_type: str | None, vax_name: str | None) -> list[str]:
    """Product group(s) for one VAERS VAX row: by VAX_TYPE code, else by the brand/name in VAX_NAME.

    Returns [] for unspecified or unknown vaccines (the row is then left unmapped).
    """
    by_code, by_phrase, _ = _indexes()
    code = (vax_type or "").strip().upper()
    if code in UNSPECIFIED_CODES:
        return []
    if code in by_code:
        return [by_code[code].name]
    if code.startswith("FLU"):  # new influenza formulations get new FLU* codes every few seasons
        return ["influenza vaccine"]
    if code.startswith("COVID"):
        return ["covid-19 vaccine"]
    if not vax_name:
        return []
    # VAX_NAME looks like "ROTAVIRUS (ROTASHIELD)" or "INFLUENZA (SEASONAL) (FLUZONE)": try the brand in
    # parentheses first (most specific), then the generic part.
    name = vax_name.strip()
    parts = [p.strip() for p in re.findall(r"\(([^()]*)\)", name)][::-1]
    parts.append(re.sub(r"\([^()]*\)", " ", name))
    for p in parts:
        key = _norm(p)
        if key in {"no brand name", "foreign", "seasonal", ""}:
            continue
        g = by_phrase.get(key) or by_phrase.get(_strip_generic(key))
        if g is not None:
            return [g.name]
    return []


def resolve_vaccine(query: str) -> list[str]:
    """Product groups a user's vaccine phrase means; [] when it is not a vaccine we know.

    "flu shot" -> ["influenza vaccine"]; "RotaShield" -> ["rotavirus vaccine"]; "hepatitis b vaccine" ->
    ["hepatitis b vaccine", "hepatitis a and b vaccine", "hib-hepatitis b vaccine", ...] (every group
    containing the antigen, single-antigen groups first). Brands and codes name one group only.
    """
    raw = query.strip()
    if not raw:
        return []
    found = _resolve_phrase(raw)
    if found:
        return found
    # "Human Papillomavirus (HPV) Vaccine (Cervarix)", "Varicella (Chickenpox) Vaccine": the brand or short
    # name in brackets, then the words outside them.
    inner = [p.strip() for p in re.findall(r"\(([^()]*)\)", raw)][::-1]
    outer = re.sub(r"\([^()]*\)", " ", raw)
    if inner:
        for part in (*inner, outer):
            found = _resolve_phrase(part) or _resolve_phrase(f"{part} vaccine")
            if found:
                return found
    return _by_antigen_list(raw)


# Words that join the antigens of a list ("measles, mumps and rubella vaccine").
_LIST_JOINERS = frozenset({"and", "&", "+", "/", "-", "with"})


def _by_antigen_list(raw: str) -> list[str]:
    """ "measles, mumps and rubella vaccine" -> the group with exactly those antigens (then the groups that
    hold them all, fewest antigens first). Only when the words are a vaccine's and nothing but antigens."""
    key = _norm(raw.replace(",", " ").replace("-", " - ").replace("/", " / "))
    words = key.split()
    if not any(w in _GENERIC_WORDS for w in words if w not in ("the", "a", "an")):
        return []  # "measles and mumps" names diseases, not a vaccine
    words = [w for w in words if w not in _GENERIC_WORDS and w not in _LIST_JOINERS]
    phrases = sorted(((p.split(), a) for a, ps in _ANTIGENS.items() for p in ps), key=lambda x: -len(x[0]))
    antigens: set[str] = set()
    i = 0
    while i < len(words):
        for toks, a in phrases:
            if words[i : i + len(toks)] == toks:
                antigens.add(a)
                i += len(toks)
                break
        else:
            return []  # a word that names no antigen: not a list of antigens
    if not antigens:
        return []
    groups = [g for g in _GROUPS if antigens <= set(g.antigens)]
    return [g.name for g in sorted(groups, key=lambda g: (len(g.antigens) != len(antigens), len(g.antigens), g.name))]


def _resolve_phrase(raw: str) -> list[str]:
    by_code, by_phrase, _ = _indexes()
    key = _norm(raw)
    if not key:
        return []
    core = _strip_generic(key)
    if core in _ANTIGEN_PHRASES:
        # "measles vaccine", "tetanus shot": every group with that antigen. A bare disease word
        # ("flu", "measles") is a condition, not a vaccine; bare "hpv", "hib", "bcg" are vaccines.
        if core == key and key not in _BARE_VACCINE_WORDS:
            return []
        antigen = next(a for a, phrases in _ANTIGENS.items() if core in phrases)
        return _antigen_groups(antigen)
    if key in by_phrase:  # a brand, code or name of one group ("gardasil", "mmr", "pediarix")
        return [by_phrase[key].name]
    if raw.upper() in by_code:
        return [by_code[raw.upper()].name]
    if core in by_phrase:
        return [by_phrase[core].name]
    return []


def all_vaccine_names() -> dict[str, list[str]]:
    """Product group -> synonyms (brands, common names, VAX_TYPE codes)."""
    return {g.name: [*g.synonyms, *g.codes] for g in _GROUPS}


def vaccine_codes() -> dict[str, str]:
    """VAX_TYPE code -> product group."""
    return {c: g.name for c, g in _indexes()[0].items()}
