"""Customer APIs: search with cursor pages and create, read and change one customer, their contact
history, their changes, and the caller-ID match screen pops use. Thin: validate → service/selector →
serialize; errors come from the services and are turned into JSON in callcenter.errors."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from django.urls import path, re_path, reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from callcenter.permissions import api_permission, upload_content_length
from callcenter.phones import InvalidPhoneNumberError, phone_normalize
from tickets.models import Customer
from tickets.selectors.customers import (
    MAX_PAGE_SIZE,
    customer_changes,
    customer_get,
    customer_search_page,
    customer_timeline,
    customers_attach_card_data,
    customers_match_phone,
)
from tickets.services import customer_import
from tickets.services import customers as services

VIEW_CUSTOMERS = api_permission("tickets.view_customer")


_DATETIME = serializers.DateTimeField()


@functools.cache
def _customer_url_pattern() -> str:
    """The page address with "{}" for the id: reverse() per row was a tenth of a list request."""
    return reverse("tickets:customer_detail", args=[987654321]).replace("987654321", "{}")


def _datetime(value: Any) -> Any:
    return _DATETIME.to_representation(value) if value is not None else None


# --- output ----------------------------------------------------------------------------------------
class PhoneSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="E.164, e.g. +14155550123.")
    label = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "CustomerPhone"


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="Lower-case.")
    label = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "CustomerEmail"


class CustomerOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    company = serializers.CharField(allow_blank=True)
    phones = PhoneSerializer(many=True)
    emails = EmailSerializer(many=True)
    tags = serializers.ListField(child=serializers.CharField())
    consent_calls = serializers.BooleanField()
    consent_email = serializers.BooleanField()
    consent_sms = serializers.BooleanField()
    consent_recording = serializers.BooleanField()
    open_tickets = serializers.IntegerField(help_text="Tickets neither resolved nor closed.")
    version = serializers.IntegerField(help_text="Send it back with a change; a stale one gets 409.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="The customer's page.")

    class Meta:
        ref_name = "Customer"

    def to_representation(self, customer: Customer) -> dict[str, Any]:
        """Reads only what customers_attach_card_data prefetched: no query per customer."""
        return {
            "id": customer.pk,
            "name": customer.name,
            "company": customer.company,
            "phones": [{"number": number, "label": label} for number, label in customer.phone_list],
            "emails": [{"email": address, "label": label} for address, label in customer.email_list],
            "tags": customer.tag_names,
            "consent_calls": customer.consent_calls,
            "consent_email": customer.consent_email,
            "consent_sms": customer.consent_sms,
            "consent_recording": customer.consent_recording,
            "open_tickets": customer.open_tickets,
            "version": customer.version,
            "created_at": _datetime(customer.created_at),
            "updated_at": _datetime(customer.updated_at),
            "url": _customer_url_pattern().format(customer.pk),
        }


class CustomerDetailOutputSerializer(CustomerOutputSerializer):
    notes = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "CustomerDetail"

    def to_representation(self, customer: Customer) -> dict[str, Any]:
        return {**super().to_representation(customer), "notes": customer.notes}


# --- input -----------------------------------------------------------------------------------------
@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {"number": {"type": "string"}, "label": {"type": "string", "maxLength": 20}},
                "required": ["number"],
            },
        ],
        "description": "A number as typed (national form in the call center's country, or +country), "
        "or {number, label}. Without a label a number kept keeps its label.",
    }
)
class PhoneInputField(serializers.Field):
    key = "number"

    def to_internal_value(self, data: Any) -> str | dict[str, Any]:
        if isinstance(data, str):
            return data
        if isinstance(data, Mapping) and isinstance(data.get(self.key), str):
            label = data.get("label")
            if label is not None and not isinstance(label, str):
                raise serializers.ValidationError(_("A label is text."))
            return {self.key: data[self.key], "label": label}
        raise serializers.ValidationError(
            _("Give a %(key)s as text, or an object with “%(key)s” and “label”.") % {"key": self.key}
        )

    def to_representation(self, value: Any) -> Any:
        return value


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {"email": {"type": "string"}, "label": {"type": "string", "maxLength": 20}},
                "required": ["email"],
            },
        ],
        "description": "An address, or {email, label}.",
    }
)
class EmailInputField(PhoneInputField):
    key = "email"


class CustomerWriteSerializer(serializers.Serializer):
    """The writable fields of a customer, none required: absent ones are left as they are."""

    name = serializers.CharField(max_length=200, required=False)
    company = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=50,
        help_text="Replaces the set.",
    )
    phones = serializers.ListField(
        child=PhoneInputField(), required=False, max_length=50, help_text="Replaces the set."
    )
    emails = serializers.ListField(
        child=EmailInputField(), required=False, max_length=50, help_text="Replaces the set."
    )
    consent_calls = serializers.BooleanField(required=False)
    consent_email = serializers.BooleanField(required=False)
    consent_sms = serializers.BooleanField(required=False)
    consent_recording = serializers.BooleanField(required=False)

    class Meta:
        ref_name = "CustomerWrite"


# --- search and create -----------------------------------------------------------------------------
class CustomerListApi(APIView):
    permission_classes = [VIEW_CUSTOMERS]

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=200,
            help_text="Name or company words, a phone number or some of its digits, an e-mail "
            "address or domain, or a ticket number (T-123).",
        )
        cursor = serializers.CharField(required=False, help_text="From `next` or `previous`.")
        page_size = serializers.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, default=50)

        class Meta:
            ref_name = "CustomerFilter"

    class PageSerializer(serializers.Serializer):
        next = serializers.URLField(allow_null=True)
        previous = serializers.URLField(allow_null=True)
        matched_by = serializers.ChoiceField(
            choices=["all", "name", "prefix", "phone", "email", "ticket"],
            help_text="How `q` was read: all (empty), name or company words, prefix (shorter than "
            "3 characters: names that start with it), phone, email, ticket (T-123).",
        )
        results = CustomerOutputSerializer(many=True)

        class Meta:
            ref_name = "CustomerPage"

    class InputSerializer(CustomerWriteSerializer):
        name = serializers.CharField(max_length=200)

        class Meta:
            ref_name = "CustomerCreate"

    @extend_schema(
        operation_id="customers_list",
        parameters=[FilterSerializer],
        responses=PageSerializer,
        summary="Search customers by name, company, phone, e-mail or ticket number (newest first)",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        page = customer_search_page(
            user=request.user, q=data.get("q", ""), cursor=data.get("cursor", ""), size=data["page_size"]
        )
        url = remove_query_param(request.build_absolute_uri(), "cursor")
        body = {
            "next": replace_query_param(url, "cursor", page.next_cursor) if page.next_cursor else None,
            "previous": replace_query_param(url, "cursor", page.previous_cursor)
            if page.previous_cursor
            else None,
            "matched_by": page.search.kind,
            "results": CustomerOutputSerializer(page.customers, many=True).data,
        }
        return Response(body)

    @extend_schema(
        request=InputSerializer,
        responses={201: CustomerDetailOutputSerializer},
        summary="Add a customer (phones to E.164, e-mails lower-case; each bad one named)",
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = services.customer_create(actor=request.user, **serializer.validated_data)
        return Response(
            CustomerDetailOutputSerializer(customer_get(customer_id=customer.pk)).data,
            status=status.HTTP_201_CREATED,
        )


# --- one customer ----------------------------------------------------------------------------------
class CustomerDetailApi(APIView):
    permission_classes = [VIEW_CUSTOMERS]

    class InputSerializer(CustomerWriteSerializer):
        version = serializers.IntegerField(help_text="The version you read; a stale one gets 409.")

        class Meta:
            ref_name = "CustomerUpdate"

    @extend_schema(responses=CustomerDetailOutputSerializer, summary="One customer with their contact points")
    def get(self, request: Request, customer_id: int) -> Response:
        return Response(CustomerDetailOutputSerializer(customer_get(customer_id=customer_id)).data)

    @extend_schema(
        request=InputSerializer,
        responses={200: CustomerDetailOutputSerializer},
        summary="Change a customer; phones, emails and tags replace the whole set; 409 when someone "
        "changed the customer since the version you read",
    )
    def patch(self, request: Request, customer_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        version = changes.pop("version")
        services.customer_update(customer_id=customer_id, actor=request.user, version=version, **changes)
        return Response(CustomerDetailOutputSerializer(customer_get(customer_id=customer_id)).data)


class CustomerTimelineApi(APIView):
    permission_classes = [VIEW_CUSTOMERS]

    class FilterSerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=500, default=100)

        class Meta:
            ref_name = "CustomerTimelineFilter"

    class OutputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=["call", "survey", "ticket", "reply", "callback"])
        at = serializers.DateTimeField()
        title = serializers.CharField()
        detail = serializers.CharField(allow_blank=True)
        notes = serializers.CharField(required=False, allow_blank=True, help_text="Calls: the agent's notes.")
        url = serializers.CharField(allow_blank=True, help_text="The ticket's page, for tickets and replies.")

        class Meta:
            ref_name = "CustomerTimelineEntry"

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer(many=True),
        summary="Every contact, newest first: calls (notes, disposition), survey answers, tickets, "
        "customer replies, callbacks",
    )
    def get(self, request: Request, customer_id: int) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        customer = customer_get(customer_id=customer_id, card=False)
        entries = customer_timeline(customer=customer, limit=filters.validated_data["limit"])
        return Response(self.OutputSerializer(entries, many=True).data)


class CustomerChangesApi(APIView):
    permission_classes = [VIEW_CUSTOMERS]

    class OutputSerializer(serializers.Serializer):
        class ChangeSerializer(serializers.Serializer):
            field = serializers.CharField()
            label = serializers.CharField()
            before = serializers.JSONField(allow_null=True)
            after = serializers.JSONField(allow_null=True)
            before_display = serializers.CharField()
            after_display = serializers.CharField()

            class Meta:
                ref_name = "CustomerChangeField"

        at = serializers.DateTimeField()
        actor = serializers.CharField(allow_blank=True)
        kind = serializers.ChoiceField(choices=["created", "updated"])
        title = serializers.CharField()
        changes = ChangeSerializer(many=True)

        class Meta:
            ref_name = "CustomerChange"

    @extend_schema(
        responses=OutputSerializer(many=True), summary="Who changed what on the customer, newest first (50)"
    )
    def get(self, request: Request, customer_id: int) -> Response:
        customer = customer_get(customer_id=customer_id, card=False)
        return Response(self.OutputSerializer(customer_changes(customer=customer), many=True).data)


class CustomerMatchApi(APIView):
    permission_classes = [VIEW_CUSTOMERS]

    class FilterSerializer(serializers.Serializer):
        phone = serializers.CharField(max_length=64, help_text="The caller ID as the PBX sends it.")

        class Meta:
            ref_name = "CustomerMatchFilter"

    class OutputSerializer(serializers.Serializer):
        number = serializers.CharField(allow_null=True, help_text="E.164; null when not a phone number.")
        results = CustomerOutputSerializer(many=True)

        class Meta:
            ref_name = "CustomerMatch"

    @extend_schema(
        parameters=[FilterSerializer],
        responses=OutputSerializer,
        summary="Customers with this caller ID, the most recently contacted first (for screen pops)",
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        raw = filters.validated_data["phone"]
        try:
            number: str | None = phone_normalize(raw)
        except InvalidPhoneNumberError:
            number = None
        matches = customers_match_phone(number=raw) if number else []
        customers_attach_card_data(matches)
        return Response({"number": number, "results": CustomerOutputSerializer(matches, many=True).data})


# --- CSV import ------------------------------------------------------------------------------------
class CustomerImportApi(APIView):
    """Supervisors and admins import customers from a UTF-8 CSV: all rows or none."""

    permission_classes = [api_permission(customer_import.IMPORT_PERMISSION)]
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="UTF-8 CSV with a header row (see the README for columns).")

        class Meta:
            ref_name = "CustomerImportInput"

    class OutputSerializer(serializers.Serializer):
        rows = serializers.IntegerField(help_text="Customer rows in the file.")
        created = serializers.IntegerField()
        duplicates = serializers.IntegerField(help_text="Rows skipped: their phone or e-mail is known.")
        duplicate_lines = serializers.ListField(child=serializers.IntegerField())

        class Meta:
            ref_name = "CustomerImportResult"

    @extend_schema(
        summary="Import customers from a CSV file (multipart field `file`)",
        description=(
            "Columns: " + ", ".join(customer_import.COLUMNS) + ". Any bad row: 400 with "
            "`error.fields.rows` = [{line, errors: {column: [message]}}] and nothing written."
        ),
        request={"multipart/form-data": InputSerializer},
        responses={200: OutputSerializer, 413: OpenApiResponse(description="Over the size or row limit")},
    )
    def post(self, request: Request) -> Response:
        customer_import.customer_import_check_size(upload_content_length(request))  # before reading it
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        customer_import.customer_import_check_size(upload.size)
        result = customer_import.customers_import(actor=request.user, content=upload.read())
        return Response(self.OutputSerializer(result.as_dict()).data)


urlpatterns = [
    path("customers/", CustomerListApi.as_view(), name="api-customers"),
    path("customers/import", CustomerImportApi.as_view(), name="api-customers-import"),
    # Screen pops call it as /api/customers/match?phone=…; the slash is optional.
    re_path(r"^customers/match/?$", CustomerMatchApi.as_view(), name="api-customers-match"),
    path("customers/<int:customer_id>/", CustomerDetailApi.as_view(), name="api-customer"),
    path(
        "customers/<int:customer_id>/timeline/", CustomerTimelineApi.as_view(), name="api-customer-timeline"
    ),
    path("customers/<int:customer_id>/changes/", CustomerChangesApi.as_view(), name="api-customer-changes"),
]
