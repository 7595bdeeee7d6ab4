"""Target configuration: what to predict, when, from what, and how to validate it.

A target config is a YAML file in ``configs/targets/``. It is checked when
loaded: unknown keys, unknown fields, features that are not available at the
decision point (temporal leakage), oracle columns, and features that the label
itself is computed from are refused with one clear line.

Examples
--------
>>> from rairpredict.experiment.config import load_target_config, CONFIG_DIR
>>> cfg = load_target_config(CONFIG_DIR / "rair.yaml")
>>> cfg.decision_point
'pre_therapy'
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from rairpredict.errors import ConfigError, LeakageError
from rairpredict.features import check_leakage
from rairpredict.models.risk_model import MODEL_KINDS
from rairpredict.resources import config_dir

__all__ = ["TargetConfig", "load_target_config", "CONFIG_DIR", "LABEL_INPUTS"]

#: The shipped target configs (package data).
CONFIG_DIR = config_dir("targets")

#: Canonical fields each label is computed from. A model must never see them:
#: they would restate the outcome (e.g. the ATA Response for a Response label).
LABEL_INPUTS: dict[str, tuple[str, ...]] = {
    "rair": ("post_scan_any_uptake", "post_scan_uptake_loss", "known_lesions", "lesions_without_uptake",
             "fdg_pet", "structural_progression_12_16m", "persistent_disease"),
    "unexpected_uptake": ("post_scan_bed_uptake", "dose_rate_48h_usv_h", "early_radiation_reactions"),
    "second_course_benefit": ("tg_stim_fu_ng_ml", "structural_change_fu"),
    "ata_response_structural_incomplete": ("ata_response_reported", "imaging_fu", "tg_suppressed_fu_ng_ml",
                                            "tg_stim_fu_ng_ml", "tgab_fu_iu_ml", "tgab_trend"),
    "recurred": ("recurred",),
}

_KEYS = {"name", "description", "label", "decision_point", "cohort", "population", "features",
         "models", "baselines", "validation", "tuning", "threshold", "bands", "band_names", "final_model"}
_VALIDATION_DEFAULTS = {"outer_folds": 5, "repeats": 2, "inner_folds": 3, "seed": 0}


@dataclass(frozen=True)
class TargetConfig:
    """A resolved, checked target configuration (see module docstring)."""

    name: str
    label: str
    decision_point: str
    features: tuple[str, ...]
    cohort: dict[str, Any]
    description: str = ""
    population: dict[str, Any] = field(default_factory=dict)
    models: tuple[str, ...] = ("logistic", "xgboost")
    baselines: tuple[str, ...] = ()
    validation: dict[str, int] = field(default_factory=lambda: dict(_VALIDATION_DEFAULTS))
    tuning: dict[str, Any] = field(default_factory=lambda: {"trials": 10})
    threshold: float = 0.1
    bands: tuple[float, ...] = (0.05, 0.15)
    band_names: tuple[str, ...] = ("low", "intermediate", "high")
    final_model: str = "xgboost"
    source: str = ""

    def with_overrides(self, **changes) -> "TargetConfig":
        """Copy with some settings changed (e.g. fewer trials for a quick run)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for logging the resolved config)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def _fail(path, rule: str):
    raise ConfigError(f"{path}: {rule}")


def load_target_config(path) -> TargetConfig:
    """Read and check a target config; raises :class:`ConfigError` / :class:`LeakageError`."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(path, "file not found")
    except yaml.YAMLError as exc:
        _fail(path, f"not valid YAML ({str(exc).splitlines()[0]})")
    if not isinstance(raw, dict):
        _fail(path, "expected a mapping at the top level")
    unknown = set(raw) - _KEYS
    if unknown:
        _fail(path, f"unknown key(s) {sorted(unknown)}; allowed: {sorted(_KEYS)}")
    for key in ("name", "label", "decision_point", "features", "cohort"):
        if key not in raw:
            _fail(path, f"missing required key {key!r}")
    if raw["label"] not in LABEL_INPUTS:
        _fail(path, f"key 'label': unknown label {raw['label']!r}; known: {sorted(LABEL_INPUTS)}")
    models = tuple(raw.get("models", ("logistic", "xgboost")))
    for m in models:
        if m not in MODEL_KINDS:
            _fail(path, f"key 'models': unknown model {m!r}; known: {list(MODEL_KINDS)}")
    final_model = str(raw.get("final_model", "xgboost"))
    if final_model not in models:
        _fail(path, f"key 'final_model': {final_model!r} is not one of the config's models {list(models)}")
    features = tuple(raw["features"] or ())
    if not features:
        _fail(path, "key 'features': empty list")
    restating = sorted(set(features) & set(LABEL_INPUTS[raw["label"]]))
    if restating:
        raise LeakageError(f"{path}: feature(s) {restating} are inputs of label {raw['label']!r} "
                           "and would restate the outcome")
    try:
        check_leakage(list(features), raw["decision_point"])
    except (LeakageError, ConfigError) as exc:
        raise type(exc)(f"{path}: {exc}") from None
    except ValueError as exc:
        _fail(path, str(exc))
    validation = dict(_VALIDATION_DEFAULTS, **(raw.get("validation") or {}))
    bands = tuple(float(b) for b in raw.get("bands", (0.05, 0.15)))
    band_names = tuple(raw.get("band_names") or (("low", "intermediate", "high") if len(bands) == 2
                                                   else [f"band_{i}" for i in range(len(bands) + 1)]))
    if list(bands) != sorted(bands) or len(band_names) != len(bands) + 1:
        _fail(path, "key 'bands': cut-offs must ascend and band_names must have one more entry")
    cohort = dict(raw["cohort"])
    # Relative paths are relative to this config file, wherever the command runs.
    for key in ("path", "cohort_config"):
        if key in cohort and not Path(cohort[key]).expanduser().is_absolute():
            cohort[key] = str((path.resolve().parent / Path(cohort[key]).expanduser()).resolve())
    return TargetConfig(
        name=str(raw["name"]), label=str(raw["label"]), decision_point=str(raw["decision_point"]),
        features=features, cohort=cohort, description=str(raw.get("description", "")),
        population=dict(raw.get("population") or {}), models=models,
        baselines=tuple(raw.get("baselines") or ()), validation=validation,
        tuning=dict(raw.get("tuning") or {"trials": 10}), threshold=float(raw.get("threshold", 0.1)),
        bands=bands, band_names=band_names, final_model=final_model, source=str(path),
    )
