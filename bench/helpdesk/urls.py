"""URL root for the benchmark settings: helpdesk under its own namespace, as it expects."""

from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls", namespace="helpdesk"))]
