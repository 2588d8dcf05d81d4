"""``ASSISTANT_LOG_FORMAT=json``: a process configured from the settings writes one JSON object per line; an API
request's lines carry its request id (the one sent back in ``X-Request-ID``) and the signed-in user's id; a
worker job's lines carry its job id; a traceback is one field of its line. Text stays the default."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

from assistant.core.config import REPO_ROOT, Settings
from assistant.core.logging import JsonFormatter, bind_log_context, log_context

#: A process that configures logging from the settings and makes one API request with the token it is given.
API_REQUEST = """
import os, sys
from fastapi.testclient import TestClient
from assistant.api.app import create_api
from assistant.core.logging import configure_from_settings
configure_from_settings()
with TestClient(create_api()) as client:
    response = client.get("/api/v1/auth/me", headers={"Authorization": "Bearer " + os.environ["TOKEN"]})
print(response.status_code, response.headers["x-request-id"])
"""


def test_text_is_the_default():
    assert Settings.model_fields["log_format"].default == "text"


def test_an_api_request_logs_json_lines_with_its_request_and_user_ids(database, make_user, sign_in, password):
    user = make_user(email="logs@example.com")
    token = sign_in("logs@example.com", password).access_token
    env = {"DATABASE_URL": database.url, "ASSISTANT_DATA_DIR": str(database.data_dir), "TOKEN": token,
           "ASSISTANT_LOG_FORMAT": "json", "ASSISTANT_LOG_LEVEL": "DEBUG", "PATH": "/usr/bin:/bin",
           "ASSISTANT_JWT_SECRET": os.environ["ASSISTANT_JWT_SECRET"], "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", API_REQUEST], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    status, request_id = done.stdout.split()
    assert status == "200"

    lines = [json.loads(line) for line in done.stderr.splitlines()]  # every line is one JSON object
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    [access] = [line for line in lines if line["logger"] == "assistant.api"]
    assert access["message"].startswith("GET /api/v1/auth/me -> 200 in ")
    assert access["level"] == "DEBUG"
    assert access["request_id"] == request_id
    assert access["user_id"] == str(user.id)


def test_a_job_and_an_exception_in_one_json_line():
    formatter = JsonFormatter()
    with log_context(job_id="document:42"):
        bind_log_context(user_id="u-1")
        try:
            raise ValueError("the parser gave up")
        except ValueError:
            record = logging.getLogger("assistant.worker").makeRecord(
                "assistant.worker", logging.ERROR, __file__, 1, "job %s failed", ("document:42",), sys.exc_info())
        line = formatter.format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "job document:42 failed" and entry["level"] == "ERROR"
    assert entry["job_id"] == "document:42" and entry["user_id"] == "u-1"
    assert "ValueError: the parser gave up" in entry["exception"] and "Traceback" in entry["exception"]
    # Outside the context the ids are gone.
    assert "job_id" not in json.loads(formatter.format(record))
