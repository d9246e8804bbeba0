"""tickets."""

urlpatterns: list = []
