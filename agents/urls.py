from django.urls import path

from agents import views

app_name = "agents"
urlpatterns = [
    path("", views.desk, name="desktop"),
    path("state", views.desk_state, name="desktop_state"),
    path("calls/<str:call_id>/", views.desk_call, name="desktop_call"),
    path("calls/<str:call_id>/action", views.desk_call_action, name="desktop_call_action"),
    path("calls/<str:call_id>/customer", views.desk_customer, name="desktop_customer"),
    path("calls/<str:call_id>/wrapup", views.desk_wrapup, name="desktop_wrapup"),
    path("callbacks/", views.desk_callbacks, name="desktop_callbacks"),
    path("callbacks/<int:callback_id>/dial", views.desk_callback_dial, name="desktop_callback_dial"),
]
