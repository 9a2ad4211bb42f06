"""The project's URLs the order-task and product-search tests need (the desk, sign-in, sign-out, the language
switch), mounted where the project mounts them, so that these tests do not depend on other screens' URLs."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("desk/", include("hotline.desk.urls")),
]
