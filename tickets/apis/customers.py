"""customers."""

urlpatterns: list = []
