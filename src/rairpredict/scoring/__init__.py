"""Batch scoring and serving of a fitted RiskModel.

* :func:`score_frame`: score a canonical table in memory (calibrated
  probability, risk band, missing/implausible input flags, exact top-K reasons).
* :func:`score_file`: stream a CSV/Parquet cohort file in chunks into an
  atomically written Parquet/CSV output, rejects beside it, rows accounted.
* :func:`load_model_ref`: ``models:/name@alias``, ``runs:/...``, a path, or the
  default export.
* :mod:`rairpredict.scoring.pyfunc`: the MLflow pyfunc (REST serving, Spark UDF).

Examples
--------
>>> from rairpredict.scoring import score_file                     # doctest: +SKIP
>>> s = score_file("models:/rair@champion", "cohort.parquet", "scores.parquet", explain=3)  # doctest: +SKIP
rows in = 1000, scored = 998, rejected = 2
"""
from rairpredict.scoring._file import ScoreSummary, rejects_path, score_file
from rairpredict.scoring._frame import (INPUT_PREFIX, MISSING_TEXT, REASON_FIELDS, SCORE_COLUMNS,
                                        field_contributions, reason_fields, score_frame)
from rairpredict.scoring._refs import DEFAULT_MODEL, load_model_ref

__all__ = ["score_frame", "field_contributions", "score_file", "ScoreSummary", "rejects_path",
           "load_model_ref", "DEFAULT_MODEL", "SCORE_COLUMNS", "REASON_FIELDS", "reason_fields", "INPUT_PREFIX",
           "MISSING_TEXT"]
