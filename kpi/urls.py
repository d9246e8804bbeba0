from django.urls import path

from kpi import views

app_name = "kpi"
urlpatterns = [
    path("wallboard/", views.wallboard, name="wallboard"),
    path("reports/", views.reports, name="reports"),
    path("reports/export.csv", views.report_export, name="report_export"),
    path("reports/subscription", views.report_subscription, name="report_subscription"),
    path("my-numbers/", views.my_numbers, name="my_numbers"),
]
