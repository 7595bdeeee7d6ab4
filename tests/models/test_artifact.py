"""The model artifact: data only, verified before reading, bit-identical predictions, tampering refused."""
from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rairpredict.errors import ConfigError
from rairpredict.models import load_model
from rairpredict.models.artifact import MANIFEST, fingerprint, read_artifact, sha256
from rairpredict.models.risk_model import RiskModel, fit_risk_model

FEATURES = ["age_years", "sex", "histology", "ete", "t_stage", "n_stage", "ln_positive", "tg_stim_ng_ml",
            "braf_v600e"]


@pytest.fixture(scope="module")
def data():
    from rairpredict.labels import add_labels
    from rairpredict.simulation.simulate import simulate_cohort

    cohort = add_labels(simulate_cohort(700, seed=3))
    rows = cohort["rair"].notna()
    return cohort[rows].reset_index(drop=True), cohort.loc[rows, "rair"].astype(int).to_numpy()


def _fit(data, kind, calibration):
    table, y = data
    params = {"n_estimators": 25, "max_depth": 3} if kind == "xgboost" else {"C": 0.5}
    model = fit_risk_model(table, y, features=FEATURES, decision_point="pre_therapy", kind=kind, params=params,
                           calibration_methods=(calibration,), target="rair", label="rair", threshold=0.12)
    model.metadata.update(name="rair-test", trained_at="2026-01-01T00:00:00+00:00")
    model.extras["input_profile"] = {"age_years": {"median": 47.0, "iqr": [35.0, 58.0]}}
    return model


@pytest.fixture(scope="module", params=[("xgboost", "sigmoid"), ("xgboost", "isotonic"), ("logistic", "sigmoid"),
                                        ("logistic", "isotonic")], ids=lambda p: "-".join(p))
def model(request, data):
    return _fit(data, *request.param)


@pytest.fixture(scope="module")
def xgb(data):
    return _fit(data, "xgboost", "sigmoid")


def test_round_trip_is_bit_identical(model, data, tmp_path):
    table, _ = data
    for saved in (tmp_path / "m.zip", tmp_path / "dir"):
        model.save(saved)
        loaded = RiskModel.load(saved)
        assert np.array_equal(loaded.predict_proba(table), model.predict_proba(table))
        assert np.array_equal(loaded.margin(table), model.margin(table))
        assert list(loaded.get_feature_names_out()) == list(model.get_feature_names_out())
        assert loaded.extras == model.extras and loaded.threshold == 0.12
        assert loaded.metadata["name"] == "rair-test" and loaded.calibration.method == model.calibration.method
        assert loaded.to_bytes() == model.to_bytes()  # saving again gives the same bytes


def test_sklearn_shapes(model, data):
    table, _ = data
    proba = model.predict_proba(table.head(20))
    risk = model.predict_risk(table.head(20))
    assert proba.shape == (20, 2) and risk.shape == (20,)
    np.testing.assert_array_equal(proba[:, 1], risk)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(model.classes_) == [0, 1]
    np.testing.assert_array_equal(model.predict(table.head(20)), (risk >= 0.12).astype(int))
    assert len(model.get_feature_names_out()) == model.transform(table.head(2)).shape[1]


def test_files_are_data_and_deterministic(xgb, tmp_path):
    files = xgb.to_files()
    assert set(files) == {"model.json", "booster.ubj", "metadata.json", "provenance.json",
                          "extras/input_profile.json"}
    for name, data in files.items():
        assert not data.startswith(b"\x80"), name  # no pickle anywhere
        if name.endswith(".json"):
            assert json.loads(data) is not None
    assert json.loads(files["provenance.json"]) == {"trained_at": "2026-01-01T00:00:00+00:00"}
    assert "trained_at" not in json.loads(files["metadata.json"])
    again = RiskModel.load(xgb.to_bytes())
    again.metadata["trained_at"] = "2027-05-05T00:00:00+00:00"
    assert again.fingerprint() == xgb.fingerprint()  # provenance does not change the fingerprint
    assert again.to_bytes() != xgb.to_bytes()
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(xgb.to_bytes())).read(MANIFEST))
    assert manifest["format_version"] == 1 and manifest["fingerprint"] == fingerprint(files)
    assert manifest["files"] == {n: sha256(d) for n, d in files.items()}


# ---------------------------------------------------------------- tampering
def _zip(files: dict) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _unzip(data: bytes) -> dict:
    zf = zipfile.ZipFile(io.BytesIO(data))
    return {n: zf.read(n) for n in zf.namelist()}


def _remanifest(files: dict) -> dict:
    """What an attacker who can write the directory does: a manifest matching the swapped files."""
    body = {k: v for k, v in files.items() if k != MANIFEST}
    manifest = json.loads(files[MANIFEST])
    manifest["files"] = {n: sha256(d) for n, d in sorted(body.items())}
    return {**body, MANIFEST: json.dumps(manifest).encode()}


class _Boom:
    def __reduce__(self):
        return (print, ("PICKLE CODE RAN",))


def tampered_variants(model: RiskModel, other: RiskModel) -> dict:
    """name -> (files of the tampered artifact, whether a manifest rewrite makes it locally consistent)."""
    good = _unzip(model.to_bytes())
    flip = bytearray(good["booster.ubj"])
    flip[len(flip) // 2] ^= 0x01
    state = json.loads(good["model.json"])
    state["threshold"] = 0.99
    swapped = {**good, "booster.ubj": _unzip(other.to_bytes())["booster.ubj"]}
    return {
        "booster byte flip": {**good, "booster.ubj": bytes(flip)},
        "model.json edited": {**good, "model.json": json.dumps(state).encode()},
        "extra file": {**good, "extras/run.py": b"import os"},
        "missing file": {k: v for k, v in good.items() if k != "metadata.json"},
        "manifest missing": {k: v for k, v in good.items() if k != MANIFEST},
        "pickle as booster": {**good, "booster.ubj": pickle.dumps(_Boom())},
        "pickle as model.json, manifest rewritten": _remanifest({**good, "model.json": pickle.dumps(_Boom())}),
        "pickle as booster, manifest rewritten": _remanifest({**good, "booster.ubj": pickle.dumps(_Boom())}),
        "manifest format version 99": {**good, MANIFEST: good[MANIFEST].replace(b'"format_version": 1',
                                                                                   b'"format_version": 99')},
        "manifest rewritten beside a swapped booster": _remanifest(swapped),
    }


#: Locally consistent forgeries: only a hash recorded elsewhere (MLflow tags) can refuse them.
CONSISTENT = {"manifest rewritten beside a swapped booster"}


def _write_dir(files: dict, path: Path) -> Path:
    for name, data in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_bytes(data)
    return path


def test_tampered_artifacts_refused_as_zip_and_directory(xgb, data, tmp_path, capsys):
    other = _fit(data, "xgboost", "isotonic")
    expected = sha256(_unzip(xgb.to_bytes())[MANIFEST])
    tried = refused = 0
    for i, (name, files) in enumerate(tampered_variants(xgb, other).items()):
        for form in ("zip", "dir"):
            if form == "zip":
                source = tmp_path / f"t{i}.zip"
                source.write_bytes(_zip(files))
            else:
                source = _write_dir(files, tmp_path / f"t{i}")
            tried += 1
            if name in CONSISTENT:
                # no recorded hash: the forgery is a valid model (data, no code); with the hash it is refused
                assert RiskModel.load(source).threshold == xgb.threshold
                with pytest.raises(ConfigError, match="differs from the one recorded"):
                    RiskModel.load(source, expected_manifest=expected)
                refused += 1
                continue
            with pytest.raises(ConfigError) as info:
                RiskModel.load(source)
            assert len(str(info.value).splitlines()) == 1, (name, str(info.value))
            refused += 1
    assert "PICKLE CODE RAN" not in capsys.readouterr().out
    assert refused == tried == 20


def test_old_pickles_refused_with_reexport_hint(xgb, tmp_path, capsys):
    joblib_file = tmp_path / "rair.joblib"
    joblib_file.write_bytes(pickle.dumps(_Boom()))
    renamed = tmp_path / "rair.zip"
    renamed.write_bytes(pickle.dumps(_Boom()))
    compressed = tmp_path / "model.bin"
    import zlib

    compressed.write_bytes(zlib.compress(pickle.dumps(_Boom())))
    for path in (joblib_file, renamed, compressed):
        with pytest.raises(ConfigError, match=r"old pickled model .*rairpredict train --config CONFIG --export DIR"):
            RiskModel.load(path)
    old_dir = tmp_path / "old"
    old_dir.mkdir()
    (old_dir / "risk_model.joblib").write_bytes(pickle.dumps(_Boom()))
    with pytest.raises(ConfigError, match="old pickled model"):
        load_model(old_dir)
    assert "PICKLE CODE RAN" not in capsys.readouterr().out


def test_malformed_archives_refused(xgb, tmp_path):
    good = _unzip(xgb.to_bytes())
    cases = {
        "traversal": _zip({**good, "../evil.json": b"{}"}),
        "truncated": xgb.to_bytes()[:200],
        "not a model": b"hello world",
    }
    for name, blob in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.zip"
        path.write_bytes(blob)
        with pytest.raises(ConfigError):
            RiskModel.load(path)
    with pytest.raises(ConfigError, match="not found"):
        RiskModel.load(tmp_path / "absent.zip")
    link_dir = _write_dir(good, tmp_path / "linked")
    (link_dir / "metadata.json").unlink()
    (link_dir / "metadata.json").symlink_to(tmp_path / "truncated.zip")
    with pytest.raises(ConfigError, match="symbolic link"):
        RiskModel.load(link_dir)


def test_package_never_unpickles():
    """No module of the package loads a pickle (pickle/joblib/cloudpickle loaders, pickled MLflow models)."""
    import rairpredict

    root = Path(rairpredict.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("joblib.load", "cloudpickle", "pickle.load", "python_model=", "read_pickle",
                       "allow_pickle=True", "import joblib\n", "Unpickler("):
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []
    shipped = [p for p in root.rglob("*") if p.suffix.lower() in (".joblib", ".pkl", ".pickle")]
    assert shipped == []


def test_default_model_is_verified_data():
    from rairpredict.scoring import DEFAULT_MODEL, load_model_ref

    artifact = read_artifact(DEFAULT_MODEL)
    assert DEFAULT_MODEL.suffix == ".zip" and "model.json" in artifact.files
    model = load_model_ref(None)
    assert model.target == "rair" and model.predict_proba is not None
    # the demo's exported kind (final_model: auto); a tree model carries its booster as XGBoost UBJ
    assert ("booster.ubj" in artifact.files) == (model.kind == "xgboost")
