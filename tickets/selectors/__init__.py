"""Reads of the CRM and ticketing app, one module per area."""
