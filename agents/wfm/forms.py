"""Forms of the workforce pages: they check the shape of input; the services check the rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agents.models import ActivityKind, ShiftTemplate, Team, TimeOffKind
from agents.wfm.clock import local_moment
from agents.wfm.staffing import MODELS

WEEKDAY_CHOICES = [
    (0, _("Mon")),
    (1, _("Tue")),
    (2, _("Wed")),
    (3, _("Thu")),
    (4, _("Fri")),
    (5, _("Sat")),
    (6, _("Sun")),
]
BREAK_ROWS = 3
BREAK_KIND_CHOICES = [
    ("", "—"),
    (ActivityKind.BREAK.value, _("Break")),
    (ActivityKind.LUNCH.value, _("Lunch")),
]


class ShiftTemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    start_time = forms.TimeField(
        label=_("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    length_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=15, max_value=16 * 60, help_text=_("8 h 30 min is 510.")
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Used on"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For schedule generation; none ticked means every day."),
    )
    color = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#1f5fbf",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, BREAK_ROWS + 1):
            self.fields[f"break{n}_kind"] = forms.ChoiceField(
                label=_("Break %(n)d") % {"n": n}, choices=BREAK_KIND_CHOICES, required=False
            )
            self.fields[f"break{n}_offset"] = forms.IntegerField(
                label=_("starts after (min)"), min_value=0, max_value=16 * 60, required=False
            )
            self.fields[f"break{n}_minutes"] = forms.IntegerField(
                label=_("lasts (min)"), min_value=5, max_value=120, required=False
            )

    def break_rows(self) -> list[list[Any]]:
        return [
            [self[f"break{n}_kind"], self[f"break{n}_offset"], self[f"break{n}_minutes"]]
            for n in range(1, BREAK_ROWS + 1)
        ]

    def main_fields(self) -> list[Any]:
        return [
            self[name] for name in ("name", "start_time", "length_minutes", "weekdays", "color", "active")
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        breaks = []
        for n in range(1, BREAK_ROWS + 1):
            kind = cleaned.get(f"break{n}_kind")
            offset, minutes = cleaned.get(f"break{n}_offset"), cleaned.get(f"break{n}_minutes")
            if not kind:
                continue
            if offset is None or minutes is None:
                self.add_error(f"break{n}_kind", _("Say when the break starts and how long it lasts."))
                continue
            breaks.append({"kind": kind, "offset_minutes": offset, "minutes": minutes})
        cleaned["breaks"] = breaks
        return cleaned

    @staticmethod
    def initial_for(template: ShiftTemplate) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "name": template.name,
            "start_time": template.start_time,
            "length_minutes": template.length_minutes,
            "weekdays": template.weekdays,
            "color": template.color,
            "active": template.active,
        }
        for n, item in enumerate(template.breaks[:BREAK_ROWS], start=1):
            initial[f"break{n}_kind"] = item["kind"]
            initial[f"break{n}_offset"] = item["offset_minutes"]
            initial[f"break{n}_minutes"] = item["minutes"]
        return initial


class WeekForm(forms.Form):
    week = forms.DateField(label=_("Week of"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("All agents")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.order_by("name")


class TimeOffForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TimeOffKind.choices)
    first_day = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("Until (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    from_time = forms.TimeField(
        label=_("From time"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Empty: whole days."),
    )
    until_time = forms.TimeField(
        label=_("Until time"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        first, last = cleaned.get("first_day"), cleaned.get("last_day")
        if first and last:
            start_time = cleaned.get("from_time") or time(0, 0)
            if cleaned.get("until_time"):
                end = local_moment(last, cleaned["until_time"])
            else:
                end = local_moment(last + timedelta(days=1), time(0, 0))
            cleaned["starts_at"] = local_moment(first, start_time)
            cleaned["ends_at"] = end
            if end <= cleaned["starts_at"]:
                self.add_error("last_day", _("The end must come after the start."))
        return cleaned


class StaffingForm(forms.Form):
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=None, required=False, empty_label=_("All queues")
    )
    day = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    interval = forms.TypedChoiceField(
        label=_("Interval"),
        choices=[(15, _("15 min")), (30, _("30 min"))],
        coerce=int,
        initial=30,
        required=False,
    )
    shrinkage = forms.FloatField(
        label=_("Shrinkage (%)"),
        min_value=0,
        max_value=90,
        initial=15,
        required=False,
        help_text=_("Time scheduled but off the phones beyond breaks: absence, meetings, coaching."),
    )
    model = forms.ChoiceField(
        label=_("Model"),
        choices=[
            ("auto", _("Automatic")),
            ("erlang_c", _("Erlang C")),
            ("erlang_a", _("Erlang A (callers abandon)")),
        ],
        initial="auto",
        required=False,
    )
    patience = forms.FloatField(
        label=_("Caller patience (s)"),
        min_value=1,
        max_value=3600,
        required=False,
        help_text=_("Erlang A; empty: from the history."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from telephony.models import Queue

        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.order_by("name")

    def values(self, today: date) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        model = data.get("model") or "auto"
        return {
            "queue": data.get("queue"),
            "day": data.get("day") or today + timedelta(days=1),
            "interval_minutes": data.get("interval") or 30,
            "shrinkage": (data.get("shrinkage") if data.get("shrinkage") is not None else 15) / 100,
            "model": model if model in MODELS else "auto",
            "patience_s": data.get("patience"),
        }


class GenerateForm(forms.Form):
    week = forms.DateField(label=_("Week of"), widget=forms.DateInput(attrs={"type": "date"}))
    queue = forms.ModelChoiceField(
        label=_("Queue"), queryset=None, required=False, empty_label=_("All queues")
    )
    shrinkage = forms.FloatField(label=_("Shrinkage (%)"), min_value=0, max_value=90, initial=15)
    templates = forms.ModelMultipleChoiceField(
        label=_("Shift templates to use"),
        queryset=ShiftTemplate.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from telephony.models import Queue

        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.order_by("name")
        self.fields["templates"].queryset = ShiftTemplate.objects.filter(active=True).order_by(
            "start_time", "name"
        )


def parse_day(text: str | None, default: date) -> date:
    try:
        return date.fromisoformat(text) if text else default
    except ValueError:
        return default


def moment_label(moment: datetime) -> str:
    return moment.strftime("%H:%M")
