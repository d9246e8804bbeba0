"""Server-rendered pages of the CRM and ticketing app, one module per area; each exports `urlpatterns`."""
