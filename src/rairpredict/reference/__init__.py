"""Clinical constants and published figures, each written once with its citation.

Everything else in rairpredict imports from here; nothing here imports from the
rest of the package.
"""
