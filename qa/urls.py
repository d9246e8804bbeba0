"""QA pages, mounted at /qa/."""

from qa.views import calibration, coaching, evaluations, leads, queue, recordings, scorecards

app_name = "qa"
urlpatterns = [
    *queue.urlpatterns,
    *evaluations.urlpatterns,
    *recordings.urlpatterns,
    *scorecards.urlpatterns,
    *calibration.urlpatterns,
    *coaching.urlpatterns,
    *leads.urlpatterns,
]
