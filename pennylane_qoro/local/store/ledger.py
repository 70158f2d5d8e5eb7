"""Tokens and credits: hashed bearer tokens, balances and the transaction ledger.

Owns the ``tokens``, ``revoked`` and ``transactions`` tables: opening an account for a new
token (one ``PURCHASE`` transaction), looking a token up by its sha256 (a revoked one is
unknown), listing and revoking tokens, the ``credits/`` body (qoro-api.md §2.5), ledger pages
(§2.6), and moving credits (``USAGE`` debits, ``REFUND``s of circuits that never ran).

Amounts are integers in hundredths of a credit and are written as decimal strings on the wire
(qoro-api.md §2.5). Every function takes the open connection; the caller
(:class:`~.facade.Store`) holds the lock and the transaction.

Imports only the standard library and ``store.artifacts``/``records``.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3

from .artifacts import unrun
from .records import now

__all__ = [
    "DEFAULT_GRANT",
    "accounts",
    "balance",
    "credits",
    "exists",
    "format_amount",
    "hash_token",
    "move_credits",
    "new_token",
    "open_account",
    "refund_unrun",
    "revoke",
    "transactions",
]

DEFAULT_GRANT = 100_000
"""A new token starts with 1000.00 credits (one PURCHASE transaction)."""


def hash_token(token: str) -> str:
    """The stored form of a bearer token: its sha256, hex-encoded."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random bearer token (32 random bytes, URL-safe base64)."""
    return secrets.token_urlsafe(32)


def format_amount(hundredths: int) -> str:
    """Write an amount in hundredths of a credit as the wire's decimal string.

    >>> format_amount(100000), format_amount(-5), format_amount(0)
    ('1000.00', '-0.05', '0.00')
    """
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


def open_account(db: sqlite3.Connection, owner: str, *, grant: int) -> None:
    """Insert a token's row with a starting balance, recorded as a PURCHASE."""
    stamp = now()
    db.execute(
        "INSERT INTO tokens (hash, balance, total_used, created_at, updated_at) "
        "VALUES (?, ?, 0, ?, ?)",
        (owner, grant, stamp, stamp),
    )
    db.execute(
        "INSERT INTO transactions (owner, amount, balance_after, transaction_type, "
        "description, job_id, created_at) VALUES (?, ?, ?, 'PURCHASE', ?, NULL, ?)",
        (owner, grant, grant, "Credit addition", stamp),
    )


def exists(db: sqlite3.Connection, owner: str) -> bool:
    """Whether a token with this hash is known and not revoked."""
    return db.execute(
        "SELECT 1 FROM tokens WHERE hash = ? AND hash NOT IN (SELECT hash FROM revoked)",
        (owner,),
    ).fetchone() is not None


def accounts(db: sqlite3.Connection) -> list[dict[str, str | bool]]:
    """Every token (by hash, oldest first) with its balance, usage and whether it is revoked."""
    rows = db.execute(
        "SELECT t.hash, t.balance, t.total_used, t.created_at, r.revoked_at FROM tokens t "
        "LEFT JOIN revoked r ON r.hash = t.hash ORDER BY t.created_at, t.hash"
    ).fetchall()
    return [
        {"hash": owner, "balance": format_amount(value), "total_used": format_amount(used),
         "created_at": created, "revoked": revoked is not None}
        for owner, value, used, created, revoked in rows
    ]


def revoke(db: sqlite3.Connection, owner: str) -> None:
    """Refuse a token from now on (its row and ledger stay; idempotent)."""
    db.execute("INSERT OR IGNORE INTO revoked (hash, revoked_at) VALUES (?, ?)", (owner, now()))


def balance(db: sqlite3.Connection, owner: str) -> int:
    """The owner's balance in hundredths of a credit."""
    (value,) = db.execute("SELECT balance FROM tokens WHERE hash = ?", (owner,)).fetchone()
    return value


def credits(db: sqlite3.Connection, owner: str) -> dict[str, str]:
    """The ``credits/`` body (qoro-api.md §2.5)."""
    value, used, created, updated = db.execute(
        "SELECT balance, total_used, created_at, updated_at FROM tokens WHERE hash = ?",
        (owner,),
    ).fetchone()
    return {
        "balance": format_amount(value),
        "total_used": format_amount(used),
        "created_at": created,
        "updated_at": updated,
    }


def transactions(db: sqlite3.Connection, owner: str, *, page: int,
                 page_size: int) -> tuple[int, list[dict]]:
    """The total count and one page of the ledger, newest first (qoro-api.md §2.6)."""
    (count,) = db.execute(
        "SELECT COUNT(*) FROM transactions WHERE owner = ?", (owner,)
    ).fetchone()
    rows = db.execute(
        "SELECT id, amount, balance_after, transaction_type, description, job_id, "
        "created_at FROM transactions WHERE owner = ? ORDER BY id DESC LIMIT ? OFFSET ?",
        (owner, page_size, (page - 1) * page_size),
    ).fetchall()
    return count, [
        {
            "id": id_, "amount": format_amount(amount),
            "balance_after": format_amount(after), "transaction_type": kind,
            "description": text, "job_id": job_id, "created_at": created,
        }
        for id_, amount, after, kind, text, job_id, created in rows
    ]


def move_credits(db: sqlite3.Connection, owner: str, amount: int, *, kind: str,
                 description: str, job_id: str | None) -> None:
    """Add ``amount`` (negative for a debit) to a balance and record it in the ledger."""
    stamp = now()
    db.execute(
        "UPDATE tokens SET balance = balance + ?, total_used = total_used - ?, "
        "updated_at = ? WHERE hash = ?",
        (amount, amount if kind in ("USAGE", "REFUND") else 0, stamp, owner),
    )
    after = balance(db, owner)
    db.execute(
        "INSERT INTO transactions (owner, amount, balance_after, transaction_type, "
        "description, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (owner, amount, after, kind, description, job_id, stamp),
    )


def refund_unrun(db: sqlite3.Connection, job_id: str, owner: str, why: str) -> int:
    """Refund the cost of a finalized job's circuits that have no result; returns the count."""
    n, amount = unrun(db, job_id)
    if amount:
        move_credits(db, owner, amount, kind="REFUND",
                     description=f"Refund for {n} circuits not run ({why})", job_id=job_id)
    return n
