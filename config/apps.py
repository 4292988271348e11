"""The Django admin, wired to Agora's roles instead of the is_staff flag."""

from allauth.account.apps import AccountConfig
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop


class AgoraAdminConfig(AdminConfig):
    default_site = "config.admin.AgoraAdminSite"


class AgoraAllauthAccountConfig(AccountConfig):
    """allauth's accounts, named for what the admin shows of them (login addresses), so
    that the admin has no two « Comptes » sections (ours is « Personnes et accès »)."""

    verbose_name = _("Login addresses")


# Django's French for these reads « Ajout de assemblée », « Sélectionnez l'objet personne à
# changer »: the catalogue in locale/ (read before Django's own) words them « Ajouter :
# assemblée », « Choisir une fiche à modifier : personne ». Listed here so that
# ``make messages`` keeps them.
ADMIN_WORDING = [
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
    gettext_noop("Select %s to change"),
    gettext_noop("Select %s to view"),
]
