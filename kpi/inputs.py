"""Everything kpi reads from other apps, in one place: QA scores (qa), contacts for FCR (tickets),
teams and display names (agents). Read-only; nothing else in kpi touches those apps' tables.

`qa_scores_for_calls` is the one seam for the QA app; the QA app marks the intervals of a call
stale (`rollup_calls_changed`) when one of its evaluations is submitted or rescored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

CHUNK = 5000


def qa_scores_for_calls(*, call_ids: Collection[int] | QuerySet) -> dict[int, tuple[float, int]]:
    """Per `telephony.Call` pk: (sum of the scores in percent 0-100, number of evaluations) of the
    call's submitted (final) QA evaluations; calls without one are left out.

    `call_ids` is a queryset of Call pks (used as a subquery) or a list.
    """
    from qa.selectors import evaluation_score_totals

    if isinstance(call_ids, QuerySet):
        return evaluation_score_totals(call_ids=call_ids)
    found: dict[int, tuple[float, int]] = {}
    ids = sorted(set(call_ids))
    for start in range(0, len(ids), CHUNK):
        found.update(evaluation_score_totals(call_ids=ids[start : start + CHUNK]))
    return found


@dataclass(frozen=True)
class Contact:
    """A logged contact of a customer: a call with its wrap-up (ticket and its category, if any)."""

    call_id: str
    customer_id: int
    ticket_id: int | None
    category_id: int | None
    at: datetime


def _contacts(rows: Iterable[tuple]) -> list[Contact]:
    return [Contact(*row) for row in rows]


_CONTACT_FIELDS = ("call_id", "customer_id", "ticket_id", "ticket__category_id", "created_at")


def contacts_for_calls(*, call_ids: Sequence[str] | QuerySet) -> list[Contact]:
    """The wrap-up logs (with a customer) of these calls (call ids, or a queryset of them used as a
    subquery); a call logged by two agents has two."""
    from tickets.models import CallLog

    logged = CallLog.objects.filter(customer__isnull=False)
    if isinstance(call_ids, QuerySet):
        return _contacts(logged.filter(call_id__in=call_ids).values_list(*_CONTACT_FIELDS))
    found: list[Contact] = []
    ids = sorted(set(call_ids))
    for start in range(0, len(ids), CHUNK):
        found += _contacts(
            logged.filter(call_id__in=ids[start : start + CHUNK]).values_list(*_CONTACT_FIELDS)
        )
    return found


def contacts_of_customers(*, customer_ids: Collection[int], start: datetime, end: datetime) -> list[Contact]:
    """Every logged contact of these customers in [start, end]."""
    from tickets.models import CallLog

    found: list[Contact] = []
    ids = sorted(set(customer_ids))
    for offset in range(0, len(ids), CHUNK):
        rows = CallLog.objects.filter(
            customer_id__in=ids[offset : offset + CHUNK], created_at__gte=start, created_at__lte=end
        )
        found += _contacts(rows.values_list(*_CONTACT_FIELDS))
    return found


def team_choices() -> list[tuple[int, str]]:
    from agents.models import Team

    return list(Team.objects.order_by("name").values_list("id", "name"))


def team_agent_codes(team_ids: Collection[int] | None = None) -> dict[int, set[str]]:
    """Agent codes of each team's members (their profile's code, else their username)."""
    from agents.models import AgentProfile, Team

    memberships = Team.members.through.objects.all()
    if team_ids is not None:
        memberships = memberships.filter(team_id__in=team_ids)
    pairs = list(memberships.values_list("team_id", "user_id"))
    users = {user_id for _team, user_id in pairs}
    codes = dict(AgentProfile.objects.filter(user_id__in=users).values_list("user_id", "code"))
    names = dict(get_user_model().objects.filter(id__in=users).values_list("id", "username"))
    teams: dict[int, set[str]] = defaultdict(set)
    for team_id, user_id in pairs:
        teams[team_id].add(codes.get(user_id) or names[user_id])
    return teams


def agent_names(codes: Collection[str]) -> dict[str, str]:
    """Display names for agent codes (full name, else username); unknown codes are left out."""
    from agents.selectors import agent_users_by_code

    users = agent_users_by_code(codes)
    if not users:
        return {}
    people = {
        row[0]: (f"{row[1]} {row[2]}".strip() or row[3])
        for row in get_user_model()
        .objects.filter(id__in=users.values())
        .values_list("id", "first_name", "last_name", "username")
    }
    return {code: people[user_id] for code, user_id in users.items() if user_id in people}


def agent_code_of(user) -> str:
    """The user's code at the PBX (their profile's, else their username)."""
    from agents.desktop import agent_code_for

    return agent_code_for(user)


def known_agent_codes() -> list[str]:
    """Every agent code the feed has named (presence is kept per code)."""
    from agents.models import PresenceCursor

    return list(PresenceCursor.objects.values_list("agent_code", flat=True))


def contacts_created_between(*, start: datetime, end: datetime) -> list[Contact]:
    """Contacts logged in [start, end) (the nightly FCR re-check)."""
    from tickets.models import CallLog

    rows = CallLog.objects.filter(customer__isnull=False, created_at__gte=start, created_at__lt=end)
    return _contacts(rows.values_list(*_CONTACT_FIELDS))
