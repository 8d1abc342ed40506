"""The bottom layer: errors, argument validation, seeding and small numeric helpers that every other
layer may use. It imports nothing else from mlbasics."""
