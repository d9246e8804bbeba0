"""Writes of the CRM and ticketing app, one module per area (customers, tickets, sla, calls)."""
