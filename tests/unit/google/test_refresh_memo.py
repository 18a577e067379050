"""The refresh memo against the emulator's token endpoint (over loopback HTTP)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from gcal.errors import OAuthError, ReauthorizationRequiredError
from gcal.google import refresh_memo
from gcal.google.oauth import OAuthClient

ALICE = "alice@example.com"
CLIENT = OAuthClient("memo-client", "memo-secret")


@pytest.fixture
def emu(server, monkeypatch):
    server.reset()
    server.add_user(ALICE, time_zone="Europe/Berlin")
    server.register_client(CLIENT.client_id, CLIENT.client_secret)
    monkeypatch.setenv("GOOGLE_CALENDAR_EMULATOR_HOST", server.host)
    refresh_memo.clear()
    yield server
    refresh_memo.clear()


def token_requests(emu) -> int:
    return sum(1 for r in emu.requests if r.method == "POST" and r.path == "/token")


def test_a_repeated_refresh_is_answered_from_memory_while_the_token_lasts(emu):
    grant = emu.issue_refresh_token(ALICE, CLIENT.client_id)
    first = refresh_memo.refresh(CLIENT, grant)
    assert refresh_memo.refresh(CLIENT, grant) == first
    assert token_requests(emu) == 1
    # Less than MIN_REMAINING_SECONDS left: Google is asked again.
    late = first.expires_at - refresh_memo.MIN_REMAINING_SECONDS + 1
    again = refresh_memo.refresh(CLIENT, grant, clock=lambda: late)
    assert again.access_token != first.access_token and token_requests(emu) == 2


def test_the_secret_and_the_grant_are_part_of_the_key_but_never_kept(emu):
    grant = emu.issue_refresh_token(ALICE, CLIENT.client_id)
    refresh_memo.refresh(CLIENT, grant)
    with pytest.raises(OAuthError):  # a wrong secret never rides on a remembered token
        refresh_memo.refresh(OAuthClient(CLIENT.client_id, "wrong-secret"), grant)
    keys = " ".join(refresh_memo._tokens._items) + " ".join(refresh_memo._refused._items)
    for secret in (grant, CLIENT.client_secret, CLIENT.client_id):
        assert secret not in keys


def test_concurrent_refreshes_of_one_grant_make_one_request(emu):
    grant = emu.issue_refresh_token(ALICE, CLIENT.client_id)
    with ThreadPoolExecutor(max_workers=8) as pool:
        tokens = set(pool.map(lambda _: refresh_memo.refresh(CLIENT, grant).access_token,
                              range(8)))
    assert len(tokens) == 1 and token_requests(emu) == 1


def test_a_refused_grant_is_refused_from_memory(emu):
    grant = emu.issue_refresh_token(ALICE, CLIENT.client_id)
    emu.revoke_user_tokens(ALICE)
    for _ in range(5):
        with pytest.raises(ReauthorizationRequiredError):
            refresh_memo.refresh(CLIENT, grant)
    assert token_requests(emu) == 1


def test_a_refused_access_token_is_forgotten(emu):
    grant = emu.issue_refresh_token(ALICE, CLIENT.client_id)
    first = refresh_memo.refresh(CLIENT, grant)
    refresh_memo.forget_access_token(first.access_token)
    assert refresh_memo.refresh(CLIENT, grant).access_token != first.access_token
    assert token_requests(emu) == 2


def test_memory_is_bounded():
    assert refresh_memo._tokens.max_items == refresh_memo.MAX_GRANTS
    assert refresh_memo._refused.ttl == refresh_memo.REFUSAL_MEMORY_SECONDS
