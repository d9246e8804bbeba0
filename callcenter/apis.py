"""APIs of the shell: who am I, and my preferences."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter import selectors, services
from callcenter.models import UserPreference


class MeApi(APIView):
    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        full_name = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        language = serializers.CharField()
        calendar = serializers.CharField()
        home_url = serializers.CharField(allow_null=True)

        class Meta:
            ref_name = "Me"

    @extend_schema(responses=OutputSerializer, summary="The logged-in user, their roles and preferences")
    def get(self, request: Request) -> Response:
        user = request.user
        preference = services.preferences_get(user)
        data = {
            "id": user.id,
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "roles": [role.value for role in services.user_roles(user)],
            "language": preference.language,
            "calendar": preference.calendar,
            "home_url": selectors.user_home_url(user),
        }
        return Response(self.OutputSerializer(data).data)


class MePreferencesApi(APIView):
    class InputSerializer(serializers.Serializer):
        language = serializers.ChoiceField(
            choices=UserPreference._meta.get_field("language").choices, required=False
        )
        calendar = serializers.ChoiceField(choices=UserPreference.Calendar.choices, required=False)

        class Meta:
            ref_name = "PreferencesUpdate"

    class OutputSerializer(serializers.Serializer):
        language = serializers.CharField()
        calendar = serializers.CharField()

        class Meta:
            ref_name = "Preferences"

    @extend_schema(
        request=InputSerializer, responses=OutputSerializer, summary="Change my language or calendar"
    )
    def patch(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        preference = services.preferences_update(user=request.user, **serializer.validated_data)
        if hasattr(request, "session"):
            services.preferences_to_session(request=request._request, user=request.user)
        return Response(self.OutputSerializer(preference).data)
