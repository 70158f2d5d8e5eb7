"""Token administration on a database file: create, list, revoke (``qoro-local token ...``).

A token is shown by its id: the first :data:`ID_LENGTH` hex digits of its sha256 (the store
never keeps the token itself). ``revoke`` takes the token or an unambiguous id prefix of at
least :data:`MIN_PREFIX` digits; a revoked token gets 401 from then on, also from a service
already running on the file (file databases look tokens up on every request), while its jobs
and ledger stay. Every failure is a :class:`~.startup_errors.StartupError` with one line.

Imports the standard library and ``local`` modules only.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .startup_errors import StartupError, database_error
from .store import DEFAULT_GRANT, Store, hash_token

__all__ = ["ID_LENGTH", "MIN_PREFIX", "create_token", "list_tokens", "revoke_token"]

ID_LENGTH = 12
MIN_PREFIX = 8


def _open(db_path: str | Path) -> Store:
    try:
        return Store(db_path)
    except (OSError, sqlite3.Error) as exc:
        raise database_error(db_path, exc) from None


def create_token(db_path: str | Path, *, grant: int = DEFAULT_GRANT) -> str:
    """Create a token in a database file (created if needed) and return it.

    Args:
        db_path (str | Path): the service's database file.
        grant (int): starting balance in hundredths of a credit.
    """
    store = _open(db_path)
    try:
        return store.create_token(grant=grant)
    finally:
        store.close()


def list_tokens(db_path: str | Path) -> list[str]:
    """One line per token, oldest first: id, balance, credits used, creation time, revoked."""
    store = _open(db_path)
    try:
        return [
            f"{row['hash'][:ID_LENGTH]}  balance {row['balance']}  used {row['total_used']}  "
            f"created {row['created_at']}{'  REVOKED' if row['revoked'] else ''}"
            for row in store.tokens()
        ]
    finally:
        store.close()


def revoke_token(db_path: str | Path, token_or_id: str) -> str:
    """Revoke one token, named by the token itself or by an id prefix; returns its id.

    Raises:
        StartupError: the database cannot be opened, or the name matches no token or several.
    """
    store = _open(db_path)
    try:
        owners = [row["hash"] for row in store.tokens()]
        full = hash_token(token_or_id)
        if full in owners:
            match = [full]
        elif len(token_or_id) >= MIN_PREFIX:
            match = [owner for owner in owners if owner.startswith(token_or_id.lower())]
        else:
            raise StartupError(f"{token_or_id!r} is neither a token of {db_path} nor a token id "
                               f"of at least {MIN_PREFIX} characters (see 'qoro-local token list')")
        if len(match) != 1:
            found = "no token" if not match else f"{len(match)} tokens"
            raise StartupError(f"{found} of {db_path} match {token_or_id!r}; "
                               "see 'qoro-local token list'")
        store.revoke(match[0])
        return match[0][:ID_LENGTH]
    finally:
        store.close()
