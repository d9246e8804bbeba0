"""Operator pages of telephony: feed sources and the quarantine."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from callcenter.permissions import page_permission_required
from telephony import selectors


@page_permission_required("callcenter.use_admin_console")
def feeds(request: HttpRequest) -> HttpResponse:
    context = {"feeds": selectors.feed_status_list(), "quarantine": selectors.quarantine_recent()}
    return render(request, "telephony/feeds.html", context)
