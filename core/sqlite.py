"""Unicode-aware case folding for SQLite.

SQLite's built-in ``lower()`` and ``LIKE`` fold only the letters A-Z, so
"Всемирная" and "ВСЕМИРНАЯ" would count as different names and a search for
"узинфоком" would miss "Узинфоком". Every connection Django opens gets
replacements that fold all of Unicode, as PostgreSQL does:

- ``lower(x)``, used by the case-insensitive unique constraints (deterministic,
  so that SQLite accepts it in an index);
- ``like(pattern, x[, escape])``, which implements ``x LIKE pattern`` and so
  Django's ``iexact``/``icontains``/``istartswith`` lookups.

It also gets ``hamkor_search_key(...)``, ``core.names.search_key``: the
function the ``search_key`` columns are computed with (``core.search``).

A tool that opens db.sqlite3 without these functions must not write names: its
``lower()`` would disagree with the one the indexes were built with, and a
table with a search key refuses its writes ("unknown function").
"""

import functools
import re

from core.names import search_key


def lower(value):
    return value.lower() if isinstance(value, str) else value


@functools.lru_cache(maxsize=512)
def _pattern(pattern, escape):
    parts = []
    characters = iter(pattern)
    for character in characters:
        if escape is not None and character == escape:
            parts.append(re.escape(next(characters, "")))
        elif character == "%":
            parts.append(".*")
        elif character == "_":
            parts.append(".")
        else:
            parts.append(re.escape(character))
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def like(pattern, value, escape=None):
    if pattern is None or value is None:
        return None
    return int(_pattern(pattern, escape).fullmatch(str(value)) is not None)


def install(sender, connection, **kwargs):
    """``connection_created`` receiver: register the functions above."""
    if connection.vendor != "sqlite":
        return
    register(connection.connection)


def register(raw):
    """Register the functions above on a ``sqlite3`` connection that Django did
    not open (backup_db and restore_db check backups through one): without
    them the indexes built with them look damaged."""
    raw.create_function("lower", 1, lower, deterministic=True)
    raw.create_function("like", 2, like, deterministic=True)
    raw.create_function("like", 3, like, deterministic=True)
    # core.search.SQLITE_FUNCTION (not imported: it loads Django's models).
    raw.create_function("hamkor_search_key", -1, search_key, deterministic=True)
