from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("preferences/", views.notification_preferences, name="preferences"),
    path("tout-lu/", views.notification_mark_all, name="mark_all"),
    path("appareils/ajouter/", views.push_device_add, name="push_add"),
    path("appareils/retirer/", views.push_device_remove, name="push_remove"),
    path("<uuid:notification_id>/ouvrir/", views.notification_open, name="open"),
]
