"""Writes of the CRM: create and update customers with normalised phone numbers and e-mails.

Every write records a CustomerEvent (who, when, `changes` = {field: [before, after]}): the audit
trail of a customer, and what a lost update's conflict message names. Updates name the version they
read; a stale version loses with ConflictError instead of silently overwriting someone's change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from callcenter.formatting import format_datetime
from callcenter.phones import InvalidPhoneNumberError, phone_normalize
from tickets.models import Customer, CustomerEmail, CustomerEvent, CustomerPhone, Tag

# A phone or e-mail is a plain string, or {"number"/"email": ..., "label": ...}.
ContactPoint = str | Mapping[str, Any]

MAX_CONTACT_POINTS = 20
MAX_TAGS = 30
TEXT_LIMITS = {"name": 200, "company": 200}
CONSENT_FIELDS = ("consent_calls", "consent_email", "consent_sms", "consent_recording")


# --- validation ------------------------------------------------------------------------------------
def _split(item: ContactPoint, key: str) -> tuple[str, str | None]:
    """(value, label) of a contact point; label None when the caller did not give one."""
    if isinstance(item, Mapping):
        label = item.get("label")
        return str(item.get(key) or ""), None if label is None else str(label).strip()
    return str(item or ""), None


def _clean_phones(
    items: Sequence[ContactPoint], errors: dict[str, list[str]]
) -> list[tuple[str, str | None]]:
    """E.164 numbers with their labels, in the order given, without repeats or blanks."""
    cleaned: dict[str, str | None] = {}
    for item in items:
        raw, label = _split(item, "number")
        if not raw.strip():
            continue
        try:
            number = phone_normalize(raw)
        except InvalidPhoneNumberError as error:
            errors.setdefault("phones", []).append(error.message)
            continue
        if label is not None and len(label) > 20:
            errors.setdefault("phones", []).append(
                _("The label of %(number)s is longer than 20 characters.") % {"number": number}
            )
        cleaned.setdefault(number, label)
    if len(cleaned) > MAX_CONTACT_POINTS:
        errors.setdefault("phones", []).append(
            _("A customer has at most %(max)s phone numbers.") % {"max": MAX_CONTACT_POINTS}
        )
    return list(cleaned.items())


def _clean_emails(
    items: Sequence[ContactPoint], errors: dict[str, list[str]]
) -> list[tuple[str, str | None]]:
    """Lower-case addresses with their labels, in the order given, without repeats or blanks."""
    cleaned: dict[str, str | None] = {}
    for item in items:
        raw, label = _split(item, "email")
        address = raw.strip().lower()
        if not address:
            continue
        try:
            if len(address) > 254:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            errors.setdefault("emails", []).append(
                _("“%(email)s” is not an e-mail address.") % {"email": raw.strip()}
            )
            continue
        if label is not None and len(label) > 20:
            errors.setdefault("emails", []).append(
                _("The label of %(email)s is longer than 20 characters.") % {"email": address}
            )
        cleaned.setdefault(address, label)
    if len(cleaned) > MAX_CONTACT_POINTS:
        errors.setdefault("emails", []).append(
            _("A customer has at most %(max)s e-mail addresses.") % {"max": MAX_CONTACT_POINTS}
        )
    return list(cleaned.items())


def _clean_tags(tags: Sequence[str], errors: dict[str, list[str]]) -> list[str]:
    """Tag names lower-case and trimmed, sorted, without repeats or blanks."""
    names = sorted({str(tag).strip().lower() for tag in tags if str(tag).strip()})
    for name in names:
        if len(name) > 40:
            errors.setdefault("tags", []).append(_("“%(tag)s” is longer than 40 characters.") % {"tag": name})
    if len(names) > MAX_TAGS:
        errors.setdefault("tags", []).append(_("At most %(max)s tags.") % {"max": MAX_TAGS})
    return names


def _clean_text(name: str, value: str, errors: dict[str, list[str]]) -> str:
    value = (value or "").strip()
    if name == "name" and not value:
        errors["name"] = [_("Enter the customer's name.")]
    elif len(value) > TEXT_LIMITS.get(name, 100_000):
        errors[name] = [
            _("At most %(max)s characters; this has %(n)s.") % {"max": TEXT_LIMITS[name], "n": len(value)}
        ]
    return value


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ApplicationError(_("The customer has errors; see the marked fields."), fields=errors)


# --- writing the lists -----------------------------------------------------------------------------
def _tags_for(names: list[str]) -> list[Tag]:
    """Tag rows for `names`, creating the missing ones (two concurrent creators both end with the row)."""
    if not names:
        return []
    Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))


def _replace_phones(customer: Customer, wanted: list[tuple[str, str | None]]) -> None:
    current = {phone.number: phone for phone in customer.phones.all()}
    CustomerPhone.objects.filter(customer=customer).exclude(number__in=[n for n, _ in wanted]).delete()
    relabel = []
    for number, label in wanted:
        phone = current.get(number)
        if phone is not None and label is not None and phone.label != label:
            phone.label = label
            relabel.append(phone)
    CustomerPhone.objects.bulk_update(relabel, ["label"])
    CustomerPhone.objects.bulk_create(
        [
            CustomerPhone(customer=customer, number=number, label=label or "")
            for number, label in wanted
            if number not in current
        ]
    )


def _replace_emails(customer: Customer, wanted: list[tuple[str, str | None]]) -> None:
    current = {email.email: email for email in customer.emails.all()}
    CustomerEmail.objects.filter(customer=customer).exclude(email__in=[e for e, _ in wanted]).delete()
    relabel = []
    for address, label in wanted:
        email = current.get(address)
        if email is not None and label is not None and email.label != label:
            email.label = label
            relabel.append(email)
    CustomerEmail.objects.bulk_update(relabel, ["label"])
    CustomerEmail.objects.bulk_create(
        [
            CustomerEmail(customer=customer, email=address, label=label or "")
            for address, label in wanted
            if address not in current
        ]
    )


def _points(rows: Sequence[tuple[str, str]]) -> list[str]:
    """Contact points as the timeline of changes shows them: "+14155550123 (mobile)"."""
    return [f"{value} ({label})" if label else value for value, label in rows]


# --- create ----------------------------------------------------------------------------------------
@transaction.atomic
def customer_create(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    phones: Sequence[ContactPoint] = (),
    emails: Sequence[ContactPoint] = (),
    company: str = "",
    tags: Sequence[str] = (),
    notes: str = "",
    consent_calls: bool = True,
    consent_email: bool = True,
    consent_sms: bool = False,
    consent_recording: bool = True,
) -> Customer:
    """Create a customer with their phones (E.164) and e-mails (lower-case), and record who did.

    Raises ForbiddenError when `actor` may not add customers, ApplicationError listing every bad
    field at once (each bad phone or e-mail named in `fields`); nothing is written then.
    """
    if actor is not None and not actor.has_perm("tickets.add_customer"):
        raise ForbiddenError(_("Your role may look at customers but not add them."))
    errors: dict[str, list[str]] = {}
    name = _clean_text("name", name, errors)
    company = _clean_text("company", company, errors)
    numbers = _clean_phones(phones, errors)
    addresses = _clean_emails(emails, errors)
    tag_names = _clean_tags(tags, errors)
    _raise_if(errors)
    customer = Customer.objects.create(
        name=name,
        company=company,
        notes=notes or "",
        consent_calls=consent_calls,
        consent_email=consent_email,
        consent_sms=consent_sms,
        consent_recording=consent_recording,
    )
    CustomerPhone.objects.bulk_create(
        [CustomerPhone(customer=customer, number=n, label=label or "") for n, label in numbers]
    )
    CustomerEmail.objects.bulk_create(
        [CustomerEmail(customer=customer, email=e, label=label or "") for e, label in addresses]
    )
    customer.tags.set(_tags_for(tag_names))
    changes: dict[str, list[Any]] = {"name": [None, name]}
    if company:
        changes["company"] = [None, company]
    if numbers:
        changes["phones"] = [None, _points([(n, label or "") for n, label in numbers])]
    if addresses:
        changes["emails"] = [None, _points([(e, label or "") for e, label in addresses])]
    if tag_names:
        changes["tags"] = [None, tag_names]
    CustomerEvent.objects.create(customer=customer, actor=actor, kind="created", changes=changes)
    return customer


# --- update ----------------------------------------------------------------------------------------
def _user_label(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def customer_last_change(customer_id: int) -> CustomerEvent | None:
    return (
        CustomerEvent.objects.filter(customer_id=customer_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
        .first()
    )


def _conflict(customer: Customer) -> ConflictError:
    """Says who changed the customer and when, so the loser can look and reapply their change."""
    event = customer_last_change(customer.pk)
    if event is None:
        message = _(
            "%(name)s was changed after you opened the card. "
            "Check the current values and apply your change again."
        ) % {"name": customer.name}
    else:
        message = _(
            "%(name)s was changed by %(who)s at %(when)s after you opened the card. "
            "Check the current values and apply your change again."
        ) % {
            "name": customer.name,
            "who": _user_label(event.actor) or _("the system"),
            "when": format_datetime(event.created_at),
        }
    return ConflictError(message)


@transaction.atomic
def customer_update(
    *,
    customer_id: int,
    actor: AbstractBaseUser,
    version: int,
    name: str | None = None,
    company: str | None = None,
    notes: str | None = None,
    tags: Sequence[str] | None = None,
    consent_calls: bool | None = None,
    consent_email: bool | None = None,
    consent_sms: bool | None = None,
    consent_recording: bool | None = None,
    phones: Sequence[ContactPoint] | None = None,
    emails: Sequence[ContactPoint] | None = None,
) -> Customer:
    """Change a customer the actor read at `version` (compare-and-swap); None leaves a field as is.

    `phones`, `emails` and `tags` replace the whole set (a number kept keeps its row and, given no
    label, its label). Returns the customer as saved (version + 1), or unchanged when nothing
    differs. Raises ForbiddenError (a read-only role), NotFoundError, ApplicationError naming every
    bad field and each bad phone or e-mail, ConflictError when someone changed it since `version`.
    Nothing is written when it raises.
    """
    if not actor.has_perm("tickets.change_customer"):
        raise ForbiddenError(_("Your role may look at customers but not change them."))
    customer = Customer.objects.prefetch_related("phones", "emails", "tags").filter(pk=customer_id).first()
    if customer is None:
        raise NotFoundError(_("No such customer."))
    if customer.version != version:
        raise _conflict(customer)

    errors: dict[str, list[str]] = {}
    wanted: dict[str, Any] = {}
    for field_name, value in (("name", name), ("company", company)):
        if value is not None:
            wanted[field_name] = _clean_text(field_name, value, errors)
    if notes is not None:
        wanted["notes"] = notes
    consents = (consent_calls, consent_email, consent_sms, consent_recording)
    for field_name, value in zip(CONSENT_FIELDS, consents, strict=True):
        if value is not None:
            wanted[field_name] = bool(value)
    numbers = _clean_phones(phones, errors) if phones is not None else None
    addresses = _clean_emails(emails, errors) if emails is not None else None
    tag_names = _clean_tags(tags, errors) if tags is not None else None
    _raise_if(errors)

    diff: dict[str, list[Any]] = {}
    for field_name, value in wanted.items():
        if getattr(customer, field_name) != value:
            diff[field_name] = [getattr(customer, field_name), value]
    old_phones = [(p.number, p.label) for p in customer.phones.all()]
    if numbers is not None:
        labels = dict(old_phones)
        new_phones = [(n, labels.get(n, "") if label is None else label) for n, label in numbers]
        if sorted(new_phones) != sorted(old_phones):
            diff["phones"] = [_points(old_phones), _points(new_phones)]
    old_emails = [(e.email, e.label) for e in customer.emails.all()]
    if addresses is not None:
        labels = dict(old_emails)
        new_emails = [(e, labels.get(e, "") if label is None else label) for e, label in addresses]
        if sorted(new_emails) != sorted(old_emails):
            diff["emails"] = [_points(old_emails), _points(new_emails)]
    old_tags = sorted(tag.name for tag in customer.tags.all())
    if tag_names is not None and tag_names != old_tags:
        diff["tags"] = [old_tags, tag_names]
    if not diff:
        return customer

    now = timezone.now()
    fields = {name: wanted[name] for name in diff if name in wanted}
    won = Customer.objects.filter(pk=customer.pk, version=version).update(
        **fields, version=F("version") + 1, updated_at=now
    )
    if not won:
        raise _conflict(customer)
    # The row is locked by our UPDATE until commit: a concurrent update waits, then loses above.
    if "phones" in diff:
        _replace_phones(customer, numbers or [])
    if "emails" in diff:
        _replace_emails(customer, addresses or [])
    if "tags" in diff:
        customer.tags.set(_tags_for(tag_names or []))
    CustomerEvent.objects.create(customer=customer, actor=actor, kind="updated", changes=diff)
    customer.refresh_from_db()
    return customer
