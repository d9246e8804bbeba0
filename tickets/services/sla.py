"""SLA clocks of tickets: due times in business time, pause while pending, warning/breach scan."""

from __future__ import annotations

from datetime import datetime

from tickets.models import Ticket


def sla_ticket_sync(*, ticket: Ticket, previous_status: str | None, now: datetime) -> list[str]:
    """Bring `ticket`'s SLA fields in line with its current status, priority and category.

    Called by the ticket services after they change a ticket in memory and before they save it
    (`previous_status` is None on creation). Returns the names of the fields it changed.
    """
    return []
