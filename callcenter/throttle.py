"""Login rate limiting: too many failed logins for one account from one address, or from one
address across accounts, lock further attempts for a while. Counts live in the cache (Redis on
the real stack, so every server process shares them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class LoginLimits:
    per_account: int  # failures of one username from one address
    per_address: int  # failures from one address, whatever the username
    window_s: int  # how long failures are remembered, and how long a lockout lasts


def login_limits() -> LoginLimits:
    return LoginLimits(
        per_account=settings.LOGIN_FAILURES_PER_ACCOUNT,
        per_address=settings.LOGIN_FAILURES_PER_ADDRESS,
        window_s=settings.LOGIN_LOCKOUT_S,
    )


def client_address(request: HttpRequest) -> str:
    """The client's IP: behind our reverse proxy the address it appended last, else the peer."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def _keys(username: str, address: str) -> tuple[str, str]:
    account = hashlib.sha256(f"{username.lower()}|{address}".encode()).hexdigest()[:32]
    return f"login-fail:acct:{account}", f"login-fail:addr:{address}"


def login_locked(*, username: str, address: str) -> bool:
    """True while this account from this address, or this address, has too many recent failures."""
    limits = login_limits()
    account_key, address_key = _keys(username, address)
    counts = cache.get_many([account_key, address_key])
    return (
        counts.get(account_key, 0) >= limits.per_account or counts.get(address_key, 0) >= limits.per_address
    )


def login_failure_record(*, username: str, address: str) -> None:
    limits = login_limits()
    for key in _keys(username, address):
        # add() starts the window; incr() counts within it without extending it.
        if not cache.add(key, 1, timeout=limits.window_s):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=limits.window_s)


def login_success_record(*, username: str, address: str) -> None:
    """A successful login clears the account's count (not the address's: other accounts' failures stand)."""
    cache.delete(_keys(username, address)[0])
