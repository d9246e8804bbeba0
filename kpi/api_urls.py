from django.urls import path

from kpi import apis

urlpatterns = [
    path("report", apis.KpiReportApi.as_view(), name="api-kpi-report"),
]
