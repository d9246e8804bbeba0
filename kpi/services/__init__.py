"""Writes of kpi: rollups (rollups.py), the daily e-mail report (reports.py), settings (settings.py)."""
