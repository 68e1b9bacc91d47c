"""Nothing a person or the staff type reaches the disk or the log in the clear.

A real `screenplan serve` on SQLite takes a shared screen whose contact name, best time and
phone carry a canary, and a staff note carrying it too. After a clean stop, the canary is in
none of the database file, its -wal and -shm files, a full SQL dump, the sessions (decoded)
or the server's log; the private link tokens are not in the log either. The same search finds
a canary written in the clear into the same file, so a miss means absence, not a blind search.
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
from pathlib import Path

from django.core import signing
from logaudit import register
from web.profiles import LOW_RISK

from .servers import (
    Browser,
    Server,
    answer_all,
    clean_env,
    create_staff,
    private_link,
    running,
    secrets_env,
    sign_in,
    start_screen,
)


def disk_bytes(db: Path) -> dict[str, bytes]:
    """The database file and its -wal and -shm companions, as they are on disk right now."""
    files = {db.name: db.read_bytes()}
    for suffix in ("-wal", "-shm"):
        side = db.with_name(db.name + suffix)
        if side.exists():
            files[side.name] = side.read_bytes()
    return files


def dump(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def sessions(db: Path, secret_key: str) -> str:
    """Every stored session, decoded (they are signed and compressed, not sealed)."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT session_data FROM django_session").fetchall()
    finally:
        conn.close()
    decoded = [
        signing.loads(data, key=secret_key, fallback_keys=[], salt="django.contrib.sessions.SessionStore")
        for (data,) in rows
    ]
    assert decoded, "the respondent and the staff member have sessions"
    return json.dumps(decoded)


def found(needle: str, db: Path, log: Path, secret_key: str) -> list[str]:
    """Where `needle` appears: raw bytes of each file, the dump as text or hex blob, the sessions."""
    raw, hexed = needle.encode(), needle.encode().hex().upper()
    places = [name for name, data in disk_bytes(db).items() if raw in data]
    text = dump(db)
    if needle in text or hexed in text.upper():
        places.append("dump")
    if needle in sessions(db, secret_key):
        places.append("sessions")
    if raw in log.read_bytes():
        places.append("log")
    return places


def test_typed_personal_data_and_link_tokens_never_reach_the_disk_or_the_log_in_the_clear(tmp_path: Path) -> None:
    canary = register("PHI", f"CANARY-{secrets.token_hex(6)}")
    phone = register("PHI", f"+1 555 {secrets.randbelow(9000) + 1000} {secrets.randbelow(9000) + 1000}")
    keys = secrets_env()
    data_dir = tmp_path / "data"
    env = clean_env(SCREENPLAN_DATA_DIR=str(data_dir), SCREENPLAN_REQUIRE_TOTP="false", **keys)
    create_staff(env, "clin")
    log = tmp_path / "server.log"
    server = Server(env, log)

    with running(server):
        person = Browser()
        start_screen(person, server)
        answer_all(person, (server,), LOW_RISK)
        old_link, new_link = (private_link(person, server, back="/en/results/") for _ in range(2))
        tokens = [link.split("/")[2] for link in (old_link, new_link)]
        # The first link was revoked by the second: its 404 is logged, with the token in the path.
        assert Browser().get(server, old_link).status == 404
        assert Browser().get(server, new_link).status == 302
        contact = {"name": canary, "phone": phone, "best_time": f"mornings {canary}", "consent": "yes"}
        shared = person.submit(server, "/en/share/", contact)
        assert shared.status == 200, shared.text[:300]

        staff = Browser()
        assert sign_in(staff, server, "clin").status == 302
        case_path = re.search(r'href="(/staff/case/[0-9a-f-]{36}/)"', staff.get(server, "/staff/").text)
        assert case_path, "the shared screen is in the queue"
        case = staff.get(server, case_path.group(1))
        assert canary in case.text and phone in case.text  # stored, and opened for the clinician
        note = staff.post(server, case_path.group(1) + "note/", {"body": f"Called back. {canary}"}, case.csrf())
        assert note.status == 302, note.text[:300]
        assert f"Called back. {canary}" in staff.get(server, case_path.group(1)).text

    db = data_dir / "screenplan.sqlite3"
    secret_key = keys["SCREENPLAN_SECRET_KEY"]
    assert db.exists()
    for needle in (canary, phone, phone.replace(" ", "")):
        assert found(needle, db, log, secret_key) == [], needle
    log_text = log.read_text(encoding="utf-8", errors="replace")
    for token in tokens:
        assert token not in log_text
    assert "/r/[redacted]/" in log_text  # the 404 was logged, with its token removed

    # Negative control: the same search finds a canary written in the clear into the same file.
    control = f"CANARY-control-{secrets.token_hex(6)}"
    conn = sqlite3.connect(db)
    try:
        conn.execute("CREATE TABLE scratch (note TEXT, raw BLOB)")
        conn.execute("INSERT INTO scratch VALUES (?, ?)", (control, control.encode()))
        conn.commit()
        in_wal = [name for name, data in disk_bytes(db).items() if control.encode() in data]
        assert in_wal, "a committed clear-text value is on disk while the connection is open"
    finally:
        conn.close()
    assert {db.name, "dump"} <= set(found(control, db, log, secret_key))
    conn = sqlite3.connect(db)
    try:
        conn.execute("DELETE FROM scratch WHERE note = ?", (control,))
        conn.execute("INSERT INTO scratch (raw) VALUES (?)", (control.encode(),))  # as a blob only
        conn.commit()
    finally:
        conn.close()
    assert "dump" in found(control, db, log, secret_key)  # blobs are found in the dump's hex form too
