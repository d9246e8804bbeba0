"""Forms of the customer pages: one row per phone number and e-mail address, each checked on its own
so its error shows next to it; the services check everything again and decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from callcenter.phones import InvalidPhoneNumberError, phone_normalize
from tickets.services.customers import MAX_CONTACT_POINTS

_ROW = re.compile(r"^(phone|email)_(\d+)$")


class TelInput(forms.TextInput):
    input_type = "tel"


class PhoneField(forms.CharField):
    """A phone number as typed; cleaned to E.164 (national numbers read in the call center's country)."""

    widget = TelInput

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if not value:
            return ""
        try:
            return phone_normalize(value)
        except InvalidPhoneNumberError as error:
            raise forms.ValidationError(error.message) from None


class CustomerForm(forms.Form):
    """Name, company, notes, tags (comma-separated) and consent, plus rows `phone_N`/`phone_label_N`
    and `email_N`/`email_label_N`: the rows posted (or given as `phones`/`emails`) and `blank_rows`
    empty ones to add to. `versioned` adds the hidden version an update names."""

    name = forms.CharField(
        label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    tags = forms.CharField(
        label=_("Tags"), required=False, help_text=_("Separate with commas, e.g. vip, reseller.")
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    consent_calls = forms.BooleanField(label=_("May be called"), required=False)
    consent_email = forms.BooleanField(label=_("May be e-mailed"), required=False)
    consent_sms = forms.BooleanField(label=_("May receive SMS"), required=False)
    consent_recording = forms.BooleanField(label=_("Calls may be recorded"), required=False)

    CONSENT = ("consent_calls", "consent_email", "consent_sms", "consent_recording")

    def __init__(
        self,
        data: Any = None,
        *,
        phones: list[tuple[str, str]] = (),  # type: ignore[assignment]
        emails: list[tuple[str, str]] = (),  # type: ignore[assignment]
        blank_rows: int = 1,
        versioned: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        if versioned:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)
        counts = {"phone": len(phones), "email": len(emails)}
        if data is not None:
            # The rows posted up to the last one filled in; blank ones after it are not kept.
            counts = {"phone": 0, "email": 0}
            for key in data:
                match = _ROW.match(key)
                if match and (data.get(key) or data.get(f"{match.group(1)}_label_{match.group(2)}")):
                    kind, index = match.group(1), int(match.group(2))
                    counts[kind] = max(counts[kind], min(index + 1, MAX_CONTACT_POINTS))
        given = {"phone": list(phones), "email": list(emails)}
        self.rows: dict[str, list[tuple[str, str]]] = {"phone": [], "email": []}
        for kind in ("phone", "email"):
            for index in range(counts[kind] + blank_rows):
                value_name, label_name = f"{kind}_{index}", f"{kind}_label_{index}"
                if kind == "phone":
                    self.fields[value_name] = PhoneField(label=_("Phone"), required=False, max_length=40)
                else:
                    self.fields[value_name] = forms.EmailField(label=_("E-mail"), required=False)
                self.fields[label_name] = forms.CharField(
                    label=_("Label"),
                    required=False,
                    max_length=20,
                    widget=forms.TextInput(attrs={"placeholder": _("label"), "size": 10}),
                )
                if index < len(given[kind]):
                    self.initial.setdefault(value_name, given[kind][index][0])
                    self.initial.setdefault(label_name, given[kind][index][1])
                self.rows[kind].append((value_name, label_name))

    @property
    def phone_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[value], self[label]) for value, label in self.rows["phone"]]

    @property
    def email_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[value], self[label]) for value, label in self.rows["email"]]

    def service_kwargs(self) -> dict[str, Any]:
        """The cleaned form as keyword arguments of customer_create / customer_update."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {name: data[name] for name in ("name", "company", "notes", *self.CONSENT)}
        kwargs["tags"] = [tag for tag in (part.strip() for part in data["tags"].split(",")) if tag]
        kwargs["phones"] = [
            {"number": data[value], "label": data[label]}
            for value, label in self.rows["phone"]
            if data[value]
        ]
        kwargs["emails"] = [
            {"email": data[value], "label": data[label]} for value, label in self.rows["email"] if data[value]
        ]
        return kwargs

    @classmethod
    def for_customer(cls, customer: Any, data: Any = None, **kwargs: Any) -> CustomerForm:
        """The edit form of `customer` (read with customer_get), or its posted version."""
        initial = {
            "name": customer.name,
            "company": customer.company,
            "notes": customer.notes,
            "tags": ", ".join(customer.tag_names),
            "version": customer.version,
            **{name: getattr(customer, name) for name in cls.CONSENT},
        }
        return cls(
            data,
            phones=list(customer.phone_list),
            emails=list(customer.email_list),
            initial=initial,
            versioned=True,
            **kwargs,
        )
