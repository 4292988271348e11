"""Seat URLs: the member's « My seat » and the DCCU's seats page (under « pilotage »)."""

from django.urls import path

from assembly import views_seats as views

app_name = "seats"

urlpatterns = [
    path("mon-siege/", views.mine, name="mine"),
    path("mon-siege/demission/", views.resign, name="resign"),
    path("mon-siege/offres/<uuid:offer_id>/accepter/", views.offer_accept, name="accept"),
    path("mon-siege/offres/<uuid:offer_id>/refuser/", views.offer_decline, name="decline"),
    path("pilotage/sieges/", views.board, name="board"),
    path("pilotage/sieges/fin/<uuid:membership_id>/", views.end, name="end"),
    path("pilotage/sieges/<int:seat_id>/proposer/", views.offer, name="offer"),
]
