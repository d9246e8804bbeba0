"""Workforce management: shift templates and schedules (shifts), time off, forecast and staffing,
schedule generation and adherence. Times are aware UTC in the database; days are the center's
local days (settings.TIME_ZONE)."""
