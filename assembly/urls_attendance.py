"""Attendance, indemnities and travel claims URLs (assembly.views_attendance)."""

from django.urls import path

from assembly import views_attendance as views

app_name = "attendance"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("seances/", views.sessions, name="sessions"),
    path("seance/<uuid:session_id>/", views.checkin, name="checkin"),
    path("seance/<uuid:session_id>/pointer/", views.checkin_save, name="checkin_save"),
    path("seance/<uuid:session_id>/corriger/", views.correct, name="correct"),
    path("seance/<uuid:session_id>/code/", views.qr_display, name="qr"),
    path("code/<str:token>/", views.scan, name="scan"),
    path("indemnites/", views.indemnities_index, name="indemnities"),
    path("indemnites/<int:year>/", views.indemnities_period, name="indemnities_period"),
    path("indemnites/<int:year>/valider/", views.indemnities_validate,
         name="indemnities_validate"),
    path("indemnites/<int:year>/corriger/", views.indemnities_correct,
         name="indemnities_correct"),
    path("indemnites/<int:year>/export.csv", views.indemnities_export, {"fmt": "csv"},
         name="indemnities_csv"),
    path("indemnites/<int:year>/export.ods", views.indemnities_export, {"fmt": "ods"},
         name="indemnities_ods"),
    path("frais/", views.claim_list, name="claims"),
    path("frais/a-traiter/", views.claims_to_decide, name="claims_dccu"),
    path("frais/<uuid:claim_id>/", views.claim_detail, name="claim"),
    path("frais/<uuid:claim_id>/decision/", views.claim_decide, name="claim_decide"),
    path("frais/<uuid:claim_id>/justificatif/<uuid:receipt_id>/", views.claim_receipt,
         name="claim_receipt"),
]
