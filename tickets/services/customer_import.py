"""Customer CSV import: a UTF-8 file with a header row, checked whole before anything is written,
then written in one transaction; rows whose phone or e-mail a customer already has are skipped.

Columns (header names, any order; only `name` and one of `phones`/`emails` are required):
name, company, phones, emails, tags, notes, consent_calls, consent_email, consent_sms,
consent_recording. Several phones, e-mails or tags go in one cell separated by ";".
Consents take yes/no, true/false or 1/0; an empty cell keeps the default of a new customer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError, ForbiddenError, PayloadTooLargeError
from tickets.models import Customer, CustomerEmail, CustomerEvent, CustomerPhone
from tickets.services.customers import (
    _clean_emails,
    _clean_phones,
    _clean_tags,
    _clean_text,
    _points,
    _tags_for,
)

IMPORT_PERMISSION = "tickets.import_customers"
COLUMNS = (
    "name",
    "company",
    "phones",
    "emails",
    "tags",
    "notes",
    "consent_calls",
    "consent_email",
    "consent_sms",
    "consent_recording",
)
CONSENT_DEFAULTS = {
    "consent_calls": True,
    "consent_email": True,
    "consent_sms": False,
    "consent_recording": True,
}
NOTES_LIMIT = 10_000
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
# One import at a time: two at once could each miss the other's new phone numbers.
_LOCK_KEY = 0x43534649  # "CSFI"


class CustomerImportError(ApplicationError):
    code = "invalid_import"


@dataclass
class ImportRow:
    line: int
    name: str
    company: str
    notes: str
    phones: list[tuple[str, str | None]]
    emails: list[tuple[str, str | None]]
    tags: list[str]
    consents: dict[str, bool]


@dataclass
class ImportResult:
    created: int = 0
    duplicates: int = 0
    rows: int = 0
    duplicate_lines: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "duplicates": self.duplicates,
            "duplicate_lines": self.duplicate_lines,
        }


def _split_cell(value: str) -> list[str]:
    return [part.strip() for part in (value or "").split(";") if part.strip()]


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise CustomerImportError(_("The file is not a CSV text file (it has binary content)."))
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise CustomerImportError(
            _("The file is not UTF-8 text (line %(line)s); save it as “CSV UTF-8” and try again.")
            % {"line": line}
        ) from None


def _header(reader: Any) -> list[str]:
    try:
        header = next(reader)
    except StopIteration:
        raise CustomerImportError(_("The file is empty; it needs a header row and customers.")) from None
    names = [column.strip().lower() for column in header]
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise CustomerImportError(
            _("Unknown columns: %(unknown)s. The columns are: %(columns)s.")
            % {"unknown": ", ".join(unknown), "columns": ", ".join(COLUMNS)}
        )
    if len(set(names)) != len(names):
        raise CustomerImportError(_("A column appears twice in the header row."))
    if "name" not in names or not ({"phones", "emails"} & set(names)):
        raise CustomerImportError(
            _("The header row needs a “name” column and a “phones” or “emails” column.")
        )
    return names


def _consent(value: str, field_name: str, errors: dict[str, list[str]]) -> bool:
    text = (value or "").strip().lower()
    if not text:
        return CONSENT_DEFAULTS[field_name]
    if text in _YES:
        return True
    if text in _NO:
        return False
    errors[field_name] = [_("“%(value)s” is not yes or no.") % {"value": value.strip()}]
    return CONSENT_DEFAULTS[field_name]


def _row(line: int, cells: dict[str, str], errors: dict[str, list[str]]) -> ImportRow:
    name = _clean_text("name", cells.get("name", ""), errors)
    company = _clean_text("company", cells.get("company", ""), errors)
    notes = (cells.get("notes") or "").strip()
    if len(notes) > NOTES_LIMIT:
        errors["notes"] = [_("At most %(max)s characters.") % {"max": NOTES_LIMIT}]
    phones = _clean_phones(_split_cell(cells.get("phones", "")), errors)
    emails = _clean_emails(_split_cell(cells.get("emails", "")), errors)
    tags = _clean_tags(_split_cell(cells.get("tags", "")), errors)
    if not phones and not emails and "phones" not in errors and "emails" not in errors:
        errors["phones"] = [_("Give a phone number or an e-mail: that is how repeats are recognised.")]
    consents = {name_: _consent(cells.get(name_, ""), name_, errors) for name_ in CONSENT_DEFAULTS}
    return ImportRow(line, name, company, notes, phones, emails, tags, consents)


def customer_import_check_size(size: int | None) -> None:
    """Raise PayloadTooLargeError when a file of `size` bytes passes CUSTOMER_IMPORT_MAX_BYTES."""
    if size is not None and size > settings.CUSTOMER_IMPORT_MAX_BYTES:
        raise PayloadTooLargeError(
            _("The file is %(size)s bytes; at most %(max)s bytes may be imported at once.")
            % {"size": size, "max": settings.CUSTOMER_IMPORT_MAX_BYTES}
        )


def customer_import_parse(content: bytes) -> list[ImportRow]:
    """The rows of a customer CSV, every one valid, or CustomerImportError.

    The error's `fields` is {"rows": [{"line": n, "errors": {column: [message, ...]}}, ...]}, every
    bad row listed (line numbers count the header as line 1). PayloadTooLargeError past
    CUSTOMER_IMPORT_MAX_BYTES or CUSTOMER_IMPORT_MAX_ROWS.
    """
    customer_import_check_size(len(content))
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        names = _header(reader)
        rows: list[ImportRow] = []
        problems: list[dict[str, Any]] = []
        limit = settings.CUSTOMER_IMPORT_MAX_ROWS
        line_end = reader.line_num
        for cells in reader:
            # The line a row starts on (a quoted cell may span lines), as a spreadsheet numbers it.
            line, line_end = line_end + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) + len(problems) >= limit:
                raise PayloadTooLargeError(
                    _("The file has more than %(max)s customers; split it and import the parts.")
                    % {"max": limit}
                )
            errors: dict[str, list[str]] = {}
            if len(cells) != len(names):
                errors["row"] = [
                    _("This row has %(n)s cells; the header has %(m)s.") % {"n": len(cells), "m": len(names)}
                ]
                problems.append({"line": line, "errors": errors})
                continue
            row = _row(line, dict(zip(names, cells, strict=True)), errors)
            if errors:
                problems.append({"line": line, "errors": errors})
            else:
                rows.append(row)
    except csv.Error as error:
        raise CustomerImportError(
            _("Line %(line)s is not valid CSV: %(error)s.") % {"line": reader.line_num, "error": error}
        ) from None
    if problems:
        raise CustomerImportError(
            _("%(n)s rows have errors; nothing was imported. Fix them and import the file again.")
            % {"n": len(problems)},
            fields={"rows": problems},
        )
    if not rows:
        raise CustomerImportError(_("The file has a header row but no customers."))
    return rows


def _known(model: type, column: str, values: Iterable[str]) -> set[str]:
    wanted = sorted(set(values))
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        found.update(model.objects.filter(**{f"{column}__in": chunk}).values_list(column, flat=True))
    return found


@transaction.atomic
def customers_import(*, actor: AbstractBaseUser, content: bytes) -> ImportResult:
    """Import the customers of a CSV file (see the module's docstring for the columns).

    All or nothing: any bad row raises CustomerImportError listing every bad row by line and nothing
    is written. A row whose phone or e-mail already belongs to a customer, or to an earlier row of the
    file, is a duplicate: skipped and counted, so importing a file twice adds nothing the second time.
    Raises ForbiddenError without the import permission, PayloadTooLargeError past the limits.
    """
    if not actor.has_perm(IMPORT_PERMISSION):
        raise ForbiddenError(_("Your role may not import customers."))
    rows = customer_import_parse(content)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    seen_phones = _known(CustomerPhone, "number", (n for row in rows for n, _label in row.phones))
    seen_emails = _known(CustomerEmail, "email", (e for row in rows for e, _label in row.emails))
    result = ImportResult(rows=len(rows))
    fresh: list[ImportRow] = []
    for row in rows:
        numbers = {n for n, _label in row.phones}
        addresses = {e for e, _label in row.emails}
        if numbers & seen_phones or addresses & seen_emails:
            result.duplicates += 1
            result.duplicate_lines.append(row.line)
            continue
        seen_phones |= numbers
        seen_emails |= addresses
        fresh.append(row)
    customers = Customer.objects.bulk_create(
        [Customer(name=row.name, company=row.company, notes=row.notes, **row.consents) for row in fresh],
        batch_size=1000,
    )
    CustomerPhone.objects.bulk_create(
        [
            CustomerPhone(customer=customer, number=number, label=label or "")
            for customer, row in zip(customers, fresh, strict=True)
            for number, label in row.phones
        ],
        batch_size=1000,
    )
    CustomerEmail.objects.bulk_create(
        [
            CustomerEmail(customer=customer, email=address, label=label or "")
            for customer, row in zip(customers, fresh, strict=True)
            for address, label in row.emails
        ],
        batch_size=1000,
    )
    tags = {tag.name: tag for tag in _tags_for(sorted({t for row in fresh for t in row.tags}))}
    through = Customer.tags.through
    through.objects.bulk_create(
        [
            through(customer_id=customer.pk, tag_id=tags[name].pk)
            for customer, row in zip(customers, fresh, strict=True)
            for name in row.tags
        ],
        batch_size=1000,
    )
    events = []
    for customer, row in zip(customers, fresh, strict=True):
        changes: dict[str, Any] = {"name": [None, row.name], "imported": [None, f"line {row.line}"]}
        if row.company:
            changes["company"] = [None, row.company]
        if row.phones:
            changes["phones"] = [None, _points([(n, label or "") for n, label in row.phones])]
        if row.emails:
            changes["emails"] = [None, _points([(e, label or "") for e, label in row.emails])]
        if row.tags:
            changes["tags"] = [None, row.tags]
        events.append(CustomerEvent(customer=customer, actor=actor, kind="created", changes=changes))
    CustomerEvent.objects.bulk_create(events, batch_size=1000)
    result.created = len(customers)
    return result
