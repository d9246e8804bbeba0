"""QA APIs, mounted under /api/qa/; one module per area, each exports `urlpatterns`."""
