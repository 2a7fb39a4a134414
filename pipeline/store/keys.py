"""Person keys: HMAC-SHA-256 of a resident ID with the store's own secret (exports' case keys,
the dashboard's links, returns' matching)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import duckdb

PERSON_KEY_HEX = 16


def person_key_secret(con: duckdb.DuckDBPyConnection) -> bytes:
    """The store's secret for person keys, made (32 random bytes) on first use.

    It lives in the store (meta), so every backup or snapshot of the store carries it and
    nothing outside the store can lose it; the repository never holds one.
    """
    rows = con.execute("SELECT value FROM meta WHERE key = 'person_key_secret'").fetchall()
    if rows:
        return bytes.fromhex(rows[0][0])
    secret = secrets.token_bytes(32)
    con.execute("INSERT INTO meta VALUES ('person_key_secret', ?)", [secret.hex()])
    return secret


def person_key(secret: bytes, person_id: str) -> str:
    """A person's key: the first 16 hex of HMAC-SHA-256(secret, resident ID)."""
    return hmac.new(secret, person_id.encode("utf-8"), hashlib.sha256).hexdigest()[:PERSON_KEY_HEX]


def person_key_macro(con: duckdb.DuckDBPyConnection, secret: bytes) -> None:
    """The SQL macro ``person_key(pid)``, HMAC-SHA-256 spelt out (DuckDB has sha256 only)."""
    padded = secret.ljust(64, b"\0")  # a key of at most one SHA-256 block
    con.execute("SET VARIABLE person_key_ipad = ?", [bytes(b ^ 0x36 for b in padded)])
    con.execute("SET VARIABLE person_key_opad = ?", [bytes(b ^ 0x5C for b in padded)])
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO person_key(pid) AS left(sha256(
            getvariable('person_key_opad')
            || unhex(sha256(getvariable('person_key_ipad') || encode(pid)))), {PERSON_KEY_HEX})"""
    )


def migrate_case_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Case keys of exports made before person keys (an unkeyed sha256 of the ID) become the
    keyed ones; the old key stays in export_rows.legacy_key so those files can be returned."""
    if con.execute("SELECT count(*) FROM meta WHERE key = 'case_keys'").fetchall()[0][0]:
        return
    unkeyed = "year || '-' || left(sha256(person_id), 16)"
    con.execute("BEGIN TRANSACTION")
    con.execute(
        f"""UPDATE export_rows SET legacy_key = case_key,
                   case_key = year || '-' || person_key(person_id)
            WHERE legacy_key IS NULL AND case_key = {unkeyed}"""
    )
    con.execute(
        f"""UPDATE case_events SET case_key = year || '-' || person_key(person_id)
            WHERE case_key = {unkeyed}"""
    )
    con.execute("INSERT INTO meta VALUES ('case_keys', 'hmac-sha256')")
    con.execute("COMMIT")
