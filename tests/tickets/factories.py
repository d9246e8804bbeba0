"""Factories for CRM and ticketing test data; phone numbers are fictional (555-01xx)."""

from __future__ import annotations

from datetime import time

import factory
from django.utils import timezone

from tickets import models


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Customer
        skip_postgeneration_save = True

    name = factory.Faker("name")
    company = factory.Faker("company")

    @factory.post_generation
    def phones(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        """`CustomerFactory(phones=["+14155550123"])` adds E.164 numbers as given."""
        if create and extracted:
            for number in extracted:
                models.CustomerPhone.objects.create(customer=self, number=number)

    @factory.post_generation
    def emails(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create and extracted:
            for email in extracted:
                models.CustomerEmail.objects.create(customer=self, email=email.lower())


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Category
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Ticket

    subject = factory.Faker("sentence", nb_words=5)
    description = factory.Faker("paragraph")
    customer = factory.SubFactory(CustomerFactory)


class TicketCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.TicketComment

    ticket = factory.SubFactory(TicketFactory)
    body = factory.Faker("sentence")


class BusinessScheduleFactory(factory.django.DjangoModelFactory):
    """Monday to Friday, 09:00-17:00 in `time_zone`, unless `hours=False`."""

    class Meta:
        model = models.BusinessSchedule
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Schedule {n}")
    time_zone = "UTC"

    @factory.post_generation
    def hours(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            for weekday in range(5):
                models.BusinessHours.objects.create(
                    schedule=self, weekday=weekday, opens=time(9), closes=time(17)
                )


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Holiday

    name = "Holiday"


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    priority = models.Priority.NORMAL
    first_response_minutes = 60
    resolution_minutes = 480


class DispositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Disposition
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"disposition-{n}")
    label = factory.LazyAttribute(lambda d: d.code.replace("-", " ").capitalize())


class CallScriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CallScript
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Script {n}")

    @factory.post_generation
    def steps(self, create: bool, extracted: list[tuple[str, str]] | None, **kwargs: object) -> None:
        if create:
            for order, (title, body) in enumerate(extracted or [("Greet", "Thank the caller by name.")]):
                models.CallScriptStep.objects.create(script=self, order=order, title=title, body=body)


class CallbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Callback

    phone = "+14155550142"
    due_at = factory.LazyFunction(timezone.now)
