"""Target configuration: what to predict, when, from what, in whom, and how to validate it.

A target config is a YAML file (the shipped ones are in ``configs/targets/``).
It is checked when loaded, and every mistake is one line naming the file, the
line and the key: unknown keys, unknown fields, an outcome whose coding is
incomplete, a population rule with an unknown column or operator, features
not available at the decision point (temporal leakage), oracle columns, and
features the outcome is computed from. Paths in ``cohort`` are relative to the
config file. :data:`TARGET_SCHEMA` is the JSON Schema of the file
(``rairpredict schema target``).

Examples
--------
>>> from rairpredict.experiment.config import load_target_config, CONFIG_DIR
>>> cfg = load_target_config(CONFIG_DIR / "rair.yaml")
>>> cfg.decision_point, cfg.outcome.name
('pre_therapy', 'Radioiodine-refractory disease (RAIR)')
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rairpredict.cohort.contract import Contract, load_contract
from rairpredict.cohort.population import POPULATION_SCHEMA, PopulationRule, parse_population
from rairpredict.configfile import YamlDoc, did_you_mean, load_yaml
from rairpredict.errors import ConfigError, LeakageError, RairpredictError
from rairpredict.features import check_leakage
from rairpredict.labels.outcome import LABEL_INPUTS, OUTCOME_SCHEMA, OutcomeSpec, parse_outcome
from rairpredict.models.risk_model import MODEL_KINDS
from rairpredict.models.survival import SURVIVAL_KINDS
from rairpredict.resources import config_dir

__all__ = ["TargetConfig", "load_target_config", "CONFIG_DIR", "LABEL_INPUTS", "TARGET_SCHEMA",
           "target_config_schema", "outcome_metadata", "AUTO_FINAL_MODEL", "MODEL_COMPLEXITY"]

#: The shipped target configs (package data).
CONFIG_DIR = config_dir("targets")

#: ``final_model: auto`` -- the rule is declared here, before any training:
#: the model kind with the highest nested-CV AUROC, unless a simpler kind
#: (lower :data:`MODEL_COMPLEXITY`) is not significantly worse (DeLong
#: p >= 0.05, median over repeats, same outer folds), then the simplest such
#: kind (:func:`rairpredict.experiment.summary.choose_final_model`).
AUTO_FINAL_MODEL = "auto"
#: Order of simplicity used to break ties (lower = simpler).
MODEL_COMPLEXITY = {"logistic": 0, "xgboost": 1, "stacked": 2}
#: Binary model kinds cross-validated when a config names none (a stack is asked for by name).
DEFAULT_MODELS = ("logistic", "xgboost")

_KEYS = {"name", "description", "label", "outcome", "decision_point", "cohort", "population", "features",
         "models", "baselines", "validation", "tuning", "threshold", "bands", "band_names", "final_model"}
_COHORT_KEYS = {"simulate", "path", "cohort_config"}
_VALIDATION_DEFAULTS = {"outer_folds": 5, "repeats": 2, "inner_folds": 3, "seed": 0}


@dataclass(frozen=True)
class TargetConfig:
    """A resolved, checked target configuration (see module docstring).

    ``label`` is the built-in label name or ``column:<name>`` for an outcome
    column; ``outcome`` holds its full definition (name, definition, horizon).
    """

    name: str
    label: str
    decision_point: str
    features: tuple[str, ...]
    cohort: dict[str, Any]
    description: str = ""
    population: dict[str, Any] = field(default_factory=dict)
    models: tuple[str, ...] = DEFAULT_MODELS
    baselines: tuple[str, ...] = ()
    validation: dict[str, int] = field(default_factory=lambda: dict(_VALIDATION_DEFAULTS))
    tuning: dict[str, Any] = field(default_factory=lambda: {"trials": 10})
    threshold: float = 0.1
    bands: tuple[float, ...] = (0.05, 0.15)
    band_names: tuple[str, ...] = ("low", "intermediate", "high")
    final_model: str = AUTO_FINAL_MODEL
    source: str = ""
    outcome: OutcomeSpec | None = None  # or a labels.time_to_event.TimeToEventSpec
    population_rules: tuple[PopulationRule, ...] | None = None
    #: the cohort's schema (contract + the cohort config's extra columns), when known
    schema: Contract | None = None

    def __post_init__(self):
        # Configs built in code (tests, notebooks) get the same outcome and rules as loaded ones.
        if self.outcome is None:
            object.__setattr__(self, "outcome", parse_outcome(self.label))
        if self.population_rules is None:
            object.__setattr__(self, "population_rules", tuple(parse_population(self.population)))

    def with_overrides(self, **changes) -> "TargetConfig":
        """Copy with some settings changed (e.g. fewer trials for a quick run)."""
        if "population" in changes and "population_rules" not in changes:
            changes["population_rules"] = None
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for logging the resolved config)."""
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()
               if k not in ("outcome", "population_rules", "schema")}
        out["outcome"] = outcome_metadata(self.outcome)
        return out


def outcome_metadata(spec) -> dict:
    """JSON-ready description of a binary or time-to-event outcome spec."""
    return spec.metadata() if hasattr(spec, "metadata") else spec.to_metadata()


def target_config_schema() -> dict:
    """JSON Schema of a target config (``rairpredict schema target``).

    Shipped as ``configs/schemas/target-config.schema.json`` (kept current by a
    test); a config whose first line is
    ``# yaml-language-server: $schema=../schemas/target-config.schema.json``
    is checked by editors as it is typed.
    """
    return {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID,
            "title": "rairpredict target config", **TARGET_SCHEMA}


SCHEMA_ID = "https://rairpredict.invalid/schemas/target-config.schema.json"
#: JSON Schema of a target config file (``rairpredict schema target``).
TARGET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "decision_point", "features", "cohort"],
    "oneOf": [{"required": ["label"]}, {"required": ["outcome"]}],
    "properties": {
        "name": {"type": "string", "minLength": 1, "description": "Target name (MLflow experiment, model file)."},
        "description": {"type": "string"},
        "label": {"description": "A built-in label (shorthand for outcome: {label: ...}).",
                  "oneOf": [{"enum": sorted(LABEL_INPUTS)}, OUTCOME_SCHEMA]},
        "outcome": OUTCOME_SCHEMA,
        "decision_point": {"enum": list(load_contract().stages)},
        "cohort": {"type": "object", "additionalProperties": False, "properties": {
            "simulate": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1},
                                                          "seed": {"type": "integer"},
                                                          "profile": {"type": "string"}}},
            "path": {"type": "string", "description": "Cohort file, relative to this config file."},
            "cohort_config": {"type": "string", "description": "Cohort config, relative to this config file."}},
            "anyOf": [{"required": ["simulate"]}, {"required": ["path"]}, {"required": ["cohort_config"]}]},
        "population": POPULATION_SCHEMA,
        "features": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "models": {"type": "array", "items": {"enum": [*MODEL_KINDS, *SURVIVAL_KINDS]}, "minItems": 1,
                   "description": "binary outcomes: logistic, xgboost, stacked (both combined on the log-odds, "
                                  "weights learned on inner folds); time_to_event: cox, xgboost_cox"},
        "baselines": {"type": "array", "items": {"type": "string"}},
        "validation": {"type": "object", "additionalProperties": False, "properties": {
            k: {"type": "integer", "minimum": 0 if k == "seed" else 1} for k in _VALIDATION_DEFAULTS}},
        "tuning": {"type": "object", "properties": {"trials": {"type": "integer", "minimum": 0}}},
        "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "bands": {"type": "array", "items": {"type": "number"}},
        "band_names": {"type": "array", "items": {"type": "string"}},
        "final_model": {"enum": [AUTO_FINAL_MODEL, *MODEL_KINDS, *SURVIVAL_KINDS],
                        "description": "auto: highest nested-CV AUROC, the simpler model when not "
                                       "significantly worse (DeLong p >= 0.05)."},
    },
}


def _cohort_schema(cohort: dict) -> tuple[Contract | None, Exception | None]:
    """(the cohort's schema (contract + extra columns) when knowable before import, else ``None``; the error)."""
    if "cohort_config" not in cohort:
        return load_contract(), None
    try:
        from rairpredict.cohort.config import load_cohort_config

        return load_cohort_config(cohort["cohort_config"]).schema, None
    except (RairpredictError, OSError) as exc:
        return None, exc  # reported, with its own message, when the cohort is imported


def _fail(doc: YamlDoc, keys: tuple, rule: str, error=ConfigError):
    """``file, line N: key 'a.b': rule`` (one line)."""
    dotted = ".".join(str(k) for k in keys)
    raise error(f"{doc.where(*keys)}: key {dotted!r}: {rule}" if keys else f"{doc.where()}: {rule}")


def load_target_config(path) -> TargetConfig:
    """Read and check a target config; raises :class:`ConfigError` / :class:`LeakageError`."""
    path = Path(path)
    doc: YamlDoc = load_yaml(path)
    raw = doc.data
    if not isinstance(raw, dict):
        _fail(doc, (), "expected a mapping at the top level")
    unknown = sorted(set(map(str, raw)) - _KEYS)
    if unknown:
        _fail(doc, (unknown[0],), f"unknown key; allowed: {sorted(_KEYS)}{did_you_mean(unknown[0], _KEYS)}")
    for key in ("name", "decision_point", "features", "cohort"):
        if key not in raw:
            _fail(doc, (), f"missing required key {key!r}")
    if "label" in raw and "outcome" in raw:
        _fail(doc, ("outcome",), "give either 'label' (a built-in label) or 'outcome', not both")
    if "label" not in raw and "outcome" not in raw:
        _fail(doc, (), "missing required key 'outcome' (or 'label' for a built-in label)")
    okey = "outcome" if "outcome" in raw else "label"
    outcome = parse_outcome(raw[okey], where=doc.where(okey), key=okey,
                            where_of=lambda sub: doc.where(okey, sub))
    timed = getattr(outcome, "type", "binary") == "time_to_event"
    kinds = SURVIVAL_KINDS if timed else MODEL_KINDS  # a censored outcome needs a survival model, and vice versa
    models = tuple(raw.get("models") or (SURVIVAL_KINDS if timed else DEFAULT_MODELS))
    for i, m in enumerate(models):
        if m not in kinds:
            known = m in (*MODEL_KINDS, *SURVIVAL_KINDS)
            _fail(doc, ("models", i), (f"model {m!r} does not fit a {'time_to_event' if timed else 'binary'} "
                                       "outcome" if known else f"unknown model {m!r}") +
                  f"; use one of {list(kinds)}" + ("" if known else did_you_mean(str(m), kinds)))
    final_model = str(raw.get("final_model", AUTO_FINAL_MODEL))
    if final_model != AUTO_FINAL_MODEL and final_model not in models:
        _fail(doc, ("final_model",), f"{final_model!r} is not one of the config's models {list(models)} "
                                     f"or {AUTO_FINAL_MODEL!r}")
    features = tuple(raw["features"] or ())
    if not features:
        _fail(doc, ("features",), "empty list")
    restating = sorted(set(features) & set(outcome.source_columns))
    if restating:
        _fail(doc, ("features", features.index(restating[0])),
              f"feature(s) {restating} are what the outcome {outcome.name!r} is computed from and would "
              "restate the outcome", error=LeakageError)
    if not isinstance(raw["cohort"], dict):
        _fail(doc, ("cohort",), "expected {simulate: {...}} or {path: ..., cohort_config: ...}")
    cohort = dict(raw["cohort"])
    bad = sorted(set(map(str, cohort)) - _COHORT_KEYS)
    if bad:
        _fail(doc, ("cohort", bad[0]), f"unknown key; allowed: {sorted(_COHORT_KEYS)}"
                                       f"{did_you_mean(bad[0], _COHORT_KEYS)}")
    # Relative paths are relative to this config file, wherever the command runs.
    for key in ("path", "cohort_config"):
        if key in cohort and not Path(cohort[key]).expanduser().is_absolute():
            cohort[key] = str((path.resolve().parent / Path(cohort[key]).expanduser()).resolve())
    schema, cohort_error = _cohort_schema(cohort)
    try:
        # extra columns of the cohort config are checked against their declared stages
        check_leakage(list(features), raw["decision_point"], contract=schema)
    except (LeakageError, ConfigError) as exc:
        if cohort_error is not None and "not a contract field" in str(exc):
            # the feature is most likely an extra column of a cohort config that could not be read: say why
            raise ConfigError(f"{cohort_error} (needed to check the features of {doc.where('features')})") from None
        raise type(exc)(f"{doc.where('features')}: {exc}") from None
    except ValueError as exc:
        _fail(doc, ("decision_point",), str(exc))
    validation = dict(_VALIDATION_DEFAULTS, **(raw.get("validation") or {}))
    bands = tuple(float(b) for b in raw.get("bands", (0.05, 0.15)))
    band_names = tuple(raw.get("band_names") or (("low", "intermediate", "high") if len(bands) == 2
                                                   else [f"band_{i}" for i in range(len(bands) + 1)]))
    if list(bands) != sorted(bands) or len(band_names) != len(bands) + 1:
        _fail(doc, ("bands",), "cut-offs must ascend and band_names must have one more entry")
    rules = parse_population(raw.get("population"), known_columns=schema.names if schema is not None else None,
                             categories_of=lambda c: schema[c].categories if schema and c in schema else None,
                             where_of=lambda *keys: doc.where("population", *keys))
    label = getattr(outcome, "key", None) or f"{outcome.type}:{outcome.label or outcome.name}"
    return TargetConfig(
        name=str(raw["name"]), label=label, decision_point=str(raw["decision_point"]),
        features=features, cohort=cohort, description=str(raw.get("description", "")),
        population=dict(raw.get("population") or {}), models=models,
        baselines=tuple(raw.get("baselines") or ()), validation=validation,
        tuning=dict(raw.get("tuning") or {"trials": 10}), threshold=float(raw.get("threshold", 0.1)),
        bands=bands, band_names=band_names, final_model=final_model, source=str(path),
        outcome=outcome, population_rules=tuple(rules), schema=schema,
    )
