"""Server-rendered QA pages, one module per area; each exports `urlpatterns`."""
