from django.urls import path

from kpi import views

app_name = "kpi"
urlpatterns = [
    path("wallboard/", views.wallboard, name="wallboard"),
    path("reports/", views.reports, name="reports"),
]
