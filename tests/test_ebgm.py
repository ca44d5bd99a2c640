"""MGPS / EBGM against openEBGM's published results on the real CAERS reports, and against vigipy."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, special

from adrlens.config import data_path
from adrlens.signals import ebgm as eb
from adrlens.signals import ebgm_prior
from adrlens.signals.measures import MeasureInputError


@pytest.fixture(scope="module")
def expected_json() -> dict:
    return json.loads(data_path("checks", "openebgm_caers", "expected.json").read_text())


@pytest.fixture(scope="module")
def caers() -> pd.DataFrame:
    """openEBGM's processRaw(caers, stratify = FALSE, zeroes = FALSE): N and E per observed pair."""
    raw = pd.read_csv(data_path("checks", "openebgm_caers", "caers.csv"), usecols=["id", "var1", "var2"])
    raw = raw.drop_duplicates()
    n_reports = raw["id"].nunique()
    pair = raw.groupby(["var1", "var2"])["id"].nunique().rename("N").reset_index()
    pair = pair.join(raw.groupby("var1")["id"].nunique().rename("n_prod"), on="var1")
    pair = pair.join(raw.groupby("var2")["id"].nunique().rename("n_event"), on="var2")
    pair["E"] = pair["n_prod"] * pair["n_event"] / n_reports
    return pair


@pytest.fixture(scope="module")
def full_fit(caers: pd.DataFrame) -> eb.Prior:
    return eb.fit_prior(caers["N"].to_numpy(), caers["E"].to_numpy())


def test_counts_match_openebgm(caers: pd.DataFrame, expected_json: dict) -> None:
    assert len(caers) == expected_json["pairs"] == 17189
    assert caers["N"].min() == 1


def test_likelihood_equals_openebgm(caers: pd.DataFrame, expected_json: dict) -> None:
    theta = expected_json["hyperparameters_full_data"]["estimate"]
    nll = eb.neg_log_likelihood(theta, caers["N"], caers["E"])
    assert nll == pytest.approx(expected_json["hyperparameters_full_data"]["negative_log_likelihood_min"], abs=1e-3)


def test_full_fit_reproduces_openebgm(full_fit: eb.Prior, caers: pd.DataFrame, expected_json: dict) -> None:
    ref = np.array(expected_json["hyperparameters_full_data"]["estimate"])
    assert full_fit.converged and full_fit.n_pairs == 17189 and not full_fit.squashed
    np.testing.assert_allclose(full_fit.as_array(), ref, rtol=0.01)
    ref_nll = eb.neg_log_likelihood(ref, caers["N"], caers["E"])
    assert full_fit.neg_loglik <= ref_nll + 1e-6


def test_squashed_fit_close_to_full(full_fit: eb.Prior, caers: pd.DataFrame, expected_json: dict) -> None:
    sq = eb.fit_prior(caers["N"].to_numpy(), caers["E"].to_numpy(), squash=True)
    assert sq.squashed and sq.n_points < len(caers) / 5 and sq.n_pairs == len(caers)
    np.testing.assert_allclose(
        sq.as_array(), expected_json["hyperparameters_used_for_posteriors"]["estimate"], rtol=0.01
    )
    # On the full data the squashed optimum loses almost nothing.
    assert eb.neg_log_likelihood(sq.as_array(), caers["N"], caers["E"]) - full_fit.neg_loglik < 0.01


def test_posteriors_match_openebgm(caers: pd.DataFrame, expected_json: dict) -> None:
    theta = expected_json["hyperparameters_used_for_posteriors"]["estimate"]
    res = eb.ebgm(caers["N"].to_numpy(), caers["E"].to_numpy(), theta)
    assert res["defined"].all()
    idx = {(p, e): i for i, (p, e) in enumerate(zip(caers["var1"], caers["var2"], strict=True))}
    for ex in expected_json["posterior_examples"]:
        i = idx[(ex["product"], ex["event"])]
        assert caers["N"].iloc[i] == ex["N"]
        assert caers["E"].iloc[i] == pytest.approx(ex["E"], rel=1e-7)
        # openEBGM prints 2 decimals (bisection to +-0.005, then rounding)
        assert res["ebgm"][i] == pytest.approx(ex["EBGM"], abs=0.01)
        assert res["eb05"][i] == pytest.approx(ex["EB05"], abs=0.01)
        assert res["eb95"][i] == pytest.approx(ex["EB95"], abs=0.01)
    assert int((res["eb05"] >= 2).sum()) == expected_json["pairs_with_EB05_at_least_2"] == 131
    assert int((np.round(res["eb05"], 2) >= 2).sum()) == 131  # openEBGM rounds before comparing


def test_own_fit_gives_131_signals(full_fit: eb.Prior, caers: pd.DataFrame) -> None:
    res = eb.ebgm(caers["N"].to_numpy(), caers["E"].to_numpy(), full_fit)
    assert int((res["eb05"] >= 2).sum()) == 131
    # EBGM is not N/E: shrinkage pulls single reports with tiny E far below N/E.
    rr = caers["N"].to_numpy() / caers["E"].to_numpy()
    assert np.all(res["ebgm"][rr > 100] < rr[rr > 100] / 10)


def test_quantiles_are_exact(caers: pd.DataFrame, full_fit: eb.Prior) -> None:
    n, e = caers["N"].to_numpy(float), caers["E"].to_numpy()
    res = eb.ebgm(n, e, full_fit)
    a1, b1, a2, b2, _ = full_fit.as_array()
    q = res["qn"]

    def cdf(x: np.ndarray, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return q[idx] * special.gammainc(a1 + n[idx], (b1 + e[idx]) * x) + (1 - q[idx]) * special.gammainc(
            a2 + n[idx], (b2 + e[idx]) * x
        )

    np.testing.assert_allclose(cdf(res["eb05"]), 0.05, atol=1e-9)
    np.testing.assert_allclose(cdf(res["eb95"]), 0.95, atol=1e-9)
    assert np.all(res["eb05"] < res["ebgm"]) and np.all(res["ebgm"] < res["eb95"])
    # and against scalar Brent root-finding on a sample of pairs
    for i in range(0, len(n), 1500):
        ix = np.array([i])
        root = optimize.brentq(lambda x, ix=ix: cdf(np.array([x]), ix)[0] - 0.05, 1e-9, 1e6, xtol=1e-14, rtol=1e-13)
        assert res["eb05"][i] == pytest.approx(root, rel=1e-8)
    # EBGM is 2^E[log2 lambda], from the digamma of both posterior components
    elog = q * (special.digamma(a1 + n) - np.log(b1 + e)) + (1 - q) * (special.digamma(a2 + n) - np.log(b2 + e))
    np.testing.assert_allclose(res["ebgm"], np.exp(elog), rtol=1e-12)


def test_posterior_equals_vigipy_gps(caers: pd.DataFrame, expected_json: dict) -> None:
    vigipy = pytest.importorskip("vigipy")
    from vigipy.utils.Container import DataContainer

    sub = caers.iloc[::7].reset_index(drop=True)
    n_reports = float(caers["n_prod"].iloc[0] * caers["n_event"].iloc[0] / caers["E"].iloc[0])
    df = pd.DataFrame(
        {
            "events": sub["N"].to_numpy(float),
            "product_aes": sub["n_prod"].to_numpy(float),
            "count_across_brands": sub["n_event"].to_numpy(float),
            "ae_name": [f"e{i}" for i in range(len(sub))],
            "product_name": [f"p{i}" for i in range(len(sub))],
        }
    )
    theta = expected_json["hyperparameters_used_for_posteriors"]["estimate"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = vigipy.gps(DataContainer(data=df, N=round(n_reports)), min_events=1, prior_param=theta).all_signals
    res.index = res["Product"].str.slice(1).astype(int)
    res = res.sort_index()
    ours = eb.ebgm(sub["N"].to_numpy(), sub["E"].to_numpy(), theta)
    np.testing.assert_allclose(ours["ebgm"], res["EBGM"], rtol=1e-9)
    # vigipy bisects to |F(x) - p| < 1e-5, so its quantiles agree to that CDF tolerance only.
    np.testing.assert_allclose(ours["eb05"], res["LowerBound"], rtol=2e-3)
    np.testing.assert_allclose(ours["eb95"], res["UpperBound"], rtol=2e-3)


def test_squash_preserves_mass(caers: pd.DataFrame) -> None:
    n, e = caers["N"].to_numpy(float), caers["E"].to_numpy()
    ns, es, ws = eb.squash(n, e)
    assert len(ns) < len(n) / 5
    assert ws.sum() == pytest.approx(len(n))
    assert np.dot(ws, es) == pytest.approx(e.sum(), rel=1e-12)
    for k in np.unique(n):
        assert ws[ns == k].sum() == pytest.approx((n == k).sum())
    # squashing squashed data again with its weights keeps the totals
    _n2, e2, w2 = eb.squash(ns, es, ws, bin_sizes={1: 2}, min_pts=10, min_bin=2)
    assert w2.sum() == pytest.approx(len(n)) and np.dot(w2, e2) == pytest.approx(e.sum(), rel=1e-12)


def test_labels_and_starts(caers: pd.DataFrame, full_fit: eb.Prior) -> None:
    # A start with the components swapped converges to the same (canonically labelled) prior.
    t = full_fit.as_array()
    swapped = [t[2], t[3], t[0], t[1], 1 - t[4]]
    again = eb.fit_prior(caers["N"].to_numpy(), caers["E"].to_numpy(), squash=True, start=swapped)
    assert again.p <= 0.5
    np.testing.assert_allclose(again.as_array(), t, rtol=0.01)
    json.dumps(full_fit.to_dict(), allow_nan=False)


def test_degenerate_and_bad_input(full_fit: eb.Prior) -> None:
    res = eb.ebgm([0, 1, np.nan, 3], [0.0, 0.0, 1.0, np.nan], full_fit)
    assert res["defined"].tolist() == [True, True, False, False]
    assert np.isfinite(res["ebgm"][:2]).all() and np.isnan(res["ebgm"][2:]).all()
    assert res["eb05"][1] < res["ebgm"][1] < res["eb95"][1]
    with pytest.raises(MeasureInputError):
        eb.ebgm([-1], [1.0], full_fit)
    with pytest.raises(MeasureInputError, match="No pairs"):
        eb.fit_prior([0, 0], [1.0, 2.0])
    with pytest.raises(MeasureInputError, match="theta"):
        eb.Prior.from_array([1, 2, 3])
    fit = eb.fit_prior([0, 1, 2, 5], [0.5, 0.3, 0.4, 0.1])  # tiny data: returns, never crashes
    assert fit.n_excluded == 1 and fit.n_pairs == 3


@pytest.mark.parametrize("truncation", ["component", "mixture"])
def test_gradient_matches_finite_differences(caers: pd.DataFrame, truncation: str) -> None:
    sub = caers.iloc[::5]
    data = eb._Data(sub["N"].to_numpy(float), sub["E"].to_numpy(), np.ones(len(sub)))
    x = np.array([0.3, -1.0, 1.2, 0.5, -1.5])
    _, grad = eb._nll_and_grad(x, data, 1, truncation)
    num = optimize.approx_fprime(x, lambda z: eb._nll_and_grad(z, data, 1, truncation)[0], 1e-6)
    np.testing.assert_allclose(grad, num, rtol=1e-4, atol=1e-3)
    # the two truncations are different likelihoods
    assert eb.neg_log_likelihood([1, 1, 2, 2, 0.3], sub["N"], sub["E"], truncation=truncation) > 0


def test_fit_is_deterministic_and_reports_its_convergence(caers: pd.DataFrame) -> None:
    n, e = caers["N"].to_numpy(), caers["E"].to_numpy()
    one, two = eb.fit_prior(n, e, squash=True), eb.fit_prior(n, e, squash=True)
    assert one == two and one.message == two.message
    assert one.converged and one.grad_norm < eb.GRAD_TOL and one.n_iter > 0 and one.n_starts == len(eb.DEFAULT_STARTS)
    assert "at bound" not in one.message


def test_a_fit_on_the_edge_of_the_box_is_not_converged() -> None:
    # Every pair has n = 1 and the same E: nothing separates two components, so the best fit is a limit
    # of the model (a shape on its bound or P at 0/1), which must not be called converged.
    n, e = np.ones(400), np.full(400, 0.5)
    fit = eb.fit_prior(n, e)
    assert not fit.converged and "at bound" in fit.message


def test_zero_cells_count_every_unobserved_combination() -> None:
    # 3 drugs (totals 4, 4, 2) x 2 events (totals 3, 5) in 10 cases; 4 of the 6 cells observed.
    drug = np.array(["x", "x", "y", "z"])
    event = np.array(["p", "q", "q", "p"])
    drug_n, event_n = np.array([4.0, 4.0, 4.0, 2.0]), np.array([3.0, 5.0, 5.0, 3.0])
    e0, w0 = ebgm_prior.zero_cells(drug, event, drug_n, event_n, 10)
    assert w0.sum() == 6 - 4
    # the unobserved cells are (y, p) with E = 4 * 3 / 10 and (z, q) with E = 2 * 5 / 10
    assert sorted(zip(e0.tolist(), w0.tolist(), strict=True)) == [(1.0, 1.0), (1.2, 1.0)]


def test_assess_rules(caers: pd.DataFrame, full_fit: eb.Prior) -> None:
    n, e = caers["N"].to_numpy(float), caers["E"].to_numpy()
    assert ebgm_prior.assess(full_fit, n, e).usable  # CAERS: converged, shrinks single reports
    few = ebgm_prior.assess(full_fit, n[n == 1][:500], e[n == 1][:500])
    assert not few.usable and "too few reports" in few.reason and f">= {ebgm_prior.MIN_REPEAT_PAIRS}" in few.reason
    # A prior that barely shrinks (both components flat, mean 1/0.001) lets single reports signal.
    flat = eb.Prior.from_array([0.5, 0.001, 0.5, 0.001, 0.5], converged=True)
    bad = ebgm_prior.assess(flat, n, e)
    assert not bad.usable and "does not shrink" in bad.reason
    assert "EBGM not given (caers)" in ebgm_prior.describe(bad, "caers")
    ok = ebgm_prior.describe(ebgm_prior.assess(full_fit, n, e), "caers")
    assert ok.startswith("EBGM prior (caers): converged") and "alpha1=3.2" in ok
    # stored diagnostics come back; a store written before the checks is not trusted (even "converged")
    back = ebgm_prior.from_diagnostics(bad.as_array(), json.dumps(bad.to_dict()))
    assert back == bad and back.reason == bad.reason and not back.usable
    stale = ebgm_prior.from_diagnostics(full_fit.as_array(), json.dumps({"converged": True}))
    assert not stale.usable and stale.reason == ebgm_prior.STALE_PRIOR
