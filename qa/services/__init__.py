"""Writes of the QA app, one module per area: scorecards, evaluations, sampling, calibration,
coaching, QA leads and demo data."""
