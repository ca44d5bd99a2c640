"""MedQuAD condition profiles: the real MedQuAD archives under $ADRLENS_DATA (no mocks)."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

import pytest

from adrlens import config
from adrlens.vocab import condition_text as ct

GOOD_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document id="1" source="NINDS" url="https://example.org/widget">
<Focus>Widget Syndrome</Focus>
<QAPairs><QAPair pid="1"><Question qid="1-1" qtype="information">What is (are) Widget Syndrome ?</Question>
<Answer>Widget syndrome is a made-up disorder of the nerves. It is used in tests.</Answer></QAPair></QAPairs>
</Document>"""
BAD_XML = b"""<?xml version="1.0"?><Document><Focus>Broken</Focus><QAPairs><QAPair>"""


@pytest.fixture(scope="module")
def medquad(data_dir: Path) -> Path:
    folder = data_dir / ct.MEDQUAD_DIR
    if not (folder / "4_MPlus_Health_Topics_QA.tar.gz").is_file():
        pytest.skip(f"MedQuAD archives not found under {folder}")
    return folder


def test_peripheral_neuropathy_profile_mentions_nerves(medquad: Path) -> None:
    got = ct.condition_text(["Peripheral neuropathy", "nerve damage", "neuropathy peripheral"])
    assert got is not None
    assert got.source in ("MedlinePlus", "NINDS")
    assert re.search(r"\bnerv", got.what_it_is, re.I), got.what_it_is
    assert got.url.startswith("http")
    for text in (got.what_it_is, got.symptoms, got.causes, got.seek_care):
        if text is not None:
            assert "<" not in text and "  " not in text and text.endswith((".", "!", '."', ".)"))
            assert len(text.split()) <= ct.MAX_WORDS


def test_reye_syndrome_aspirin_sentence_names_the_young(medquad: Path) -> None:
    passages = ct.sentences_naming(["Reye's syndrome", "Reye syndrome"], ["aspirin"])
    assert passages
    assert all(re.search(r"\baspirin\b", p.text, re.I) and p.url and p.source for p in passages)
    assert any(re.search(r"\b(child|children|teen|teens|teenagers?)\b", p.text, re.I) for p in passages), passages


def test_nonsense_name_matches_nothing(medquad: Path) -> None:
    assert ct.condition_text(["zorblax quintessimal fever"]) is None
    assert ct.sentences_naming(["zorblax quintessimal fever"], ["aspirin"]) == []


def test_lookup_after_load_reads_the_same_index(medquad: Path) -> None:
    # The speed of a warm lookup is measured in bench/vocab.py; here the second lookup must agree.
    first = ct.condition_text(["Stroke"])  # loads the index once per process
    again = ct.condition_text(["Stroke"])
    assert first is not None and again == first


def test_spelling_variants_meet(medquad: Path) -> None:
    a = ct.condition_text(["Anaemia"])
    b = ct.condition_text(["Anemia"])
    assert a is not None and a == b


def _tarball(path: Path, files: dict[str, bytes]) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_malformed_xml_is_counted_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "6_NINDS_QA.tar.gz"
    _tarball(path, {"6_NINDS_QA/0001.xml": GOOD_XML, "6_NINDS_QA/0002.xml": BAD_XML})
    index = ct.build_index([(path, "NINDS")])
    assert index["malformed"] == 1
    assert [d["focus"] for d in index["documents"]] == ["Widget Syndrome"]


def test_cache_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADRLENS_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "medquad"
    folder.mkdir()
    _tarball(folder / "6_NINDS_QA.tar.gz", {"6_NINDS_QA/0001.xml": GOOD_XML, "6_NINDS_QA/0002.xml": BAD_XML})
    first = ct.load_index(folder)
    assert first["from_cache"] is False
    cached = list(config.cache_dir().glob("medquad_conditions_*.json"))
    assert len(cached) == 1
    second = ct.load_index(folder)
    assert second["from_cache"] is True
    assert second["documents"] == first["documents"]
    got = ct.condition_text(["Widget syndrome"], folder=folder)
    assert got is not None and got.source == "NINDS" and "nerves" in got.what_it_is
