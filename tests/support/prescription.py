"""A prescription-like PDF rendered with WeasyPrint and ingested for real (extraction, chunks, embeddings), for
the tests of medication reminders proposed from a document: page 1 names the clinic and the patient, page 2
holds the prescription."""

from __future__ import annotations

import hashlib
import uuid

from weasyprint import HTML

from assistant.core.config import get_settings
from assistant.core.db import session_scope
from assistant.models import Document, User
from assistant.services.rag import ingest
from assistant.services.rag.paths import document_path

PRESCRIPTION = """
<html><body style="font-family: sans-serif">
<h1>City Clinic</h1><p>Patient: Anna Smith. Date of issue: 2 December 2026. Physician: Dr. P. Novak.</p>
<p style="page-break-before: always">Prescription (Rx)</p>
<p>Amoxicillin 500 mg capsules: take one capsule three times a day at 08:00, 14:00 and 20:00 for 7 days.</p>
<p>Vitamin D3 1000 IU: one tablet every morning at 09:00, continue for 3 months.</p>
</body></html>
"""


def ingested_prescription(owner: User) -> Document:
    """:data:`PRESCRIPTION` as a PDF uploaded by ``owner`` (``prescription.pdf``) and ingested in this process,
    where the test's database and data folder are; returns the completed document."""
    data = HTML(string=PRESCRIPTION).write_pdf()
    document = Document(owner_id=owner.id, filename="prescription.pdf", storage_name=uuid.uuid4().hex,
                        media_type="application/pdf", size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest())
    path = document_path(get_settings(), document.storage_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    with session_scope() as session:
        session.add(document)
    assert ingest.run_job(document.id) == "completed"
    with session_scope() as session:
        return session.get_one(Document, document.id)
