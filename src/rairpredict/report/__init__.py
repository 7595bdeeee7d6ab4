"""Clinician risk review (self-contained HTML) and model card.

Examples
--------
>>> from rairpredict.report import render_review, write_review, render_model_card  # doctest: +SKIP
>>> write_review("review.html", scores, model)  # doctest: +SKIP
"""
from rairpredict.report._card import (card_sections, fetch_mlflow_run, log_model_card, render_model_card,
                                      render_model_card_html, write_model_card)
from rairpredict.report._payload import field_label, review_payload
from rairpredict.report._review import json_for_html, render_review, write_review

__all__ = ["render_review", "write_review", "review_payload", "json_for_html", "field_label",
           "render_model_card", "render_model_card_html", "write_model_card", "log_model_card",
           "card_sections", "fetch_mlflow_run"]
