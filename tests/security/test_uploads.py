"""Uploads: recordings (WAV/MP3 by content, size limit, QA and admins) and customer CSV imports (UTF-8,
documented columns, size and row limits, every bad row by line, all or nothing, duplicates skipped)."""

from __future__ import annotations

import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from telephony.models import Call, CallEvent
from tests.tickets.factories import CustomerFactory
from tickets.models import Customer, CustomerEvent


def wav_bytes(seconds: float = 1.0, rate: int = 8000) -> bytes:
    frames = b"\x00\x01" * int(seconds * rate)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = b"WAVEfmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"data" + struct.pack("<I", len(frames)) + frames
    return b"RIFF" + struct.pack("<I", len(body)) + body


MP3_FRAME = bytes([0xFF, 0xFB, 0x90, 0x64]) + b"\x00" * 413  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz


def _post_recording(client: Client, call: Call, content: bytes, name: str = "rec.wav", **extra):
    upload = SimpleUploadedFile(name, content, content_type="audio/wav")
    return client.post(f"/api/telephony/calls/{call.pk}/recording", {"file": upload}, **extra)


# --- recordings ------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["qa", "admin"])
def test_qa_and_admins_upload_a_wav_and_it_plays(client, personas, fed_call, media, persona):
    client.force_login(personas[persona])
    response = _post_recording(client, fed_call, wav_bytes(2.0))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "wav" and body["duration_s"] == 2.0
    call = Call.objects.get(pk=fed_call.pk)
    assert call.recording_url.startswith("recordings/uploads/") and call.recording_url.endswith(".wav")
    assert (media / call.recording_url).read_bytes() == wav_bytes(2.0)
    assert call.answered_at == fed_call.answered_at  # the rest of the summary is as it was
    played = client.get(body["recording"])
    assert played.status_code == 200 and b"".join(played.streaming_content)[:4] == b"RIFF"


def test_an_mp3_is_stored_as_mp3_whatever_its_name(client, qa, fed_call, media):
    client.force_login(qa)
    response = _post_recording(client, fed_call, MP3_FRAME * 3, name="call.wav")
    assert response.status_code == 201, response.content
    assert response.json()["kind"] == "mp3"
    assert Call.objects.get(pk=fed_call.pk).recording_url.endswith(".mp3")


def test_the_upload_is_a_feed_event_so_re_derivation_keeps_it(client, qa, fed_call):
    client.force_login(qa)
    assert _post_recording(client, fed_call, wav_bytes()).status_code == 201
    event = CallEvent.objects.get(call_id=fed_call.call_id, type="recording.ready")
    assert event.data["uploaded_by"] == "quinn"


@pytest.mark.parametrize(
    "content",
    [
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00" + b"\x00" * 200,  # a Windows executable named .wav
        b"RIFF\x10\x00\x00\x00AVI LIST",  # RIFF, but a video
        b"ID",  # too short to be anything
    ],
)
def test_a_file_not_audio_by_content_is_refused_though_named_wav(client, qa, fed_call, media, content):
    client.force_login(qa)
    response = _post_recording(client, fed_call, content, name="recording.wav")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_type"
    assert Call.objects.get(pk=fed_call.pk).recording_url == ""
    assert not list(media.rglob("*.*"))


def test_a_wav_header_without_audio_is_refused(client, qa, fed_call, media):
    client.force_login(qa)
    response = _post_recording(client, fed_call, b"RIFF\x04\x00\x00\x00WAVEjunkjunk")
    assert response.status_code == 400
    assert "no playable audio" in response.json()["error"]["message"]


def test_an_empty_file_and_a_missing_file_are_400(client, qa, fed_call):
    client.force_login(qa)
    assert _post_recording(client, fed_call, b"").status_code == 400
    assert client.post(f"/api/telephony/calls/{fed_call.pk}/recording", {}).status_code == 400


def test_a_recording_over_the_limit_is_413_and_nothing_is_kept(client, qa, fed_call, media, settings):
    settings.RECORDING_UPLOAD_MAX_BYTES = 40_000
    client.force_login(qa)
    response = _post_recording(client, fed_call, wav_bytes(3.0))  # 48 kB
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert Call.objects.get(pk=fed_call.pk).recording_url == ""
    assert not list(media.rglob("*.*"))


def test_a_recording_for_a_missing_call_is_404(client, qa, media):
    client.force_login(qa)
    upload = SimpleUploadedFile("r.wav", wav_bytes())
    assert client.post("/api/telephony/calls/999999/recording", {"file": upload}).status_code == 404


@pytest.mark.parametrize("persona", ["agent", "supervisor"])
def test_agents_and_supervisors_may_not_upload_recordings(client, personas, fed_call, persona):
    client.force_login(personas[persona])
    assert _post_recording(client, fed_call, wav_bytes()).status_code == 403
    assert Call.objects.get(pk=fed_call.pk).recording_url == ""


def test_anonymous_recording_upload_is_401(client, fed_call):
    assert _post_recording(client, fed_call, wav_bytes()).status_code == 401


def test_an_uploaded_recording_is_heard_only_by_those_who_may(client, qa, other_agent, fed_call):
    client.force_login(qa)
    url = _post_recording(client, fed_call, wav_bytes()).json()["recording"]
    client.force_login(other_agent)
    assert client.get(url).status_code == 403


# --- customer CSV import ---------------------------------------------------------------------------
GOOD_CSV = (
    "name,company,phones,emails,tags,notes,consent_sms\n"
    "Ann Example,Acme,+14155550101;+14155550102,ann@example.com,vip;west,Likes mornings,yes\n"
    'Bo Sample,,(415) 555-0103,,,"Two lines,\nof notes",\n'
    "Cy Person,Widgets,,cy@example.com,,,no\n"
)


def _csv(text: str | bytes, name: str = "customers.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text, content_type="text/csv")


def _import(client: Client, text: str | bytes, name: str = "customers.csv"):
    return client.post("/api/customers/import", {"file": _csv(text, name)})


@pytest.mark.parametrize("persona", ["supervisor", "admin"])
def test_supervisors_and_admins_import_customers(client, personas, persona):
    client.force_login(personas[persona])
    response = _import(client, GOOD_CSV)
    assert response.status_code == 200, response.content
    assert response.json() == {"rows": 3, "created": 3, "duplicates": 0, "duplicate_lines": []}
    ann = Customer.objects.get(name="Ann Example")
    assert sorted(ann.phones.values_list("number", flat=True)) == ["+14155550101", "+14155550102"]
    assert list(ann.emails.values_list("email", flat=True)) == ["ann@example.com"]
    assert sorted(ann.tags.values_list("name", flat=True)) == ["vip", "west"]
    assert ann.consent_sms is True and ann.consent_calls is True
    bo = Customer.objects.get(name="Bo Sample")
    assert bo.notes == "Two lines,\nof notes"
    assert list(bo.phones.values_list("number", flat=True)) == ["+14155550103"]  # normalised like the CRM
    assert CustomerEvent.objects.filter(kind="created", actor=personas[persona]).count() == 3


def test_importing_the_same_file_twice_adds_nothing_the_second_time(client, supervisor):
    client.force_login(supervisor)
    assert _import(client, GOOD_CSV).json()["created"] == 3
    again = _import(client, GOOD_CSV).json()
    assert again == {"rows": 3, "created": 0, "duplicates": 3, "duplicate_lines": [2, 3, 5]}
    assert Customer.objects.count() == 3


def test_a_row_whose_phone_or_email_a_customer_has_is_skipped_and_counted(client, supervisor):
    CustomerFactory(name="Known", phones=["+14155550101"])
    client.force_login(supervisor)
    text = "name,phones,emails\nAnn,4155550101,\nAnn again,,a@example.com\nAnn twice,,A@example.com\n"
    body = _import(client, text).json()
    assert body["created"] == 1 and body["duplicates"] == 2 and body["duplicate_lines"] == [2, 4]


def test_a_partly_bad_file_writes_nothing_and_names_every_bad_row_by_line(client, supervisor):
    client.force_login(supervisor)
    text = (
        "name,phones,emails,consent_calls\n"
        "Good One,+14155550101,,\n"
        ",+14155550102,,\n"  # no name
        "Bad Phone,12,,\n"
        "Bad Mail,,not-an-email,\n"
        "Bad Consent,+14155550104,,maybe\n"
        "Short row,+14155550105\n"
        "Good Two,+14155550106,,\n"
    )
    response = _import(client, text)
    assert response.status_code == 400
    rows = response.json()["error"]["fields"]["rows"]
    assert [row["line"] for row in rows] == [3, 4, 5, 6, 7]
    assert set(rows[0]["errors"]) == {"name"}
    assert set(rows[1]["errors"]) == {"phones"} and "12" in rows[1]["errors"]["phones"][0]
    assert set(rows[2]["errors"]) == {"emails"}
    assert set(rows[3]["errors"]) == {"consent_calls"}
    assert set(rows[4]["errors"]) == {"row"}
    assert Customer.objects.count() == 0 and CustomerEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "file"),  # DRF: "The submitted file is empty."
        ("name,phones\n", "no customers"),
        ("name,phone_number\nAnn,+14155550101\n", "Unknown columns: phone_number"),
        ("company,phones\nAcme,+14155550101\n", "needs a “name” column"),
        ("name,name,phones\nA,B,+14155550101\n", "appears twice"),
        ('name,phones\n"Ann,+14155550101\n', "not valid CSV"),
        ("name,phones\nAnn,+14155550101\n".encode("utf-16"), "binary"),
        ("name,phones\nJos\xe9,+14155550101\n".encode("latin-1"), "not UTF-8 text (line 2)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ],
)
def test_a_file_that_is_not_a_customer_csv_is_refused_with_a_reason(client, supervisor, content, message):
    client.force_login(supervisor)
    response = _import(client, content)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert Customer.objects.count() == 0


def test_a_utf8_file_with_a_byte_order_mark_and_non_latin_names_imports(client, supervisor):
    client.force_login(supervisor)
    content = "\ufeffname,phones\nمریم رضایی,+989121234567\n".encode()
    assert _import(client, content).json()["created"] == 1
    assert Customer.objects.get().name == "مریم رضایی"


def test_a_csv_over_the_size_limit_is_413(client, supervisor, settings):
    settings.CUSTOMER_IMPORT_MAX_BYTES = 100
    client.force_login(supervisor)
    response = _import(client, GOOD_CSV * 2)
    assert response.status_code == 413
    assert Customer.objects.count() == 0


def test_a_csv_over_the_row_limit_is_413(client, supervisor, settings):
    settings.CUSTOMER_IMPORT_MAX_ROWS = 2
    client.force_login(supervisor)
    response = _import(client, GOOD_CSV)
    assert response.status_code == 413
    assert "more than 2 customers" in response.json()["error"]["message"]
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("persona", ["agent", "qa"])
def test_agents_and_qa_may_not_import_customers(client, personas, persona):
    client.force_login(personas[persona])
    assert _import(client, GOOD_CSV).status_code == 403
    assert client.get("/customers/import/").status_code == 403
    assert Customer.objects.count() == 0


def test_the_import_page_shows_the_result(client, supervisor):
    client.force_login(supervisor)
    page = client.get("/customers/import/")
    assert page.status_code == 200 and b"consent_recording" in page.content
    response = client.post("/customers/import/", {"file": _csv(GOOD_CSV)})
    assert response.status_code == 200
    assert "3 customers added; 0 rows skipped" in response.content.decode()


def test_the_import_page_lists_bad_rows_by_line_and_writes_nothing(client, supervisor):
    client.force_login(supervisor)
    response = client.post("/customers/import/", {"file": _csv("name,phones\nAnn,12\n<b>x</b>,+1415\n")})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<td>2</td><td>phones</td>" in html and "<td>3</td><td>phones</td>" in html
    assert "<b>x</b>" not in html
    assert Customer.objects.count() == 0


def test_the_import_page_refuses_a_file_over_the_limit_with_413(client, supervisor, settings):
    settings.CUSTOMER_IMPORT_MAX_BYTES = 10
    client.force_login(supervisor)
    response = client.post("/customers/import/", {"file": _csv(GOOD_CSV)})
    assert response.status_code == 413
    assert Customer.objects.count() == 0


def test_import_takes_a_bounded_number_of_queries(client, supervisor, django_assert_max_num_queries):
    client.force_login(supervisor)
    rows = "".join(f"Person {i},+1415555{i:04d},p{i}@example.com,t{i % 3}\n" for i in range(200))
    with django_assert_max_num_queries(30):
        response = _import(client, "name,phones,emails,tags\n" + rows)
    assert response.json()["created"] == 200
