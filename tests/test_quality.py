"""Guard what is won: the EU-ADR reference set scored end to end on the store built from the shared data must
not fall below the figures last landed (tests/quality_floors.json)."""

from __future__ import annotations

import json
from pathlib import Path

from adrlens.evaluate import evaluate

FLOORS = json.loads((Path(__file__).parent / "quality_floors.json").read_text(encoding="utf-8"))


def test_euadr_does_not_fall_below_the_landed_figures(real_store: Path, data_dir: Path) -> None:
    floor = FLOORS["euadr"]
    report = evaluate(data_dir / floor["refset"], store=real_store, n_boot=200)
    assert report.n_resolved >= floor["resolved"]
    combined, narrow = report.source("combined"), report.source("label:narrow")
    assert round(combined.auc, 2) >= floor["combined_auc"], combined
    assert round(narrow.auc, 2) >= floor["label_narrow_auc"], narrow
