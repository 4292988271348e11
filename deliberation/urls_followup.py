"""Follow-up of adopted proposals (« Suivi »): pages, the état des lieux, the public page."""

from django.urls import path

from deliberation import views_followup as views

urlpatterns = [
    path("", views.index, name="followup"),
    path("comite/", views.committee, name="followup_committee"),
    path("etat-des-lieux/", views.report, name="followup_report"),
    path("etat-des-lieux.docx", views.report_docx, name="followup_report_docx"),
    path("publication/", views.publication, name="followup_publication"),
    path("public/", views.public, name="followup_public"),
    path("proposition/<uuid:proposal_id>/", views.proposal, name="followup_proposal"),
    path("proposition/<uuid:proposal_id>/reponse/", views.answer, name="followup_answer"),
    path("proposition/<uuid:proposal_id>/engagements/", views.commitment_add,
         name="followup_commitment_add"),
    path("proposition/<uuid:proposal_id>/avancement/", views.update_add,
         name="followup_update_add"),
    path("proposition/<uuid:proposal_id>/questions/", views.question_ask,
         name="followup_question_ask"),
    path("engagement/<uuid:commitment_id>/jalons/", views.milestone_add,
         name="followup_milestone_add"),
    path("jalon/<uuid:milestone_id>/statut/", views.milestone_status,
         name="followup_milestone_status"),
    path("question/<uuid:question_id>/reponse/", views.question_answer,
         name="followup_question_answer"),
    path("fichier/<uuid:attachment_id>/", views.attachment, name="followup_attachment"),
]
