from django.urls import path

from telephony import apis

urlpatterns = [
    path("events", apis.EventIngestApi.as_view(), name="api-telephony-events"),
]
