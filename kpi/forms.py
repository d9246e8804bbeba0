"""The reports filter: date range, queue / team / agent, grouping and thresholds, validated."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kpi import inputs
from kpi.definitions import HIST_MAX_S, SHORT_ABANDON_S, SL_THRESHOLD_S, Params
from kpi.selectors import MAX_DAYS, MAX_INTERVAL_DAYS, ReportQuery, default_range
from telephony.models import Queue

GROUP_CHOICES = [("interval", _("15 minutes")), ("day", _("Day")), ("week", _("Week"))]


class ReportForm(forms.Form):
    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    queue = forms.ChoiceField(label=_("Queue"), required=False)
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    agent = forms.ChoiceField(label=_("Agent"), required=False)
    group = forms.ChoiceField(label=_("Group by"), choices=GROUP_CHOICES, initial="day", required=False)
    sl_threshold = forms.IntegerField(
        label=_("Service level within (s)"),
        min_value=0,
        max_value=HIST_MAX_S,
        initial=SL_THRESHOLD_S,
        required=False,
    )
    short_abandon = forms.IntegerField(
        label=_("Short abandon under (s)"),
        min_value=0,
        max_value=HIST_MAX_S,
        initial=SHORT_ABANDON_S,
        required=False,
    )

    def __init__(self, data: Any = None, **kwargs: Any):
        first, last = default_range()
        if data is not None:
            # An empty filter means "the default": keep the form bound so errors can show.
            data = data.copy()
            for name, value in (
                ("first_day", first.isoformat()),
                ("last_day", last.isoformat()),
                ("group", "day"),
                ("sl_threshold", str(SL_THRESHOLD_S)),
                ("short_abandon", str(SHORT_ABANDON_S)),
            ):
                if not data.get(name):
                    data[name] = value
        super().__init__(data, **kwargs)
        self.fields["queue"].choices = [
            ("", _("All queues")),
            *((q.name, str(q)) for q in Queue.objects.order_by("name")),
        ]
        self.fields["team"].choices = [("", _("All teams")), *inputs.team_choices()]
        codes = inputs.known_agent_codes()
        names = inputs.agent_names(codes)
        self.fields["agent"].choices = [
            ("", _("All agents")),
            *sorted(((code, names.get(code, code)) for code in codes), key=lambda item: item[1].lower()),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first: date | None = cleaned.get("first_day")
        last: date | None = cleaned.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", _("The last day comes before the first."))
            elif (last - first).days >= MAX_DAYS:
                self.add_error("last_day", _("Report at most %(days)d days at a time.") % {"days": MAX_DAYS})
            elif cleaned.get("group") == "interval" and (last - first).days >= MAX_INTERVAL_DAYS:
                self.add_error(
                    "group",
                    _("15-minute intervals for at most %(days)d days; choose days or weeks.")
                    % {"days": MAX_INTERVAL_DAYS},
                )
        return cleaned

    def query(self, by: str | None = None) -> ReportQuery:
        """The report the valid form asks for, one row per `by` (default: its grouping)."""
        data = self.cleaned_data
        sl = data.get("sl_threshold")
        short = data.get("short_abandon")
        return ReportQuery(
            first_day=data["first_day"],
            last_day=data["last_day"],
            by=by or data.get("group") or "day",
            queue=data.get("queue") or None,
            team_id=data.get("team"),
            agent_code=data.get("agent") or None,
            params=Params(
                sl_threshold_s=SL_THRESHOLD_S if sl is None else sl,
                short_abandon_s=SHORT_ABANDON_S if short is None else short,
            ),
        )
