from django.urls import path

from agents import apis

urlpatterns = [
    path("desktop/state", apis.DesktopStateApi.as_view(), name="api-desktop-state"),
    path(
        "desktop/calls/<str:call_id>/actions",
        apis.DesktopCallActionApi.as_view(),
        name="api-desktop-call-action",
    ),
]
