from django.urls import path

from calls import views

app_name = "calls"

urlpatterns = [
    path("salle/<uuid:room_id>/", views.room_calls, name="room_calls"),
    path("<uuid:call_id>/presences.csv", views.attendance_csv, name="attendance"),
]
