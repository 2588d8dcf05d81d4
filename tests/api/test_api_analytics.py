"""``GET /api/v1/analytics/{table}.csv``: one table of the analytics page as a CSV attachment, only for an
admin (bearer token or a one-minute download ticket for that table), the same rows as the service."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from support.analytics_data import FORMULA_TOOL, TIMEZONE, seed

from assistant.api.app import create_api
from assistant.core.security import create_download_ticket, decode_access_token
from assistant.services.analytics import instance
from assistant.services.analytics.export import csv_resource_id
from assistant.services.analytics.tables import safe_cell


@pytest.fixture
def client(db):
    with TestClient(create_api()) as test_client:
        yield test_client


@pytest.fixture
def seeded(make_user):
    return seed(make_user)


def ticket_for(tokens, key: str) -> str:
    claims = decode_access_token(tokens.access_token)
    return create_download_ticket(user_id=claims.user_id, session_id=claims.session_id,
                                  resource_id=csv_resource_id(key))


def params(seeded, **extra) -> dict[str, str]:
    return {"start": seeded.period.start.isoformat(), "end": seeded.period.end.isoformat(), "tz": TIMEZONE} | extra


def test_an_admin_downloads_every_table_with_the_services_rows(client, call, seeded, sign_in):
    tokens = sign_in("admin@example.com")
    for key in instance.TABLES:
        expected = call(instance.table, user=seeded.admin, key=key, period=seeded.period)
        response = client.get(f"/api/v1/analytics/{key}.csv", params=params(seeded, ticket=ticket_for(tokens, key)))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert response.headers["content-disposition"].startswith("attachment;")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "private, no-store"
        read = list(csv.reader(io.StringIO(response.text)))
        assert read[0] == list(expected.columns)
        assert read[1:] == [[safe_cell(value) for value in row] for row in expected.rows]
    tools = client.get("/api/v1/analytics/tool_calls.csv", params=params(seeded),
                       headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert [f"'{FORMULA_TOOL}", "1"] in list(csv.reader(io.StringIO(tools.text)))


def test_a_non_admin_is_refused_with_a_token_or_a_ticket(client, seeded, sign_in):
    tokens = sign_in("alice@example.com")
    bearer = client.get("/api/v1/analytics/messages_per_day.csv", params=params(seeded),
                        headers={"Authorization": f"Bearer {tokens.access_token}"})
    ticket = client.get("/api/v1/analytics/messages_per_day.csv",
                        params=params(seeded, ticket=ticket_for(tokens, "messages_per_day")))
    assert (bearer.status_code, ticket.status_code) == (403, 403)
    assert "day" not in bearer.text and "day" not in ticket.text
    anonymous = client.get("/api/v1/analytics/messages_per_day.csv", params=params(seeded))
    assert anonymous.status_code == 401


def test_a_ticket_for_one_table_does_not_open_another(client, seeded, sign_in):
    tokens = sign_in("admin@example.com")
    response = client.get("/api/v1/analytics/tokens_by_model.csv",
                          params=params(seeded, ticket=ticket_for(tokens, "messages_per_day")))
    assert response.status_code == 404


def test_a_ten_year_range_is_clamped_and_a_bad_one_refused(client, seeded, sign_in):
    headers = {"Authorization": f"Bearer {sign_in('admin@example.com').access_token}"}
    end = seeded.period.end
    wide = client.get("/api/v1/analytics/messages_per_day.csv", headers=headers,
                      params=params(seeded, start=(end - timedelta(days=3650)).isoformat()))
    assert wide.status_code == 200
    days = [row[0] for row in csv.reader(io.StringIO(wide.text))][1:]
    assert (len(days), days[0], days[-1]) == (366, (end - timedelta(days=365)).isoformat(), end.isoformat())
    backwards = client.get("/api/v1/analytics/messages_per_day.csv", headers=headers,
                           params=params(seeded, start=end.isoformat(), end=(end - timedelta(days=1)).isoformat()))
    assert backwards.status_code == 422 and backwards.json()["code"] == "analytics.bad_range"
    unknown = client.get("/api/v1/analytics/users.csv", headers=headers, params=params(seeded))
    assert unknown.status_code == 404
