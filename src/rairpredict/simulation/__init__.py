"""simulation: a synthetic cohort from a documented causal model, with exact oracle probabilities.

The simulator is one producer of canonical tables among others: it writes the
data contract's columns (plus ``oracle_p_*`` truth columns) and imports the
contract, derivation and validation from :mod:`rairpredict.cohort` like any
importer would. Nothing in :mod:`rairpredict.cohort` imports it.
"""
from rairpredict.simulation.simulate import simulate_cohort

__all__ = ["simulate_cohort"]
