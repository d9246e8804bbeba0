"""QA APIs, mounted at /api/qa/."""

from qa.apis import evaluations, people, scorecards, work

urlpatterns = [*scorecards.urlpatterns, *evaluations.urlpatterns, *work.urlpatterns, *people.urlpatterns]
