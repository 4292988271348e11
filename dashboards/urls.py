from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
    path("animation/", views.facilitator, name="facilitator_dashboard"),
    path("pilotage/", views.dccu, name="dccu_dashboard"),
]
