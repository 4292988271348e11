from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("double-authentification/", views.two_factor_required, name="two_factor_required"),
]
