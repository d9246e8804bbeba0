"""What the QA APIs share: a permission class for "any of these permissions", and serializers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.permissions import BasePermission


def any_permission(*permissions: str) -> type[BasePermission]:
    """A DRF permission: a logged-in user holding at least one of `permissions`."""

    class HasAny(BasePermission):
        message = gettext_lazy("Your role does not allow this.")

        def has_permission(self, request: Any, view: Any) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and any(user.has_perm(p) for p in permissions))

    HasAny.__name__ = "HasAny_" + "_".join(p.replace(".", "_") for p in permissions)
    return HasAny


def person(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()

    class Meta:
        ref_name = "QaPerson"


class AnswerInputSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    value = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    na = serializers.BooleanField(default=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)

    class Meta:
        ref_name = "QaAnswerInput"
