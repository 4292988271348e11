from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("preferences/", views.notification_preferences, name="preferences"),
    path("tout-lu/", views.notification_mark_all, name="mark_all"),
    path("<uuid:notification_id>/ouvrir/", views.notification_open, name="open"),
]
