"""The Django admin, wired to Agora's roles instead of the is_staff flag."""

from django.contrib.admin.apps import AdminConfig


class AgoraAdminConfig(AdminConfig):
    default_site = "config.admin.AgoraAdminSite"
