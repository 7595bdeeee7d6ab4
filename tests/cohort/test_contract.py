"""The data contract file is well-formed and answers stage questions correctly."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rairpredict.cohort.contract import STAGES, load_contract
from rairpredict.cohort.derive import add_derived
from rairpredict.simulation.simulate import simulate_cohort

CONTRACT = load_contract()


def test_every_field_is_complete():
    for f in CONTRACT:
        assert f.stage in STAGES, f.name
        assert f.description and f.source, f.name
        assert f.dtype in {"string", "float", "int", "bool", "category"}, f.name
        if f.dtype == "category":
            assert f.categories and len(set(f.categories)) == len(f.categories), f.name
        if f.range is not None:
            assert f.range[0] <= f.range[1], f.name
            if f.plausible is not None:
                assert f.range[0] <= f.plausible[0] <= f.plausible[1] <= f.range[1], f.name
        assert all(v > 0 for v in f.aliases.values()), f.name


def test_required_identity_and_issue_fields_exist():
    assert CONTRACT["patient_id"].unique and CONTRACT["patient_id"].required
    for name in ("age_years", "sex", "smoking", "histology", "tumour_size_mm", "multifocal", "ete",
                 "vascular_invasion", "t_stage", "n_stage", "m_stage", "ln_examined", "ln_positive",
                 "distant_met_site", "braf_v600e", "tert_promoter", "preparation", "tsh_stim_mu_l",
                 "tg_stim_ng_ml", "tgab_iu_ml", "tc99m_uptake_pct", "activity_gbq", "course_number",
                 "cumulative_activity_gbq", "dose_rate_24h_usv_h", "dose_rate_48h_usv_h", "dose_rate_72h_usv_h",
                 "early_radiation_reactions", "post_scan_any_uptake", "lesions_without_uptake", "fdg_pet",
                 "structural_progression_12_16m"):
        assert name in CONTRACT, name


def test_stages_of_key_fields():
    assert CONTRACT["tsh_stim_mu_l"].stage == "pre_therapy"
    assert CONTRACT["dose_rate_48h_usv_h"].stage == "early_therapy"
    assert CONTRACT["fdg_pet"].stage == "follow_up"
    assert "dose_rate_48h_usv_h" not in CONTRACT.available_at("pre_therapy")
    assert "dose_rate_48h_usv_h" in CONTRACT.available_at("early_therapy")
    assert "patient_id" not in CONTRACT.available_at("follow_up")


@given(st.sampled_from(STAGES), st.sampled_from(STAGES))
def test_availability_grows_along_the_care_pathway(a, b):
    early, late = sorted((a, b), key=CONTRACT.stage_index)
    assert set(CONTRACT.available_at(early)) <= set(CONTRACT.available_at(late))


def test_unit_conversion_and_unknown_unit():
    assert CONTRACT["activity_gbq"].convert_factor("mCi") == pytest.approx(0.037)
    assert CONTRACT["tsh_stim_mu_l"].convert_factor("µIU/mL") == 1.0
    with pytest.raises(KeyError, match="unknown unit"):
        CONTRACT["activity_gbq"].convert_factor("Ci")
    with pytest.raises(ValueError, match="unknown stage"):
        CONTRACT.stage_index("surgery")


def test_derived_fields_are_all_computed():
    table = add_derived(simulate_cohort(50, seed=1))
    for name in CONTRACT.derived:
        assert name in table and table[name].notna().any(), name
