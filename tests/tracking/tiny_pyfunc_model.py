"""A tiny pyfunc model for the tracking tests (importable module; shipped via code_paths)."""
import mlflow.pyfunc
import pandas as pd


class ThresholdModel(mlflow.pyfunc.PythonModel):
    """risk = 1 if x > threshold else 0 (a fixed, inspectable rule)."""

    def __init__(self, threshold: float = 0.5):
        self.threshold = threshold

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        return pd.DataFrame({"risk": (model_input["x"] > self.threshold).astype(float)})
