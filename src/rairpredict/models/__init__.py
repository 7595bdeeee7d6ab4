"""models."""

from rairpredict.models.published_scores import PUBLISHED_SCORES, LiRairScore, LiuRairScore  # noqa: E402

__all__ = ["LiRairScore", "LiuRairScore", "PUBLISHED_SCORES"]
