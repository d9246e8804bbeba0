from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CallcenterConfig(AppConfig):
    name = "callcenter"
    verbose_name = _("Call center")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from callcenter import signals

        # Later apps add permissions to roles; keep the groups in step after every migrate.
        post_migrate.connect(signals.roles_sync_after_migrate, dispatch_uid="callcenter.roles_sync")
        user_logged_in.connect(signals.preferences_load_on_login, dispatch_uid="callcenter.prefs")
