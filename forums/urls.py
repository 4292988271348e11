"""Conversation pages, under /discussions/."""

from django.urls import path

from forums import views, views_chat

app_name = "forums"

urlpatterns = [
    path("", views.room_list, name="rooms"),
    path("nouvelle/", views.direct_new, name="direct_new"),
    path("recherche/", views.search, name="search"),
    path("preferences/", views.preferences, name="preferences"),
    path("salle/<uuid:room_id>/", views.room, name="room"),
    path("salle/<uuid:room_id>/anciens/", views.older, name="older"),
    path("salle/<uuid:room_id>/envoyer/", views.send, name="send"),
    path("salle/<uuid:room_id>/vocal/", views.voice, name="voice"),
    path("salle/<uuid:room_id>/vocal/brouillon/", views.voice_draft, name="voice_draft"),
    path("vocal/<uuid:draft_id>/", views.voice_draft_state, name="voice_draft_state"),
    path("salle/<uuid:room_id>/sujets/", views.forum, name="forum"),
    path("salle/<uuid:room_id>/sujets/nouveau/", views.thread_new, name="thread_new"),
    path("sujet/<uuid:thread_id>/", views.thread, name="thread"),
    path("message/<int:message_id>/", views.message_detail, name="message"),
    path("message/<int:message_id>/lien/", views_chat.permalink, name="permalink"),
    path("message/<int:message_id>/modifier/", views_chat.edit, name="edit"),
    path("message/<int:message_id>/supprimer/", views_chat.delete, name="delete"),
    path("message/<int:message_id>/reagir/", views_chat.react, name="react"),
    path("message/<int:message_id>/non-lu/", views_chat.unread, name="unread"),
    path("message/<int:message_id>/transcription/", views_chat.transcript_retry,
         name="transcript_retry"),
    path("message/<int:message_id>/signaler/", views.report, name="report"),
    path("message/<int:message_id>/masquer/", views.hide, name="hide"),
    path("message/<int:message_id>/silence/", views.mute, name="mute"),
    path("fichier/<uuid:attachment_id>/", views.attachment, name="attachment"),
    path("televersement-refuse/", views.upload_refused, name="upload_refused"),
]
