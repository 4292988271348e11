"""URLs of information and consent: the welcome gate, « Mes choix », public pages, texts."""

from django.urls import path

from gdpr.views import consent as views

app_name = "consent"

urlpatterns = [
    # The gate, and its way out.
    path("bienvenue/", views.welcome, name="welcome"),
    path("bienvenue/sortie/", views.exit_page, name="exit"),
    # « Mes choix »: optional purposes.
    path("confidentialite/choix/", views.choices, name="choices"),
    path("confidentialite/choix/<str:purpose>/donner/", views.give, name="give"),
    path("confidentialite/choix/<str:purpose>/retirer/", views.withdraw, name="withdraw"),
    # DCCU and DPD: the texts, paper consents, a person's consents.
    path("confidentialite/textes/", views.texts, name="texts"),
    path("confidentialite/textes/nouveau/<str:kind>/", views.text_new, name="text_new"),
    path("confidentialite/textes/nouveau/<str:kind>/<str:purpose>/", views.text_new,
         name="text_new_purpose"),
    path("confidentialite/textes/<uuid:text_id>/", views.text_detail, name="text_detail"),
    path("confidentialite/textes/<uuid:text_id>/publier/", views.text_publish,
         name="text_publish"),
    path("confidentialite/textes/<uuid:text_id>/abandonner/", views.text_discard,
         name="text_discard"),
    path("confidentialite/papier/", views.paper_consent, name="paper"),
    path("confidentialite/personnes/<uuid:person_id>/", views.person_consents,
         name="person_consents"),
    # Public pages, for everyone.
    path("donnees-personnelles/", views.privacy_notice, name="privacy_notice"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("accessibilite/", views.accessibility, name="accessibility"),
]
