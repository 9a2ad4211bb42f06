"""/care/: customer care (客户关怀) and points (积分)."""

from django.urls import URLPattern, URLResolver, path

from hotline.crm import care_views as views

app_name = "care"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("criteria/new/", views.criteria_form, name="criteria-new"),
    path("criteria/<int:pk>/", views.criteria_form, name="criteria"),
    path("produce/", views.produce, name="produce"),
    path("lists/<int:pk>/", views.care_list, name="list"),
    path("lists/<int:pk>/greet/", views.greet, name="greet"),
    path("rules/", views.rules, name="rules"),
    path("rules/<int:pk>/delete/", views.delete_rule, name="delete-rule"),
    path("promotions/", views.promotions, name="promotions"),
    path("promotions/<int:pk>/", views.promotions, name="promotion"),
    path("rewards/", views.add_reward, name="add-reward"),
    path("calls/", views.calls, name="calls"),
    path("calls/<int:pk>/done/", views.finish_call, name="finish-call"),
    path("customers/<int:pk>/points/", views.points, name="points"),
]
