"""QA leads: members of the qa role who are also in the QA lead group (see callcenter.roles)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from callcenter.errors import ApplicationError
from callcenter.roles import QA_LEAD_GROUP, QA_LEAD_PERMISSIONS, Role
from qa.services.common import require_lead


@transaction.atomic
def qa_lead_group_sync() -> Group:
    """Make the QA lead group exist and hold exactly QA_LEAD_PERMISSIONS; safe to run any time."""
    wanted = Q(pk__in=[])
    for spec in QA_LEAD_PERMISSIONS:
        app_label, codename = spec.split(".", 1)
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    group, _created = Group.objects.get_or_create(name=QA_LEAD_GROUP)
    group.permissions.set(Permission.objects.filter(wanted))
    return group


@transaction.atomic
def qa_lead_set(*, actor: AbstractBaseUser, user: AbstractBaseUser, lead: bool) -> AbstractBaseUser:
    """Flag a QA analyst as a QA lead, or take the flag away (QA leads and admins may)."""
    require_lead(actor)
    group = qa_lead_group_sync()
    if lead:
        if not user.groups.filter(name=Role.QA.value).exists():
            raise ApplicationError(
                _("Only a member of the QA role can be a QA lead; give them the role first."),
                fields={"user": [_("Not in the QA role.")]},
            )
        user.groups.add(group)
    else:
        if (
            user.pk == actor.pk
            and not actor.is_superuser
            and not actor.has_perm("callcenter.use_admin_console")
        ):
            raise ApplicationError(_("You cannot take away your own QA lead flag; ask another lead."))
        user.groups.remove(group)
    return user
