from __future__ import annotations

from datetime import time

import factory

from agents.models import AgentProfile, ShiftTemplate, Team
from tests.callcenter.factories import UserFactory


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if create and extracted:
            self.members.add(*extracted)


class AgentProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentProfile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory, roles=["agent"])
    code = factory.LazyAttribute(lambda profile: profile.user.username)


class ShiftTemplateFactory(factory.django.DjangoModelFactory):
    """Early: 08:00 for 8 h 30 min with a 15-minute break at 2 h and a 30-minute lunch at 4 h."""

    class Meta:
        model = ShiftTemplate
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Shift {n}")
    start_time = time(8, 0)
    length_minutes = 510
    breaks = factory.LazyFunction(
        lambda: [
            {"kind": "break", "offset_minutes": 120, "minutes": 15},
            {"kind": "lunch", "offset_minutes": 240, "minutes": 30},
        ]
    )
