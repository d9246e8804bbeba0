from django.urls import path

from telephony import apis

urlpatterns = [
    path("events", apis.EventIngestApi.as_view(), name="api-telephony-events"),
    path("commands", apis.AcdCommandsApi.as_view(), name="api-telephony-commands"),
    path(
        "calls/<int:call_id>/recording", apis.RecordingUploadApi.as_view(), name="api-call-recording-upload"
    ),
]
