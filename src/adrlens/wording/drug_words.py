"""The drug in everyday words: what kind of medicine it is, how it works, what it is mainly used for and how long
it stays in the body, each sentence with the reference it rests on.

The words come from a data table keyed by pharmacological class (data/class_plain_words.json): FDA Established
Pharmacologic Class names as DrugCentral spells them first, then WHO ATC codes (level 4, 3, 2) as a fallback. Main
uses come from the precise indication sources only (DrugCentral; MEDI high precision, on-label rows that the table
knows a lay name for); the NLP-mined SIDER rows are too noisy for a sentence a person reads."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

_TABLE = Path(__file__).with_name("data") / "class_plain_words.json"

# Indication sources precise enough to name a drug's main uses, and the rows of each that count.
_DRUGCENTRAL = "DrugCentral"
_MEDI = "MEDI (high precision)"
_MEDI_ON_LABEL = "on label"
_MAX_USES = 3

# Half-life bands (hours): long enough to say "lasts a long time", short enough to say "leaves quickly".
_LONG_HOURS = 20.0
_SHORT_HOURS = 6.0
# A half-life text simple enough to quote: "4 hours", "about 12 hours", "30-50 hours", "8 to 15 hours".
_SIMPLE_HL = re.compile(r"^\s*(?:about\s+)?\d+(?:\.\d+)?(?:\s*(?:-|–|to)\s*\d+(?:\.\d+)?)?\s*(?:hours?|h)\.?\s*$", re.I)

# ATC first levels for preparations used on the skin, eyes or ears: a last choice when naming the drug's kind.
_LOCAL_ATC1 = ("D", "S")


@lru_cache(maxsize=1)
def table() -> dict:
    """The plain-words table: {version, about, classes, atc, indications}."""
    return json.loads(_TABLE.read_text(encoding="utf-8"))


def _cap(name: str) -> str:
    name = name.strip()
    return name[:1].upper() + name[1:]


def _atc_codes(profile: dict) -> list[str]:
    codes = [c.strip().upper() for c in profile.get("atc_codes") or [] if c and c.strip()]
    if not codes:  # the class rows carry the ATC ids too
        for level in ("ATC5", "ATC4", "ATC3", "ATC2"):
            codes = [c["id"].upper() for c in (profile.get("classes") or {}).get(level, []) if c.get("id")]
            if codes:
                break
    # Systemic codes before skin/eye/ear ones: the medicine's main kind, not one of its local forms.
    return sorted(dict.fromkeys(codes), key=lambda c: c[:1] in _LOCAL_ATC1)


def class_entry(profile: dict | None) -> tuple[str, dict] | None:
    """(table key, entry) of the class that best names the drug in plain words, or None."""
    if not profile:
        return None
    t = table()
    codes = _atc_codes(profile)
    epcs = [c.get("name") for c in (profile.get("classes") or {}).get("EPC", [])] or list(profile.get("epc") or [])
    found = []
    for name in epcs:
        e = t["classes"].get(name)
        if e and not any(code.startswith(p) for p in e.get("not_for_atc", []) for code in codes):
            found.append((name, e))
    found.sort(key=lambda ke: bool(ke[1].get("secondary")))
    if found:
        return found[0]
    for length in (5, 4, 3):  # ATC level 4, 3, 2
        for code in codes:
            e = t["atc"].get(code[:length])
            if e:
                return code[:length], e
    return None


def _atc2_name(profile: dict) -> tuple[str, str] | None:
    rows = (profile.get("classes") or {}).get("ATC2", [])
    rows = sorted(rows, key=lambda r: (r.get("id") or "")[:1] in _LOCAL_ATC1)
    for r in rows:
        if r.get("name"):
            return r["name"].lower(), r.get("id") or ""
    return None


def _plain_use(name: str) -> str | None:
    e = table()["indications"].get(name.strip().lower())
    return e["plain"] if e else None


def _uses(profile: dict | None) -> list[tuple[str, str]]:
    """(plain words, source) of the drug's main uses from the precise sources, at most three, no repeats."""
    out: list[tuple[str, str]] = []
    if not profile:
        return out
    rows = [r for r in profile.get("indications") or [] if r.get("indication")]
    picked = [(r["indication"], r["source"]) for r in rows if r.get("source") == _DRUGCENTRAL]
    picked += [
        (r["indication"], r["source"])
        for r in rows
        if r.get("source") == _MEDI and r.get("note") == _MEDI_ON_LABEL and _plain_use(r["indication"])
    ]
    seen: set[str] = set()
    for ind, src in picked:
        words = _plain_use(ind) or ind.strip().lower()
        # "an irregular heartbeat (atrial fibrillation)" repeats "an irregular heartbeat"
        key = words.split(" (")[0].lower()
        if key in seen:
            continue
        seen.add(key)
        out.append((words, src))
        if len(out) == _MAX_USES:
            break
    return out


def plain_indications(profile: dict | None) -> list[str]:
    """The drug's main uses in everyday words (at most three), from DrugCentral and MEDI high precision only."""
    return [w for w, _ in _uses(profile)]


def _and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _hours_words(hours: float) -> str:
    if hours >= 72:
        return f"{round(hours / 24)} days"
    if hours >= 2:
        return f"{round(hours)} hours"
    return "1 hour" if round(hours, 1) == 1 else f"{round(hours, 1):g} hours"


def _half_life_sentence(profile: dict | None) -> tuple[str, str] | None:
    hl = (profile or {}).get("half_life") or None
    if not isinstance(hl, dict):
        return None
    hours = hl.get("hours")
    text = (hl.get("text") or "").strip()
    if hours is None or hours <= 0:
        return None
    shown = re.sub(r"\s*(-|–|to)\s*", "-", text.rstrip(".")) if _SIMPLE_HL.match(text) else _hours_words(hours)
    shown = re.sub(r"^about\s+", "", shown, flags=re.I)
    shown = re.sub(r"\bh$", "hours", shown)
    if hours >= _LONG_HOURS:
        s = f"It lasts a long time in the body (a half-life of about {shown})."
    elif hours < _SHORT_HOURS:
        s = f"It leaves the body fairly quickly (a half-life of about {shown})."
    else:
        s = f"About half of a dose leaves the body in {shown} (its half-life)."
    return s, hl.get("source") or ""


def describe_drug(name: str, kind: str, profile: dict | None) -> list[tuple[str, str]]:
    """One to three (sentence, source) pairs: what the drug is and how it works; its main uses; how long it lasts."""
    label = _cap(name) or "This medicine"
    if kind == "vaccine":
        e = table()["classes"]["Vaccine"]
        return [
            (
                f"{label} is a vaccine. It teaches the immune system to recognise the germ or germs it protects "
                "against, so the body can fight them off quickly if it meets them later.",
                e["source"],
            )
        ]
    out: list[tuple[str, str]] = []
    found = class_entry(profile)
    if found:
        _, e = found
        out.append((f"{label} is {e['what']}. {e['how']}", e["source"]))
    elif profile and _atc2_name(profile):
        group, code = _atc2_name(profile)
        out.append((f"{label} is a medicine in the group “{group}”.", f"WHO ATC classification: {code}".strip()))
    uses = _uses(profile)
    if uses:
        srcs = "; ".join(dict.fromkeys(s for _, s in uses))
        out.append((f"It is used for {_and_list([w for w, _ in uses])}.", srcs))
    hl = _half_life_sentence(profile)
    if hl:
        out.append(hl)
    if not out:
        if profile:
            return [(f"{label} is a medicine.", "")]
        return [(f"{label} is a medicine; our knowledge tables hold no details of what kind it is.", "")]
    if not found and not (profile and _atc2_name(profile)):
        out.insert(0, (f"{label} is a medicine.", ""))
        out = out[:3]
    return out
