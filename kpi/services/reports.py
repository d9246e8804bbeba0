"""The daily KPI report e-mailed to managers who subscribed, and the subscriptions themselves."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from kpi.definitions import KPIS
from kpi.exports import kpi_text, rows_table
from kpi.models import DailyReportRun, ReportSubscription
from kpi.periods import local_day
from kpi.selectors import ReportQuery, kpi_report

logger = logging.getLogger(__name__)
REPORT_PERMISSION = "callcenter.view_reports"


@transaction.atomic
def report_subscription_set(*, user: AbstractBaseUser, daily_email: bool) -> ReportSubscription:
    """Subscribe the user to (or unsubscribe them from) the daily e-mail report."""
    subscription, _created = ReportSubscription.objects.update_or_create(
        user=user, defaults={"daily_email": daily_email}
    )
    return subscription


def daily_report_recipients() -> list[str]:
    """E-mail addresses of active, subscribed users who may still see reports."""
    users = (
        get_user_model().objects.filter(kpi_subscription__daily_email=True, is_active=True).exclude(email="")
    )
    return sorted({user.email for user in users if user.has_perm(REPORT_PERMISSION)})


def daily_report_message(*, day: date, recipients: list[str]) -> EmailMultiAlternatives:
    """The report of one local day: every queue and the total, as text and HTML."""
    by_queue = kpi_report(ReportQuery(first_day=day, last_day=day, by="queue"))
    (total,) = kpi_report(ReportQuery(first_day=day, last_day=day))
    subject = _("Call center KPIs for %(day)s") % {"day": day.isoformat()}
    shown = [kpi for kpi in KPIS if kpi.key not in ("adherence",)]
    rows = [
        {"name": row.key["queue"], "values": [kpi_text(kpi.key, row.kpis[kpi.key]) for kpi in shown]}
        for row in by_queue
    ]
    rows.append(
        {"name": _("All queues"), "values": [kpi_text(kpi.key, total.kpis[kpi.key]) for kpi in shown]}
    )
    html = render_to_string("kpi/email/daily_report.html", {"day": day, "kpis": shown, "rows": rows})
    parts = [subject, ""]
    if by_queue:
        parts += [rows_table(by_queue, "queue"), ""]
    parts += [str(_("All queues")), rows_table([total], "total")]
    text = "\n".join(parts)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, recipients)
    message.attach_alternative(html, "text/html")
    return message


def daily_report_send(*, day: date, now: datetime | None = None) -> int:
    """Send `day`'s report once (claimed, so two workers never both send it); returns recipients.

    A failed send releases the claim so the next hourly run tries again.
    """
    now = now or timezone.now()
    _run, claimed = DailyReportRun.objects.get_or_create(day=day, defaults={"claimed_at": now})
    if not claimed:
        return 0
    recipients = daily_report_recipients()
    try:
        if recipients:
            daily_report_message(day=day, recipients=recipients).send()
    except OSError:
        DailyReportRun.objects.filter(day=day, sent_at__isnull=True).delete()
        logger.warning("daily KPI report for %s not sent: mail server unreachable; retrying next hour", day)
        raise
    DailyReportRun.objects.filter(day=day).update(sent_at=timezone.now(), recipients=len(recipients))
    return len(recipients)


def daily_report_send_due(*, now: datetime | None = None) -> dict[str, Any]:
    """Yesterday's report (local calendar), if not sent yet."""
    now = now or timezone.now()
    yesterday = local_day(now) - timedelta(days=1)
    try:
        sent = daily_report_send(day=yesterday, now=now)
    except OSError:
        return {"day": yesterday.isoformat(), "sent": 0, "error": "mail server unreachable"}
    return {"day": yesterday.isoformat(), "sent": sent}
