"""The plenary's decisions: votes, their results and projection, amendments."""

from django.urls import path

from decisions import views

app_name = "decisions"
urlpatterns = [
    path("", views.votes, name="votes"),
    path("votes/nouveau/", views.vote_create, name="vote_create"),
    path("votes/<uuid:vote_id>/", views.vote, name="vote"),
    path("votes/<uuid:vote_id>/voter/", views.vote_cast, name="vote_cast"),
    path("votes/<uuid:vote_id>/ouvrir/", views.vote_open, name="vote_open"),
    path("votes/<uuid:vote_id>/fermer/", views.vote_close, name="vote_close"),
    path("votes/<uuid:vote_id>/resultats/", views.vote_results, name="vote_results"),
    path("votes/<uuid:vote_id>/projection/", views.vote_projection, name="vote_projection"),
    path("votes/<uuid:vote_id>/avis/", views.vote_minority_view, name="vote_minority_view"),
    path("propositions/<uuid:proposal_id>/amendements/", views.amendments, name="amendments"),
    path("propositions/<uuid:proposal_id>/main-levee/", views.show_of_hands, name="show_of_hands"),
    path("amendements/<uuid:amendment_id>/", views.amendment, name="amendment"),
    path(
        "amendements/<uuid:amendment_id>/repondre/", views.amendment_answer, name="amendment_answer"
    ),
    path(
        "amendements/<uuid:amendment_id>/maintenir/",
        views.amendment_contest,
        name="amendment_contest",
    ),
    path("amendements/<uuid:amendment_id>/vote/", views.amendment_vote, name="amendment_vote"),
]
