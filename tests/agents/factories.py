from __future__ import annotations

import factory

from agents.models import AgentProfile, Team
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
