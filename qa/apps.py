from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _lead_group_sync(sender: AppConfig, **kwargs: object) -> None:
    from qa.services.leads import qa_lead_group_sync

    # Runs after auth has created this app's permissions (its receiver was connected first).
    qa_lead_group_sync()


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = _("Quality assurance")

    def ready(self) -> None:
        post_migrate.connect(_lead_group_sync, sender=self, dispatch_uid="qa.lead_group_sync")
