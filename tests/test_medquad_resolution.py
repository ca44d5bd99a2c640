"""MedQuAD resolution check: do consumers' side-effect questions about a MedlinePlus drug page resolve to
that page's drug? (Ben Abacha & Demner-Fushman 2019; `adrlens.vocab.resolution_check`.)"""

from __future__ import annotations

import pytest

from adrlens import config
from adrlens.vocab.resolution_check import MEDQUAD_DRUGS, check

# Measured on the shared data: 1,298 of 1,301 (99.8%) after issue 8 (1,279, 98.3%, before). The floor is
# the measured share rounded down to a whole per cent.
FLOOR = 0.99
QUESTIONS = 1301


def test_medquad_side_effect_questions_resolve_to_the_documents_drug() -> None:
    if not (config.data_dir() / MEDQUAD_DRUGS).is_file():
        pytest.skip("MedQuAD archive not in the data folder")
    report = check()
    print(report.summary())
    for o in report.failures():
        print(f"  {o.status}: {o.question.focus!r} expected {o.expected} got {o.got} {o.detail[:80]}")
    assert report.total == QUESTIONS
    assert report.counts()["wrong"] == 0  # a question may fail to resolve, never resolve to another drug
    assert report.share >= FLOOR
