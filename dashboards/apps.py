from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    """Home pages and dashboards: they read every domain app and write nothing.

    A separate app because they sit on top of all the others: ``assembly`` may not import
    the apps built on it (forums, documents, deliberation), and a facilitator's or the
    DCCU's day spans all of them. No models, so no privacy declarations.
    """

    name = "dashboards"
    verbose_name = _("Home pages and dashboards")
