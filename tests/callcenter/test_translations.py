"""The Persian catalogue ships complete, and the compiled file matches its source."""

import gettext
from pathlib import Path

import polib
from django.utils import translation

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "fa" / "LC_MESSAGES"


def test_every_persian_message_is_translated():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []


def test_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(CATALOGUE / "django.po"))
    with (CATALOGUE / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [entry.msgid for entry in po.translated_entries() if _compiled(compiled, entry) != _source(entry)]
    assert stale == [], "run `make messages` to recompile"


def _source(entry: polib.POEntry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[0], entry.msgstr_plural[1]]
    return [entry.msgstr]


def _compiled(compiled: gettext.GNUTranslations, entry: polib.POEntry) -> list[str]:
    # A plural entry has no msgstr of its own: compare each form (Persian: n > 1 is the plural).
    if entry.msgid_plural:
        return [compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)]
    if entry.msgctxt:
        return [compiled.pgettext(entry.msgctxt, entry.msgid)]
    return [compiled.gettext(entry.msgid)]


def test_role_names_are_translated():
    from callcenter.roles import ROLE_LABELS, Role

    with translation.override("fa"):
        assert str(ROLE_LABELS[Role.SUPERVISOR]) == "سرپرست"
