from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("double-authentification/", views.two_factor_required, name="two_factor_required"),
    path("confort-de-lecture/", views.reading_comfort, name="reading"),
    path("visite-guidee/", views.tour_progress, name="tour_progress"),
    path("visite-guidee/revoir/", views.tour_replay, name="tour_replay"),
]
