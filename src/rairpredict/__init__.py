"""rairpredict: clinical prediction for radioiodine therapy of differentiated thyroid cancer.

Data flows one way: raw cohort -> canonical table (:mod:`rairpredict.cohort`)
-> labels (:mod:`rairpredict.labels`) and features (:mod:`rairpredict.features`)
-> models (:mod:`rairpredict.models`) -> scores and explanations
(:mod:`rairpredict.scoring`, :mod:`rairpredict.explain`) -> report
(:mod:`rairpredict.report`).
"""
__version__ = "0.1.0"
