"""URLs of the rights of the people: « Mes données », access copies, requests and their handling."""

from django.urls import path

from gdpr.views import rights as views

app_name = "rights"

urlpatterns = [
    # The person: what is held, the profile, copies, requests.
    path("mes-donnees/", views.home, name="home"),
    path("mes-donnees/profil/", views.profile, name="profile"),
    path("mes-donnees/copies/", views.copy_request, name="copy_request"),
    path("mes-donnees/copies/<uuid:copy_id>/", views.copy_detail, name="copy"),
    path("mes-donnees/copies/<uuid:copy_id>/etat/", views.copy_status, name="copy_status"),
    path("mes-donnees/copies/<uuid:copy_id>/telecharger/", views.copy_download,
         name="copy_download"),
    path("mes-donnees/demandes/effacement/", views.request_new, {"kind": "erasure"},
         name="request_erasure"),
    path("mes-donnees/demandes/nouvelle/<str:kind>/", views.request_new, name="request_new"),
    # A request: its person, the DPD and the DCCU (404 for anyone else).
    path("demandes-rgpd/<uuid:request_id>/", views.request_detail, name="request"),
    # The DPD and the DCCU: the workflow.
    path("demandes-rgpd/", views.request_list, name="requests"),
    path("demandes-rgpd/enregistrer/", views.request_record, name="request_record"),
    path("demandes-rgpd/<uuid:request_id>/prolonger/", views.request_extend,
         name="request_extend"),
    path("demandes-rgpd/<uuid:request_id>/decision/", views.request_decide,
         name="request_decide"),
    path("demandes-rgpd/<uuid:request_id>/realisee/", views.request_complete,
         name="request_complete"),
    path("demandes-rgpd/<uuid:request_id>/copie/", views.request_prepare_copy,
         name="request_prepare_copy"),
]
