"""django-tasks-db registers its task rows in the admin; they are the worker's plumbing, and the Job row
(shown on the job page) is what people read, so the back office does not list them."""

from django.contrib import admin
from django_tasks_db.models import DBTaskResult

if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
