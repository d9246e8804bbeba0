"""KPI API: GET /api/kpi/report — the rows of `kpi_report` as JSON, for integrations and BI tools."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from callcenter.errors import ApplicationError
from callcenter.permissions import api_permission
from kpi import inputs
from kpi.definitions import HIST_MAX_S, KPI_KEYS, SHORT_ABANDON_S, SL_THRESHOLD_S, Params
from kpi.exports import row_json
from kpi.selectors import BY_CHOICES, MAX_DAYS, MAX_INTERVAL_DAYS, ReportQuery, kpi_report
from telephony.models import Queue


class KpiReportApi(APIView):
    permission_classes = [api_permission("callcenter.view_reports")]

    class InputSerializer(serializers.Serializer):
        # "from" is a Python keyword: the query parameters are mapped in get().
        first_day = serializers.DateField()
        last_day = serializers.DateField()
        by = serializers.ChoiceField(choices=BY_CHOICES, default="total")
        queue = serializers.CharField(required=False, allow_blank=True, max_length=64)
        team = serializers.IntegerField(required=False, min_value=1)
        agent = serializers.CharField(required=False, allow_blank=True, max_length=128)
        sl_threshold = serializers.IntegerField(default=SL_THRESHOLD_S, min_value=0, max_value=HIST_MAX_S)
        short_abandon = serializers.IntegerField(default=SHORT_ABANDON_S, min_value=0, max_value=HIST_MAX_S)

        def validate_queue(self, value: str) -> str:
            if value and not Queue.objects.filter(name=value).exists():
                raise serializers.ValidationError("No queue has this name.")
            return value

        def validate_team(self, value: int) -> int:
            if value not in dict(inputs.team_choices()):
                raise serializers.ValidationError("No team has this id.")
            return value

        def validate(self, data: dict[str, Any]) -> dict[str, Any]:
            span = (data["last_day"] - data["first_day"]).days
            if span < 0:
                raise serializers.ValidationError({"to": ["The last day comes before the first."]})
            if span >= MAX_DAYS:
                raise serializers.ValidationError({"to": [f"Report at most {MAX_DAYS} days at a time."]})
            if data["by"] == "interval" and span >= MAX_INTERVAL_DAYS:
                raise serializers.ValidationError(
                    {"by": [f"Intervals for at most {MAX_INTERVAL_DAYS} days."]}
                )
            return data

    class OutputSerializer(serializers.Serializer):
        rows = serializers.ListField(child=serializers.DictField())
        keys = serializers.ListField(child=serializers.CharField())

        class Meta:
            ref_name = "KpiReport"

    @extend_schema(
        summary="KPI report rows for a range of local days",
        description=(
            "Query parameters: `from`, `to` (YYYY-MM-DD, local days, both included), `by` (total, queue, "
            "agent, team, day, week, interval), `queue`, `team` (id), `agent` (code), `sl_threshold`, "
            "`short_abandon` (whole seconds). Each row has its group key(s) and every KPI key of "
            "DESIGN §3; undefined ratios are null."
        ),
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True, description="First local day."),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, required=True, description="Last local day (included)."
            ),
            OpenApiParameter("by", OpenApiTypes.STR, enum=list(BY_CHOICES)),
            OpenApiParameter("queue", OpenApiTypes.STR, description="Queue name."),
            OpenApiParameter("team", OpenApiTypes.INT, description="Team id."),
            OpenApiParameter("agent", OpenApiTypes.STR, description="Agent code."),
            OpenApiParameter("sl_threshold", OpenApiTypes.INT, description="Whole seconds."),
            OpenApiParameter("short_abandon", OpenApiTypes.INT, description="Whole seconds."),
        ],
        responses={200: OutputSerializer, 400: OpenApiResponse(description="Invalid parameters")},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params.dict()
        params["first_day"] = params.pop("from", "")
        params["last_day"] = params.pop("to", "")
        serializer = self.InputSerializer(data=params)
        if not serializer.is_valid():
            fields = {
                {"first_day": "from", "last_day": "to"}.get(k, k): v for k, v in serializer.errors.items()
            }
            raise ApplicationError("Some parameters are not valid.", fields=fields)
        data = serializer.validated_data
        query = ReportQuery(
            first_day=data["first_day"],
            last_day=data["last_day"],
            by=data["by"],
            queue=data.get("queue") or None,
            team_id=data.get("team"),
            agent_code=data.get("agent") or None,
            params=Params(sl_threshold_s=data["sl_threshold"], short_abandon_s=data["short_abandon"]),
        )
        rows = [row_json(row) for row in kpi_report(query)]
        return Response(self.OutputSerializer({"rows": rows, "keys": list(KPI_KEYS)}).data)
