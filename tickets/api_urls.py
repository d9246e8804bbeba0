"""APIs of the CRM and ticketing app, mounted under /api/."""

from tickets.apis import calls, customers, tickets

urlpatterns = [*customers.urlpatterns, *tickets.urlpatterns, *calls.urlpatterns]
