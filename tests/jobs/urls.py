"""The project's URLs with the job pages, until hotline/urls.py includes them itself."""

from django.urls import include, path

from hotline.urls import handler403, handler404, handler500
from hotline.urls import urlpatterns as project_urls

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = list(project_urls)
if not any(getattr(pattern, "namespace", None) == "jobs" for pattern in urlpatterns):
    urlpatterns.append(path("jobs/", include("hotline.jobs.urls")))
