import pytest

from callcenter.phones import InvalidPhoneNumberError, phone_normalize


def test_national_number_uses_the_default_region(settings):
    settings.DEFAULT_REGION = "US"
    assert phone_normalize("(415) 555-2671") == "+14155552671"


def test_number_with_country_code_keeps_it(settings):
    settings.DEFAULT_REGION = "US"
    assert phone_normalize("+98 912 345 6789") == "+989123456789"


def test_iranian_default_region(settings):
    settings.DEFAULT_REGION = "IR"
    assert phone_normalize("0912 345 6789") == "+989123456789"


@pytest.mark.parametrize("raw", ["", "hello", "123"])
def test_bad_numbers_say_what_is_wrong(raw):
    with pytest.raises(InvalidPhoneNumberError) as error:
        phone_normalize(raw)
    assert error.value.message
