"""How often a consumer's drug question resolves to the right drug: the MedQuAD MedlinePlus-drugs check.

MedQuAD (Ben Abacha & Demner-Fushman 2019, BMC Bioinformatics 20:511; CC BY 4.0) collection
`11_MPlusDrugs_QA` holds one MedlinePlus drug page per document: its `<Focus>` names the drug ("Acetaminophen
and Codeine", "Albuterol Oral Inhalation") and its questions of qtype "side effects" ask "What are the side
effects or risks of X?" (1,301 questions; the answers were removed by the authors).

For each such question, the drug words of the question go through question understanding
(`question.list_question_drug` + `resolve.resolve_drug`), and the document's focus through the package's drug
namer (`names.IngredientNamer`; the vaccine vocabulary for vaccines). The question resolves to the right drug
when both give the same ingredients; a combination product (which `resolve_drug` refuses and names its
ingredients) counts as right when the named ingredients are the focus's.
"""

from __future__ import annotations

import tarfile
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from adrlens import config
from adrlens.errors import DataNotFoundError, ResolutionError

MEDQUAD_DRUGS = Path("conditions_text/medquad/11_MPlusDrugs_QA.tar.gz")
SIDE_EFFECT_QTYPE = "side effects"


@dataclass(frozen=True)
class DrugQuestion:
    qid: str
    question: str
    focus: str  # the document's drug, as MedlinePlus names its page


@dataclass(frozen=True)
class Outcome:
    question: DrugQuestion
    expected: tuple[str, ...]  # the focus's ingredients by the namer; () when the namer does not map it
    got: tuple[str, ...]  # what the question resolved to; () when it did not resolve
    status: str  # 'right' | 'wrong' | 'unresolved' | 'focus unmapped'
    detail: str = ""  # the resolution error, for unresolved questions


@dataclass
class ResolutionReport:
    total: int
    right: int
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0

    def counts(self) -> Counter[str]:
        return Counter(o.status for o in self.outcomes)

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status != "right"]

    def summary(self) -> str:
        c = self.counts()
        return (
            f"MedQuAD MedlinePlus drugs, qtype 'side effects': {self.right}/{self.total} questions resolve to the "
            f"document's drug ({100 * self.share:.1f}%); wrong {c['wrong']}, unresolved {c['unresolved']}, "
            f"focus not mapped by the namer {c['focus unmapped']}"
        )


def side_effect_questions(path: Path | None = None) -> list[DrugQuestion]:
    """The qtype 'side effects' questions of the MedQuAD MedlinePlus-drugs archive, with each one's focus."""
    p = Path(path) if path is not None else config.data_dir() / MEDQUAD_DRUGS
    if not p.is_file():
        raise DataNotFoundError(f"MedQuAD archive {p} not found. Set ADRLENS_DATA to the shared data folder.")
    out: list[DrugQuestion] = []
    with tarfile.open(p, "r:gz") as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if not (member.isfile() and member.name.endswith(".xml")):
                continue
            fh = tar.extractfile(member)
            if fh is None:
                continue
            root = ET.parse(fh).getroot()
            focus = " ".join((root.findtext("Focus") or "").split())
            for q in root.iter("Question"):
                if q.get("qtype") == SIDE_EFFECT_QTYPE and q.text and focus:
                    out.append(DrugQuestion(q.get("qid", ""), " ".join(q.text.split()), focus))
    return out


def _expected(focus: str) -> tuple[str, ...]:
    from adrlens.vocab.names import default_namer
    from adrlens.vocab.vaccines import resolve_vaccine

    vax = resolve_vaccine(focus)
    if vax:
        return (vax[0],)
    ings, mapped = default_namer()(focus)
    return tuple(sorted(set(ings))) if mapped else ()


def _resolved(question: str) -> tuple[tuple[str, ...], str]:
    """(ingredients the question's drug words resolve to, error text when they do not)."""
    from adrlens.vocab.question import list_question_drug
    from adrlens.vocab.resolve import resolve_drug

    words = list_question_drug(question)
    if not words:
        return (), "no drug words found in the question"
    try:
        return (resolve_drug(words).name,), ""
    except ResolutionError as e:
        if "names several ingredients" in str(e):
            return tuple(sorted(set(e.candidates))), ""
        return (), str(e)


def check(path: Path | None = None) -> ResolutionReport:
    """Resolve every side-effect question of the archive and compare with its focus (see the module doc)."""
    questions = side_effect_questions(path)
    outcomes = []
    for q in questions:
        expected = _expected(q.focus)
        got, err = _resolved(q.question)
        if not expected:
            status = "focus unmapped"
        elif not got:
            status = "unresolved"
        else:
            status = "right" if got == expected else "wrong"
        outcomes.append(Outcome(q, expected, got, status, err))
    return ResolutionReport(len(questions), sum(o.status == "right" for o in outcomes), outcomes)
