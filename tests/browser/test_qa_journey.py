"""The QA loop in a real browser on the real server: a sampled call lands in the analyst's queue;
they play the recording (served with Range requests), comment at a moment, score it and submit; the
agent sees the score and disputes it; a QA lead rescores it, and the timeline tells the story."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from qa.models import Evaluation, EvaluationStatus
from qa.services.sampling import calls_sample
from telephony.recordings import recording_write_wav
from tests.agents.factories import TeamFactory
from tests.browser.servers import asgi_server
from tests.callcenter.factories import PASSWORD
from tests.qa.factories import CallFactory, make_scorecard, qa_lead


def _login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("who")).to_be_visible()


def _logout(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def _shot(page: Page, name: str) -> None:
    if os.environ.get("QA_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["QA_SCREENSHOTS"], f"{name}.png"), full_page=True)


def _answer(page: Page, question: str, value: str) -> None:
    page.locator("[data-question]", has_text=question).get_by_label(value, exact=True).check()


@pytest.mark.django_db(transaction=True)
def test_qa_scores_a_call_the_agent_disputes_and_the_lead_rescores(
    page: Page, qa, agent, supervisor, tmp_path, monkeypatch, settings
):
    media = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(media))  # the server process reads it at start
    settings.MEDIA_ROOT = media
    lead = qa_lead()
    TeamFactory(name="Front line", supervisor=supervisor, members=[agent])
    make_scorecard(actor=lead)
    seconds = recording_write_wav(media / "recordings" / "pbx1" / "unhappy.wav", duration_s=8, seed=7)
    CallFactory(
        agent=agent,
        call_id="unhappy",
        at=timezone.now() - timedelta(hours=1),
        csat=1,
        recording_url="recordings/pbx1/unhappy.wav",
        recording_duration_s=seconds,
    )
    assert calls_sample(now=timezone.now()).created == 1
    evaluation = Evaluation.objects.get()
    assert evaluation.evaluator == qa  # the analyst with the fewest open items, then the first

    ranges: list[int] = []
    page.on("response", lambda r: ranges.append(r.status) if "/recording" in r.url else None)

    with asgi_server() as base:
        # --- the analyst ------------------------------------------------------------------------
        _login(page, base, qa.username)
        expect(page).to_have_url(re.compile(r"/qa/$"))
        page.get_by_test_id(f"open-{evaluation.pk}").click()
        # The player's script has run once it shows its state: a click before would do nothing.
        expect(page.get_by_test_id("player")).to_have_attribute("data-state", "paused")
        page.get_by_test_id("play").click()
        audio = page.get_by_test_id("audio")
        expect(page.get_by_test_id("player")).to_have_attribute("data-state", "playing", timeout=15_000)
        page.wait_for_function("document.querySelector('[data-audio]').currentTime > 0.3", timeout=15_000)
        page.get_by_test_id("speed-2").click()
        assert audio.evaluate("a => a.playbackRate") == 2
        expect(page.get_by_test_id("speed-2")).to_have_attribute("aria-pressed", "true")
        page.get_by_test_id("play").click()  # pause
        expect(page.get_by_test_id("player")).to_have_attribute("data-state", "paused")
        assert 206 in ranges, ranges  # the browser fetched the audio by ranges

        page.get_by_test_id("seek").fill("500")  # half way
        assert abs(audio.evaluate("a => a.currentTime") - seconds / 2) < 1
        page.get_by_label("Comment", exact=True).fill("No identity check before the account details")
        expect(page.get_by_label("At", exact=True)).not_to_have_value("")
        page.get_by_role("button", name="Add").click()
        timecode = page.get_by_test_id("timecode")
        expect(timecode).to_have_count(1)
        timecode.click()  # jumps the player to that moment and plays
        page.wait_for_function("!document.querySelector('[data-audio]').paused", timeout=10_000)
        page.get_by_test_id("play").click()

        _answer(page, "Greeted the caller by name", "Yes")
        _answer(page, "Verified the caller's identity", "No")
        _answer(page, "Solved the problem", "3")
        expect(page.get_by_test_id("score")).to_have_text("0.0 %")  # live: the auto-fail zeroes it
        page.get_by_test_id("submit").click()
        expect(page.get_by_role("status").first).to_contain_text("Submitted")
        expect(page.get_by_test_id("auto-fail")).to_contain_text("Verified the caller's identity")
        _shot(page, "evaluation-submitted")
        _logout(page)

        # --- the agent --------------------------------------------------------------------------
        _login(page, base, agent.username)
        page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Evaluations").click()
        expect(page.get_by_test_id("evaluations")).to_contain_text("0.0 %")
        page.get_by_test_id(f"open-{evaluation.pk}").click()
        expect(page.get_by_test_id("comments")).to_contain_text("No identity check")
        page.get_by_label("Disagree? Say why").fill("I asked for the postcode at the start of the call.")
        page.get_by_test_id("dispute-submit").click()
        expect(page.get_by_test_id("dispute")).to_contain_text("I asked for the postcode")
        _logout(page)

        # --- the QA lead ------------------------------------------------------------------------
        _login(page, base, lead.username)
        page.goto(f"{base}/qa/disputes/")
        page.get_by_test_id(f"dispute-{evaluation.pk}").click()
        expect(page.get_by_test_id("resolve-form")).to_be_visible()
        _answer(page, "Verified the caller's identity", "Yes")
        expect(page.get_by_test_id("score")).not_to_have_text("0.0 %")
        page.get_by_label("Resolution note for the agent").fill("Confirmed at 0:04: the postcode was asked.")
        page.get_by_test_id("rescore").click()
        expect(page.get_by_test_id("resolution")).to_contain_text("Confirmed at 0:04")
        timeline = page.get_by_test_id("timeline")
        expect(timeline).to_contain_text("disputed the score")
        expect(timeline).to_contain_text("rescored it")
        _shot(page, "evaluation-resolved")

    evaluation.refresh_from_db()
    assert evaluation.status == EvaluationStatus.RESOLVED
    assert evaluation.score == pytest.approx(100 * (1 + 1 + 3 * 3 / 4) / 5)
