"""The real UCI DTC cohort imports completely through its YAML config."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from rairpredict.cohort import import_cohort, load_cohort_config
from rairpredict.cohort.contract import load_contract
from rairpredict.cohort.validate import canonical_dtype

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data" / "uci_dtc" / "Thyroid_Diff.csv"
CONFIG = REPO / "configs" / "cohorts" / "uci_dtc.yaml"
MD5 = "69dba3ab3273393a19a2967e69e3e703"  # stated in data/uci_dtc/README.md


@pytest.fixture(scope="module")
def uci():
    return import_cohort(DATA, CONFIG)


@pytest.fixture(scope="module")
def source():
    return pd.read_csv(DATA, sep=";", dtype=str)


def test_copy_is_byte_exact():
    assert hashlib.md5(DATA.read_bytes()).hexdigest() == MD5
    assert MD5 in (DATA.parent / "README.md").read_text()


def test_all_rows_accepted(uci):
    assert (uci.n_in, len(uci.table), uci.n_rejected, len(uci.flags)) == (383, 383, 0, 0)
    assert uci.table["patient_id"].iloc[[0, -1]].tolist() == ["uci-0001", "uci-0383"]
    assert uci.table["patient_id"].is_unique


def test_published_counts(uci):
    t = uci.table
    assert int(t["recurred"].sum()) == 108 and t["recurred"].notna().all()
    assert t["ata_response_reported"].value_counts().to_dict() == {
        "excellent": 208, "structural_incomplete": 91, "indeterminate": 61, "biochemical_incomplete": 23}


def test_every_mapped_value_kept(uci, source):
    t = uci.table
    assert t["histology"].value_counts().to_dict() == {
        "papillary_classic": 287, "papillary_micro": 48, "follicular": 28, "oncocytic": 20,
        "papillary_follicular_variant": 0, "papillary_tall_cell": 0, "papillary_hobnail": 0, "papillary_columnar": 0}
    assert (t["age_years"].to_numpy() == source["Age"].astype(float).to_numpy()).all()
    assert t["t_stage"].astype(str).tolist() == source["T"].tolist()
    assert (t["sex"] == "female").sum() == (source["Gender"] == "F").sum() == 312
    either = (source["Smoking"] == "Yes") | (source["Hx Smoking"] == "Yes")
    assert t["smoking"].tolist() == either.tolist()
    assert int(t["multifocal"].sum()) == int((source["Focality"] == "Multi-Focal").sum()) == 136
    assert t["physical_examination"].value_counts()["single_nodular_goiter_left"] == 89
    assert t["adenopathy"].value_counts()["none"] == 277
    for col in ["thyroid_function", "physical_examination", "adenopathy", "ajcc8_stage", "ata_risk_2015"]:
        assert t[col].notna().all(), col


def test_contract_dtypes(uci):
    for f in load_contract():
        if f.name in uci.table:
            assert uci.table[f.name].dtype == canonical_dtype(f), f.name


def test_config_lacks_everything_unmapped():
    cfg = load_cohort_config(CONFIG)
    assert "tg_stim_ng_ml" in cfg.lacks and "age_years" not in cfg.lacks
    assert cfg.columns["smoking"].sources == ("Smoking", "Hx Smoking")
