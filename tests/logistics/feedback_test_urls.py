"""The site's URLs with the feedback pages under /logistics/feedback/, as the workbench includes them."""

from django.urls import include, path

from hotline.urls import handler403, handler404, handler500
from hotline.urls import urlpatterns as site

__all__ = ["handler403", "handler404", "handler500", "urlpatterns"]

urlpatterns = [path("logistics/feedback/", include("hotline.logistics.feedback_urls")), *site]
