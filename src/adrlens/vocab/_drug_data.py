"""Small curated additions to the public drug vocabularies.

The shared vocabularies stop around 2015-2023, so brands approved or launched later, and a few frequent
FAERS spellings, are missing. Each entry names its ingredients as substance names that the public
vocabularies do know (the builder resolves them like any other source and the tests check that every
entry resolves), so these lists add names only, never new ingredients.
"""

from __future__ import annotations

_DUST_MITES = ("american house dust mite allergenic extract", "european house dust mite allergenic extract")
_HPV_16_18 = (
    "l1 protein, human papillomavirus type 16 vaccine",
    "l1 protein, human papillomavirus type 18 vaccine",
)

# brand or FAERS product name -> active ingredients (US label).
EXTRA_PRODUCTS: dict[str, tuple[str, ...]] = {
    "kesimpta": ("ofatumumab",),
    "vyxeos": ("cytarabine", "daunorubicin"),
    "cabenuva": ("cabotegravir", "rilpivirine"),
    "vocabria": ("cabotegravir",),
    "kyleena": ("levonorgestrel",),
    "skyla": ("levonorgestrel",),
    "haegarda": ("c1 esterase inhibitor",),
    "myfembree": ("relugolix", "estradiol", "norethindrone acetate"),
    "orgovyx": ("relugolix",),
    "comirnaty": ("covid-19 vaccine",),
    "spikevax": ("covid-19 vaccine",),
    "pfizer-biontech covid-19 vaccine": ("covid-19 vaccine",),
    "moderna covid-19 vaccine": ("covid-19 vaccine",),
    "janssen covid-19 vaccine": ("covid-19 vaccine",),
    "covid-19 vaccine nos": ("covid-19 vaccine",),
    "descovy": ("emtricitabine", "tenofovir alafenamide"),
    "plenvu": (
        "polyethylene glycol 3350",
        "sodium ascorbate",
        "ascorbic acid",
        "sodium sulfate",
        "sodium chloride",
        "potassium chloride",
    ),
    "recorlev": ("levoketoconazole",),
    "breztri": ("budesonide", "glycopyrrolate", "formoterol"),
    "breztri aerosphere": ("budesonide", "glycopyrrolate", "formoterol"),
    "annovera": ("segesterone acetate", "ethinyl estradiol"),
    "soliqua": ("insulin glargine", "lixisenatide"),
    "xultophy": ("insulin degludec", "liraglutide"),
    "clariscan": ("gadoterate meglumine",),
    "cuvitru": ("human immunoglobulin g",),
    "panzyga": ("human immunoglobulin g",),
    "cutaquig": ("human immunoglobulin g",),
    "asceniv": ("human immunoglobulin g",),
    "xembify": ("human immunoglobulin g",),
    "wixela inhub": ("fluticasone propionate", "salmeterol"),
    "wixela": ("fluticasone propionate", "salmeterol"),
    "phexxi": ("lactic acid", "citric acid", "potassium bitartrate"),
    "carvykti": ("ciltacabtagene autoleucel",),
    "nexlizet": ("bempedoic acid", "ezetimibe"),
    "nexletol": ("bempedoic acid",),
    "eluryng": ("etonogestrel", "ethinyl estradiol"),
    "zynrelef": ("bupivacaine", "meloxicam"),
    "talicia": ("omeprazole", "amoxicillin", "rifabutin"),
    "nextstellis": ("drospirenone", "estetrol"),
    "opdualag": ("nivolumab", "relatlimab"),
    "twirla": ("levonorgestrel", "ethinyl estradiol"),
    "trudhesa": ("dihydroergotamine",),
    "rocklatan": ("netarsudil", "latanoprost"),
    "rhopressa": ("netarsudil",),
    "yuvafem": ("estradiol",),
    "seglentis": ("celecoxib", "tramadol"),
    "nuvessa": ("metronidazole",),
    "twyneo": ("tretinoin", "benzoyl peroxide"),
    "vigadrone": ("vigabatrin",),
    "nordurine": ("desmopressin",),
    "odactra": _DUST_MITES,
    "acarizax": _DUST_MITES,
    "cervarix": _HPV_16_18,
    "vienva": ("levonorgestrel", "ethinyl estradiol"),
    "aurovela fe": ("norethindrone acetate", "ethinyl estradiol", "ferrous fumarate"),
    "aurovela": ("norethindrone acetate", "ethinyl estradiol"),
    "biktarvy": ("bictegravir", "emtricitabine", "tenofovir alafenamide"),
    "juluca": ("dolutegravir", "rilpivirine"),
    "odefsey": ("emtricitabine", "rilpivirine", "tenofovir alafenamide"),
    "volnea": ("desogestrel", "ethinyl estradiol"),
    "xywav": ("calcium oxybate", "magnesium oxybate", "potassium oxybate", "sodium oxybate"),
    "qtern": ("dapagliflozin", "saxagliptin"),
    "segluromet": ("ertugliflozin", "metformin"),
    "enstilar": ("calcipotriene", "betamethasone dipropionate"),
    "carospir": ("spironolactone",),
    "lomaira": ("phentermine",),
    "kapspargo": ("metoprolol succinate",),
    "qbrelis": ("lisinopril",),
    "alyq": ("tadalafil",),
    "apo-varenicline": ("varenicline",),
    "vazalore": ("aspirin",),
    "coagadex": ("coagulation factor x human",),
    "illuccix": ("gallium ga-68 gozetotide",),
    "b12": ("vitamin b12",),
    "vit b12": ("vitamin b12",),
    "vit d": ("cholecalciferol",),
    "vit d3": ("cholecalciferol",),
}

# Ingredient names two sources spell differently -> the one canonical spelling adrlens reports.
CANONICAL_ALIASES: dict[str, str] = {
    "human immunoglobulin g": "immunoglobulin g",
    "human c1-esterase inhibitor": "c1 esterase inhibitor",
    "chondroitin sulfate (bovine)": "chondroitin sulfate",
    # Gadolinium contrast agents: RxNorm (and FAERS prod_ai) name the meglumine salts as the ingredient.
    "gadoteric acid": "gadoterate meglumine",
    "gadopentetic acid": "gadopentetate dimeglumine",
    "gadobenic acid": "gadobenate dimeglumine",
    "gadopentetate": "gadopentetate dimeglumine",
    "gadobenate": "gadobenate dimeglumine",
}
