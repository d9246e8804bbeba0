"""calls."""

urlpatterns: list = []
