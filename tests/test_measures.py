"""PRR, ROR, chi2 and IC on real reports, checked against vigipy and scipy."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from adrlens.config import data_path
from adrlens.signals import measures as m

vigipy = pytest.importorskip("vigipy")
from vigipy.utils.Container import DataContainer  # noqa: E402


@pytest.fixture(scope="module")
def caers() -> dict[str, np.ndarray]:
    """2x2 cells for every (product, event) pair of the real CAERS reports (distinct reports)."""
    raw = pd.read_csv(data_path("checks", "openebgm_caers", "caers.csv"), usecols=["id", "var1", "var2"])
    raw = raw.drop_duplicates()
    n_reports = raw["id"].nunique()
    pair = raw.groupby(["var1", "var2"])["id"].nunique().rename("a").reset_index()
    prod = raw.groupby("var1")["id"].nunique().rename("n_drug")
    event = raw.groupby("var2")["id"].nunique().rename("n_event")
    pair = pair.join(prod, on="var1").join(event, on="var2")
    a = pair["a"].to_numpy(float)
    b = pair["n_drug"].to_numpy(float) - a
    c = pair["n_event"].to_numpy(float) - a
    d = n_reports - a - b - c
    return {"a": a, "b": b, "c": c, "d": d, "N": float(n_reports)}


def _vigipy_container(t: dict[str, np.ndarray]) -> DataContainer:
    k = len(t["a"])
    df = pd.DataFrame(
        {
            "events": t["a"],
            "product_aes": t["a"] + t["b"],
            "count_across_brands": t["a"] + t["c"],
            "ae_name": [f"e{i}" for i in range(k)],
            "product_name": [f"p{i}" for i in range(k)],
        }
    )
    return DataContainer(data=df, N=t["N"])


def _by_row(result: pd.DataFrame, k: int) -> pd.DataFrame:
    """vigipy sorts its output; put it back in input order via the unique product names."""
    idx = result["Product"].str.slice(1).astype(int).to_numpy()
    out = result.copy()
    out.index = idx
    assert len(out) == k
    return out.sort_index()


def test_prr_ror_equal_vigipy(caers: dict[str, np.ndarray]) -> None:
    t = caers
    k = len(t["a"])
    cont = _vigipy_container(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vp = _by_row(vigipy.prr(cont, min_events=1).all_signals, k)
        vr = _by_row(vigipy.ror(cont, min_events=1).all_signals, k)
    zero = (t["b"] == 0) | (t["c"] == 0)
    assert zero.sum() > 1000 and (~zero).sum() > 1000  # both kinds of table are exercised
    # vigipy applies Haldane to PRR too: ours with continuity="haldane" matches everywhere ...
    ours = m.prr(t["a"], t["b"], t["c"], t["d"], continuity="haldane")
    np.testing.assert_allclose(ours["prr"], vp["PRR"], rtol=1e-9)
    np.testing.assert_allclose(ours["prr_lo"], vp["CI Lower"], rtol=1e-9)
    np.testing.assert_allclose(ours["prr_hi"], vp["CI Upper"], rtol=1e-9)
    # ... and the default (no correction) matches wherever no cell is zero.
    plain = m.prr(t["a"], t["b"], t["c"], t["d"])
    np.testing.assert_allclose(plain["prr"][~zero], vp["PRR"][~zero], rtol=1e-9)
    np.testing.assert_allclose(plain["prr_lo"][~zero], vp["CI Lower"][~zero], rtol=1e-9)
    assert np.all(np.isnan(plain["prr"][t["c"] == 0]))  # PRR undefined without events elsewhere
    r = m.ror(t["a"], t["b"], t["c"], t["d"])
    np.testing.assert_allclose(r["ror"], vr["ROR"], rtol=1e-9)
    np.testing.assert_allclose(r["ror_lo"], vr["CI Lower"], rtol=1e-9)
    np.testing.assert_allclose(r["ror_hi"], vr["CI Upper"], rtol=1e-9)
    assert r["ror_defined"].all()


def test_ic_bcpnn_equals_vigipy_and_shrinkage_ic_is_gamma(caers: dict[str, np.ndarray]) -> None:
    t = caers
    k = len(t["a"])
    vb = _by_row(vigipy.bcpnn(_vigipy_container(t), min_events=1).all_signals, k)
    ours = m.ic_bcpnn(t["a"], t["b"], t["c"], t["d"])
    np.testing.assert_allclose(ours["ic025"], vb["quantile"], rtol=1e-9, atol=1e-9)
    # The project's IC: log2((a+.5)/(E+.5)) and Gamma(a+.5, rate E+.5) quantiles, checked with scipy.stats.
    e = m.expected(t["a"], t["b"], t["c"], t["d"])
    s = m.ic(t["a"], e)
    np.testing.assert_allclose(s["ic"], np.log2((t["a"] + 0.5) / (e + 0.5)), rtol=1e-12)
    sample = np.arange(0, k, 97)
    ref_lo = np.log2(stats.gamma.ppf(0.025, t["a"][sample] + 0.5, scale=1 / (e[sample] + 0.5)))
    ref_hi = np.log2(stats.gamma.ppf(0.975, t["a"][sample] + 0.5, scale=1 / (e[sample] + 0.5)))
    np.testing.assert_allclose(s["ic025"][sample], ref_lo, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(s["ic975"][sample], ref_hi, rtol=1e-9, atol=1e-9)
    # The two ICs are different estimators; they converge as counts grow (measured on CAERS:
    # max |diff| 0.81 for a >= 5, 0.14 for a >= 20, 0.06 for a >= 50).
    big = t["a"] >= 20
    assert np.abs(ours["ic"][big] - s["ic"][big]).max() < 0.2
    assert np.corrcoef(ours["ic"][t["a"] >= 5], s["ic"][t["a"] >= 5])[0, 1] > 0.95


def test_chi2_matches_scipy(caers: dict[str, np.ndarray]) -> None:
    t = caers
    sample = np.arange(0, len(t["a"]), 173)
    ours = m.chi2_yates(t["a"][sample], t["b"][sample], t["c"][sample], t["d"][sample])
    ours_raw = m.chi2_yates(t["a"][sample], t["b"][sample], t["c"][sample], t["d"][sample], yates=False)
    for i, j in enumerate(sample):
        table = [[t["a"][j], t["b"][j]], [t["c"][j], t["d"][j]]]
        if min(t["a"][j] + t["c"][j], t["b"][j] + t["d"][j]) == 0:
            continue
        assert ours[i] == pytest.approx(stats.chi2_contingency(table, correction=True)[0], rel=1e-9, abs=1e-12)
        assert ours_raw[i] == pytest.approx(stats.chi2_contingency(table, correction=False)[0], rel=1e-9)


def test_evans_and_flags_on_real_tables(caers: dict[str, np.ndarray]) -> None:
    t = caers
    out = m.all_measures(t["a"], t["b"], t["c"], t["d"])
    expect = (np.nan_to_num(out["prr"]) >= 2) & (np.nan_to_num(out["chi2"]) >= 4) & (t["a"] >= 3)
    assert np.array_equal(out["evans"], expect)
    assert 0 < out["evans"].sum() < len(t["a"])
    assert np.array_equal(out["ror_signal"], out["ror_lo"] > 1)
    assert np.array_equal(out["ic_signal"], out["ic025"] > 0)
    # A signal by IC025 > 0 needs a >= 1 and, for a = 1, a tiny E (shrinkage).
    assert out["ic_signal"][t["a"] == 1].mean() < out["ic_signal"][t["a"] >= 5].mean()


def test_known_table() -> None:
    # a=10, b=90, c=100, d=10000 worked by hand.
    r = m.Measures.from_counts(10, 90, 100, 10000)
    assert r.prr == pytest.approx((10 / 100) / (100 / 10100))
    se = np.sqrt(1 / 10 - 1 / 100 + 1 / 100 - 1 / 10100)
    assert r.prr_lo == pytest.approx(r.prr * np.exp(-1.959963984540054 * se))
    assert r.ror == pytest.approx(10 * 10000 / (90 * 100))
    assert r.e == pytest.approx(100 * 110 / 10200)
    assert r.evans and r.ror_signal and r.ic_signal


def test_degenerate_tables_never_crash() -> None:
    a = np.array([0, 3, 0, 0, 5, 2])
    b = np.array([10, 0, 0, 0, 0, 3])
    c = np.array([5, 0, 0, 0, 0, 4])
    d = np.array([100, 10, 0, 0, 0, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning leaks out either
        out = m.all_measures(a, b, c, d)
    assert out["prr"][0] == 0 and not out["prr_defined"][0]  # a = 0: PRR 0, CI undefined
    assert np.isnan(out["prr"][1]) and not out["prr_defined"][1]  # c = 0
    assert np.isnan(out["e"][2]) and not out["ic_defined"][2]  # N = 0
    assert np.isnan(out["chi2"][2])
    assert not out["evans"][:5].any()
    assert out["ror_defined"][[0, 1, 4, 5]].all()  # Haldane rescues zero cells
    one = m.Measures.from_counts(0, 0, 0, 0).to_dict()
    assert one["prr"] is None and one["e"] is None and one["evans"] is False
    json.dumps(one, allow_nan=False)
    json.dumps(m.json_safe(out), allow_nan=False)


def test_stratified_e_and_bad_input() -> None:
    out = m.all_measures([4], [10], [20], [1000], e=[0.5])
    assert out["ic"][0] == pytest.approx(np.log2(4.5 / 1.0))
    with pytest.raises(m.MeasureInputError, match="negative"):
        m.prr([1], [-1], [2], [3])
    with pytest.raises(m.MeasureInputError, match="NaN"):
        m.ror([np.nan], [1], [2], [3])
    with pytest.raises(m.MeasureInputError, match="broadcast"):
        m.prr([1, 2], [1, 2, 3], [1], [1])
    with pytest.raises(m.MeasureInputError, match="alpha"):
        m.ic([1], [1], alpha=2)
    assert m.prr(5, 10, 20, 1000)["prr"].shape == ()
