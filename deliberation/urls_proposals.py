"""Proposals pages (list, draft editor, versions, comments, workflow)."""

from django.urls import path

from deliberation import views_proposals as views

urlpatterns = [
    path("", views.proposals, name="proposals"),
    path("nouvelle/<uuid:subgroup_id>/", views.proposal_create, name="proposal_create"),
    path("<uuid:proposal_id>/", views.proposal, name="proposal"),
    path("<uuid:proposal_id>/projection/", views.proposal_projection,
         name="proposal_projection"),
    path("<uuid:proposal_id>/statut/", views.proposal_transition, name="proposal_transition"),
    path("<uuid:proposal_id>/gel/", views.proposal_freeze, name="proposal_freeze"),
    path("<uuid:proposal_id>/titre/", views.proposal_rename, name="proposal_rename"),
    path("<uuid:proposal_id>/versions/", views.proposal_versions, name="proposal_versions"),
    # Before <int:number>/: "comparer" is not a number, but keep the fixed path first.
    path("<uuid:proposal_id>/versions/comparer/", views.proposal_versions_diff,
         name="proposal_versions_diff"),
    path("<uuid:proposal_id>/versions/<int:number>/", views.proposal_version,
         name="proposal_version"),
    path("<uuid:proposal_id>/versions/<int:number>/restaurer/", views.proposal_version_restore,
         name="proposal_version_restore"),
    path("<uuid:proposal_id>/commentaires/", views.proposal_comments, name="proposal_comments"),
    path("<uuid:proposal_id>/commentaires/<int:comment_id>/resolu/",
         views.proposal_comment_resolve, name="proposal_comment_resolve"),
]
