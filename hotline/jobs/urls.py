from django.urls import path

from hotline.jobs import views

app_name = "jobs"

urlpatterns = [
    path("<int:pk>/", views.job_page, name="job"),
    path("<int:pk>/good-rows/", views.import_good_rows, name="good_rows"),
]
