"""Pages of the CRM and ticketing app (customers, tickets)."""

from tickets.views import calls, customers, tickets

app_name = "tickets"
urlpatterns = [*customers.urlpatterns, *tickets.urlpatterns, *calls.urlpatterns]
