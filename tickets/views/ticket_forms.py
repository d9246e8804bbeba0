"""Forms of the ticket pages: they check the shape of input; the services check the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from agents.models import Team
from tickets.models import Category, Channel, Customer, Priority, Status
from tickets.selectors.tickets import ticket_workers
from tickets.services.tickets import BULK_ACTIONS


class _TicketFieldsMixin:
    """Choices that come from the database, loaded when a form is built (not at import)."""

    def _load_choices(self) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        fields["category"].queryset = Category.objects.all()
        fields["team"].queryset = Team.objects.all()
        fields["assignee"].queryset = ticket_workers()
        fields["assignee"].label_from_instance = lambda user: user.get_full_name() or user.get_username()


class TicketCreateForm(_TicketFieldsMixin, forms.Form):
    subject = forms.CharField(
        label=_("Subject"), max_length=200, widget=forms.TextInput(attrs={"autofocus": True})
    )
    customer = forms.IntegerField(
        label=_("Customer number"), required=False, help_text=_("From the customer's card; empty if unknown.")
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=Team.objects.none(), required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    call_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=128)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_choices()

    def clean_customer(self) -> Customer | None:
        pk = self.cleaned_data.get("customer")
        if pk is None:
            return None
        customer = Customer.objects.filter(pk=pk).first()
        if customer is None:
            raise forms.ValidationError(_("No customer with this number."))
        return customer


class TicketUpdateForm(_TicketFieldsMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=Team.objects.none(), required=False)

    CHANGE_FIELDS = ("subject", "status", "priority", "channel", "category", "team", "assignee")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._load_choices()

    @classmethod
    def initial_for(cls, ticket: Any) -> dict[str, Any]:
        initial = {name: getattr(ticket, name) for name in cls.CHANGE_FIELDS}
        initial["version"] = ticket.version
        return initial


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}))
    internal = forms.TypedChoiceField(
        label=_("Kind"),
        choices=[("1", _("Internal note (staff only)")), ("0", _("Reply to the customer"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Merge this ticket into"), max_length=20, help_text=_("A ticket number, e.g. T-123.")
    )
    allow_other_customer = forms.BooleanField(
        label=_("The tickets have different customers: merge anyway"), required=False
    )

    def clean_into(self) -> int:
        text = self.cleaned_data["into"].strip()
        number = text[2:] if text[:2].upper() == "T-" else text
        if not number.isdigit():
            raise forms.ValidationError(_("Enter a ticket number such as T-123."))
        return int(number)


class BulkForm(forms.Form):
    """The selected ticket ids and one change written "action:value" (e.g. "status:resolved")."""

    ids = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    change = forms.CharField(max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any id is acceptable here; the service decides which ones the user may change.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]
        self.fields["ids"].error_messages["required"] = _("Select at least one ticket.")
        self.fields["change"].error_messages["required"] = _("Choose what to change.")

    def clean_change(self) -> tuple[str, str]:
        action, _sep, value = self.cleaned_data["change"].partition(":")
        if action not in BULK_ACTIONS:
            raise forms.ValidationError(_("Choose what to change."))
        return action, value
