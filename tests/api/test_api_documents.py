"""``GET /api/v1/documents/{id}/file``: the original file, as an attachment, only to someone who may read
it, with a bearer token or a one-minute download ticket of a live login session; and
``GET /api/v1/documents/{id}/pages/{n}/image``, a PDF page as a PNG, under the same rules."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from support.data import SHARED_DATA

from assistant.api.app import create_api
from assistant.core.db import session_scope
from assistant.core.security import create_download_ticket, decode_access_token
from assistant.models import DocumentPage
from assistant.services.auth import service as auth
from assistant.services.rag.page_images import MEDIA_TYPE

CONTENT = b"%PDF-1.4\n<html><script>alert(1)</script></html>\n"


@pytest.fixture
def client(db):
    with TestClient(create_api()) as test_client:
        yield test_client


@pytest.fixture
def owner_with_file(make_user, make_document, sign_in):
    """A user, their signed-in tokens and a document whose stored file is :data:`CONTENT`."""
    owner = make_user(email="owner@example.com")
    document = make_document(owner, filename="Lab ü 2024.pdf", content=CONTENT, media_type="application/pdf")
    return owner, sign_in("owner@example.com"), document


def url(document_id) -> str:
    return f"/api/v1/documents/{document_id}/file"


def ticket_for(tokens, document_id, **kwargs) -> str:
    claims = decode_access_token(tokens.access_token)
    return create_download_ticket(user_id=claims.user_id, session_id=claims.session_id, resource_id=document_id,
                                  **kwargs)


def test_the_owner_downloads_the_original_as_an_attachment(client, owner_with_file):
    _, tokens, document = owner_with_file

    for response in (client.get(url(document.id), headers={"Authorization": f"Bearer {tokens.access_token}"}),
                     client.get(url(document.id), params={"ticket": ticket_for(tokens, document.id)})):
        assert response.status_code == 200
        assert response.content == CONTENT
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith("attachment;")
        assert "Lab%20%C3%BC%202024.pdf" in response.headers["content-disposition"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"].startswith("sandbox")


def test_without_credentials_the_file_is_refused(client, owner_with_file):
    _, _, document = owner_with_file

    response = client.get(url(document.id))

    assert response.status_code == 401 and response.content != CONTENT


def test_another_user_gets_not_found_with_a_token_or_their_own_ticket(client, owner_with_file, make_user, sign_in):
    _, owner_tokens, document = owner_with_file
    make_user(email="other@example.com")
    other = sign_in("other@example.com")

    by_token = client.get(url(document.id), headers={"Authorization": f"Bearer {other.access_token}"})
    by_ticket = client.get(url(document.id), params={"ticket": ticket_for(other, document.id)})
    missing = client.get(url(uuid.uuid4()), headers={"Authorization": f"Bearer {other.access_token}"})

    assert by_token.status_code == by_ticket.status_code == missing.status_code == 404
    assert by_token.json() == missing.json()  # the same answer as for a document that does not exist


def test_a_ticket_opens_only_its_own_document(client, owner_with_file, make_document):
    owner, tokens, document = owner_with_file
    second = make_document(owner, content=b"second file")

    response = client.get(url(second.id), params={"ticket": ticket_for(tokens, document.id)})

    assert response.status_code == 404


@pytest.mark.parametrize("forge", ["expired", "access_token", "tampered", "logged_out"])
def test_a_bad_ticket_is_refused(client, owner_with_file, forge):
    _, tokens, document = owner_with_file
    if forge == "expired":
        ticket = ticket_for(tokens, document.id, now=datetime.now(UTC) - timedelta(minutes=2))
    elif forge == "access_token":
        ticket = tokens.access_token  # another audience: an access token is no ticket
    elif forge == "tampered":
        head, body, signature = ticket_for(tokens, document.id).split(".")
        ticket = f"{head}.{body}.{signature[::-1]}"
    else:
        ticket = ticket_for(tokens, document.id)
        with session_scope() as session:
            auth.logout(session=session, refresh_token=tokens.refresh_token)

    response = client.get(url(document.id), params={"ticket": ticket})

    assert response.status_code == 401 and response.content != CONTENT


def test_a_pdf_page_image_goes_to_the_owner_only(client, make_user, make_document, sign_in):
    owner = make_user(email="reader@example.com")
    tokens = sign_in("reader@example.com")
    pdf = make_document(owner, filename="diet.pdf", content=SHARED_DATA / "pdfs/health/WHO_EMRO_Healthy-diet_2019.pdf",
                        media_type="application/pdf")
    note = make_document(owner, content=b"Blood pressure 120/80.")
    with session_scope() as session:
        session.add(DocumentPage(document_id=pdf.id, ord=0, number=1, text="Healthy diet"))
        session.add(DocumentPage(document_id=note.id, ord=0, number=1, text="Blood pressure 120/80."))
    make_user(email="stranger@example.com")
    stranger = sign_in("stranger@example.com")

    def image(document_id, number=1, token=None, **params):
        return client.get(f"/api/v1/documents/{document_id}/pages/{number}/image", params=params,
                          headers={"Authorization": f"Bearer {token}"} if token else {})

    for response in (image(pdf.id, token=tokens.access_token), image(pdf.id, ticket=ticket_for(tokens, pdf.id))):
        assert response.status_code == 200
        assert response.headers["content-type"] == MEDIA_TYPE
        assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"].startswith("private")
    assert image(pdf.id).status_code == 401
    refused = (image(pdf.id, token=stranger.access_token), image(pdf.id, ticket=ticket_for(stranger, pdf.id)),
               image(pdf.id, ticket=ticket_for(tokens, note.id)))
    missing = image(uuid.uuid4(), token=stranger.access_token)
    assert {r.status_code for r in refused} == {missing.status_code} == {404}
    assert all(r.json() == missing.json() for r in refused)
    assert image(pdf.id, number=2, token=tokens.access_token).status_code == 404  # no such stored page
    assert image(note.id, token=tokens.access_token).status_code == 404  # not a PDF: no image
