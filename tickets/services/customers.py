"""Writes of the CRM: creating customers with normalised phone numbers and e-mails."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError
from callcenter.phones import InvalidPhoneNumberError, phone_normalize
from tickets.models import Customer, CustomerEmail, CustomerPhone, Tag


@transaction.atomic
def customer_create(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    phones: list[str] | tuple[str, ...] = (),
    emails: list[str] | tuple[str, ...] = (),
    company: str = "",
    tags: list[str] | tuple[str, ...] = (),
    notes: str = "",
) -> Customer:
    """Create a customer with their phones (E.164) and e-mails (lower-case).

    Raises ApplicationError listing every bad field at once; nothing is written then.
    """
    errors: dict[str, list[str]] = {}
    if not name.strip():
        errors["name"] = [_("Enter the customer's name.")]
    numbers: list[str] = []
    for raw in phones:
        try:
            number = phone_normalize(raw)
        except InvalidPhoneNumberError as error:
            errors.setdefault("phones", []).append(error.message)
            continue
        if number not in numbers:
            numbers.append(number)
    addresses: list[str] = []
    for raw in emails:
        address = raw.strip().lower()
        try:
            validate_email(address)
        except ValidationError:
            errors.setdefault("emails", []).append(
                _("“%(email)s” is not an e-mail address.") % {"email": raw}
            )
            continue
        if address not in addresses:
            addresses.append(address)
    if errors:
        raise ApplicationError(_("The customer has errors; see the marked fields."), fields=errors)
    customer = Customer.objects.create(name=name.strip(), company=company.strip(), notes=notes)
    CustomerPhone.objects.bulk_create([CustomerPhone(customer=customer, number=n) for n in numbers])
    CustomerEmail.objects.bulk_create([CustomerEmail(customer=customer, email=e) for e in addresses])
    for tag in {t.strip().lower() for t in tags if t.strip()}:
        customer.tags.add(Tag.objects.get_or_create(name=tag)[0])
    return customer
