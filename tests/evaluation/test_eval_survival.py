"""Time-to-event validation statistics on hand-built cases with known answers."""
import numpy as np
import pytest

from rairpredict.evaluation import (EvaluationInputError, harrell_c, horizon_calibration,
                                    horizon_calibration_groups, horizon_net_benefit, integrated_brier, ipcw_brier,
                                    kaplan_meier, reverse_km_followup, riley_survival_sample_size,
                                    time_dependent_auc, uno_c)

# Six patients; events at 1, 3, 5; censored at 2, 4, 6.
TIME = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
EVENT = np.array([True, False, True, False, True, False])


def test_kaplan_meier_by_hand():
    # S(1) = 5/6; S(3) = 5/6 * 3/4 = 0.625; S(5) = 0.625 * 1/2 = 0.3125 (censored rows leave the risk set)
    km = kaplan_meier(TIME, EVENT, at=[0.5, 1.0, 2.5, 3.0, 5.5])
    np.testing.assert_allclose(km["survival"], [1.0, 5 / 6, 5 / 6, 0.625, 0.3125])
    assert (km["lo"] <= km["survival"]).all() and (km["survival"] <= km["hi"]).all()
    assert km["at_risk"].tolist() == [6, 6, 4, 4, 1]   # still followed at each time


def test_censored_patients_are_not_counted_event_free():
    # Naive "event by 3 years" treating censored-at-2 as event-free gives 2/6; KM gives 1 - 0.625.
    km_risk = 1 - kaplan_meier(TIME, EVENT, at=[3.0])["survival"].iloc[0]
    assert km_risk == pytest.approx(0.375)
    assert km_risk > 2 / 6


def test_reverse_km_median_followup():
    # Reverse KM: censorings at 2, 4, 6 are the events; events (1, 3, 5) censor.
    # S(2) = 5/5 * 4/5 = 0.8 ... risk sets: t=2: 5 at risk -> 4/5; t=4: 3 at risk -> 0.8 * 2/3 = 0.533;
    # t=6: 1 at risk -> 0. Median = first time S <= 0.5 -> 6.
    fu = reverse_km_followup(TIME, EVENT)
    assert fu["median"] == 6.0 and fu["q1"] == 4.0


def test_harrell_c_by_hand():
    # Usable pairs (shorter time is an event): (1,2),(1,3),(1,4),(1,5),(1,6),(3,4),(3,5),(3,6),(5,6) = 9.
    risk = np.array([6, 5, 4, 3, 2, 1], dtype=float)   # perfectly ordered
    assert harrell_c(TIME, EVENT, risk, n_boot=0).estimate == 1.0
    assert harrell_c(TIME, EVENT, -risk, n_boot=0).estimate == 0.0
    swapped = risk.copy(); swapped[[2, 3]] = swapped[[3, 2]]   # only pair (3,4) discordant
    assert harrell_c(TIME, EVENT, swapped, n_boot=0).estimate == pytest.approx(8 / 9)
    tied = np.ones(6)
    assert harrell_c(TIME, EVENT, tied, n_boot=0).estimate == pytest.approx(0.5)


def _simulated(n=600, seed=0, beta=1.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t_event = rng.exponential(1 / (0.15 * np.exp(beta * x)))
    t_cens = rng.uniform(0.5, 8.0, n)
    time = np.minimum(t_event, t_cens)
    event = t_event <= t_cens
    return x, time, event


def test_uno_and_harrell_agree_roughly_and_cis_cover():
    x, time, event = _simulated()
    h = harrell_c(time, event, x, n_boot=100, seed=1)
    u = uno_c(time, event, x, tau=5.0, n_boot=100, seed=1)
    assert 0.65 < h.estimate < 0.8 and abs(h.estimate - u.estimate) < 0.05
    assert h.lo < h.estimate < h.hi and u.lo < u.estimate < u.hi


def test_time_dependent_auc_and_brier():
    x, time, event = _simulated()
    horizons = [1.0, 3.0, 5.0]
    risk = 1 - np.exp(-0.15 * np.exp(x)[:, None] * np.array(horizons)[None, :])  # the true risk
    auc = time_dependent_auc(time, event, risk, horizons, n_boot=50)
    assert list(auc.index) == horizons and (auc["auc"] > 0.65).all()
    brier = ipcw_brier(time, event, risk, horizons, n_boot=50)
    assert (brier["brier"] < brier["null"]).all()   # the truth beats the Kaplan-Meier null model
    ibs = integrated_brier(time, event, 1 - risk, horizons)
    assert 0 < ibs < 0.25
    with pytest.raises(EvaluationInputError, match="beyond the last follow-up"):
        time_dependent_auc(time, event, x, [100.0])


def test_horizon_calibration_of_the_truth_and_of_a_miscalibrated_model():
    x, time, event = _simulated(n=1500, seed=2)
    truth = 1 - np.exp(-0.15 * np.exp(x) * 3)
    cal = horizon_calibration(time, event, truth, horizon=3)
    assert cal["slope_lo"] < 1 < cal["slope_hi"] and cal["oe_lo"] < 1 < cal["oe_hi"]
    assert cal["ici"] < 0.03
    over = 1 - np.exp(-0.15 * np.exp(2 * x) * 3)        # predictions too extreme
    cal_over = horizon_calibration(time, event, over, horizon=3)
    assert cal_over["slope_hi"] < 0.8 and cal_over["ici"] > cal["ici"]
    groups = horizon_calibration_groups(time, event, truth, horizon=3)
    assert groups["n"].sum() == len(time)
    assert np.corrcoef(groups["predicted"], groups["observed"])[0, 1] > 0.9


def test_net_benefit_at_horizon():
    x, time, event = _simulated(n=1500, seed=3)
    truth = 1 - np.exp(-0.15 * np.exp(x) * 3)
    nb = horizon_net_benefit(time, event, truth, 3, thresholds=[0.1, 0.3, 0.5])
    assert (nb["model"] >= nb["treat_all"] - 0.01).all() and (nb["model"] >= -0.01).all()
    # at a threshold above every prediction nobody is treated: net benefit 0
    assert horizon_net_benefit(time, event, truth * 0.01, 3, thresholds=[0.5])["model"].iloc[0] == 0.0


def test_riley_survival_criteria_move_the_right_way():
    small = riley_survival_sample_size(n=300, events=30, n_parameters=30, mean_followup=3, horizon=3)
    big = riley_survival_sample_size(n=30000, events=3000, n_parameters=10, mean_followup=3, horizon=3)
    assert not small["adequate"] and big["adequate"]
    more = riley_survival_sample_size(n=300, events=30, n_parameters=60, mean_followup=3, horizon=3)
    assert more["criterion_1_shrinkage"] > small["criterion_1_shrinkage"]


@pytest.mark.parametrize("time,event,match", [
    ([1.0, -2.0], [1, 0], "row 1: follow-up time must be a positive number"),
    ([1.0, np.nan], [1, 0], "row 1"),
    ([1.0, 2.0], [1, 2], "event, row 1"),
])
def test_bad_inputs_are_one_line_errors(time, event, match):
    with pytest.raises(EvaluationInputError, match=match):
        harrell_c(time, event, [0.1, 0.2], n_boot=0)


def test_partial_likelihood_equals_the_breslow_definition_with_ties():
    from rairpredict.evaluation import cox_partial_loglik

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    time = np.round(rng.exponential(1 / np.exp(0.7 * x)) * 4) / 4 + 0.25     # many ties
    event = rng.random(200) < 0.7
    lp = 0.7 * x
    brute = np.mean([lp[i] - np.log(np.exp(lp[time >= time[i]]).sum()) for i in np.flatnonzero(event)])
    assert cox_partial_loglik(time, event, lp) == pytest.approx(brute, rel=1e-12)
    assert cox_partial_loglik(time, event, lp) > cox_partial_loglik(time, event, -lp)


def test_horizon_calibration_slope_describes_the_horizon_not_the_whole_follow_up():
    """A proportional-hazards prediction has cll = log H0(h) + lp at every horizon, a constant shift: over the
    whole follow-up its Cox slope could not change with h. Truth here: lp acts fully in the first 2 years and not
    at all after; the slope by 1 year is about 1, the slope by 6 years must be clearly smaller."""
    rng = np.random.default_rng(5)
    n = 6000
    lp = rng.normal(size=n)
    base = 0.15
    early = rng.exponential(1 / (base * np.exp(lp)))                 # hazard base * exp(lp) until 2 years
    late = 2 + rng.exponential(1 / base, n)                            # hazard base (no lp effect) after 2 years
    t_event = np.where(early <= 2, early, late)
    t_cens = rng.uniform(0.5, 8, n)
    time, event = np.minimum(t_event, t_cens), t_event <= t_cens
    risk = {h: 1 - np.exp(-base * h * np.exp(lp)) for h in (1.0, 6.0)}  # a PH model's risks by h
    s1 = horizon_calibration(time, event, risk[1.0], 1.0)["slope"]
    s6 = horizon_calibration(time, event, risk[6.0], 6.0)["slope"]
    assert 0.9 < s1 < 1.1
    assert s6 < s1 - 0.15
