"""Shared list semantics for every collection: limit, marker, sort keys and directions.

Upstream Masakari's rules (see the API contract §1.4), with two fixes on the same wire:

* ``marker`` may be the row's integer ``id`` (upstream's only form) **or** its UUID;
* pagination is keyset-based and NULL-safe on every backend, so the next page starts
  exactly after the marker row whatever the sort keys are.

``created_at`` and ``id`` are always appended as tie-breakers, so the order is total and
pages never overlap or skip rows.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from masakari_ha import exception

SORT_DIRS = ("asc", "desc")


@dataclass
class ListParams:
    """What a list request asked for, already validated by the API layer.

    ``limit`` None means "no limit" (callers cap it before); ``marker`` is the raw string
    from the query (integer id or UUID); ``filters`` maps column names to exact values.
    """

    limit: int | None = None
    marker: str | None = None
    sort_keys: list[str] = field(default_factory=list)
    sort_dirs: list[str] = field(default_factory=list)
    filters: dict = field(default_factory=dict)


def normalise_sort(
    sort_keys: Sequence[str], sort_dirs: Sequence[str], allowed: Sequence[str]
) -> list[tuple[str, str]]:
    """Validate keys/dirs and return ``[(key, dir)]`` with the tie-breakers appended.

    Raises InvalidSortKey for an unknown key and InvalidInput for a bad direction or more
    directions than keys. Missing directions are padded with the first given one
    (default ``desc``), as upstream does.
    """
    keys = list(sort_keys) or ["created_at"]
    dirs = list(sort_dirs)
    for key in keys:
        if key not in allowed:
            raise exception.InvalidSortKey(sort_key=key)
    for direction in dirs:
        if direction not in SORT_DIRS:
            raise exception.InvalidInput(
                reason=f"sort_dir must be one of {', '.join(SORT_DIRS)}, got {direction!r}"
            )
    if len(dirs) > len(keys):
        raise exception.InvalidInput(reason="sort_dir is given more often than sort_key")
    default_dir = dirs[0] if dirs else "desc"
    dirs += [default_dir] * (len(keys) - len(dirs))
    pairs = list(zip(keys, dirs))
    for tie_breaker in ("created_at", "id"):
        if tie_breaker not in keys:
            pairs.append((tie_breaker, default_dir))
    return pairs


def _order_clauses(model, pairs):
    clauses = []
    for key, direction in pairs:
        column = getattr(model, key)
        if _nullable(model, key):
            # NULLs sort first ascending and last descending on every backend.
            null_rank = sa.case((column.is_(None), 0), else_=1)
            clauses.append(null_rank.asc() if direction == "asc" else null_rank.desc())
        clauses.append(column.asc() if direction == "asc" else column.desc())
    return clauses


def _nullable(model, key: str) -> bool:
    return bool(model.__table__.columns[key].nullable)


def _after_marker(model, pairs, marker_row):
    """WHERE clause selecting rows strictly after ``marker_row`` in the given order."""
    alternatives = []
    equal_so_far = []
    for key, direction in pairs:
        column = getattr(model, key)
        value = getattr(marker_row, key)
        nullable = _nullable(model, key)
        if value is None:
            # NULLs come first (asc) or last (desc).
            after = column.is_not(None) if direction == "asc" else sa.false()
            equal = column.is_(None)
        else:
            after = column > value if direction == "asc" else column < value
            if nullable and direction == "desc":
                after = sa.or_(after, column.is_(None))
            equal = column == value
        alternatives.append(sa.and_(*equal_so_far, after))
        equal_so_far.append(equal)
    return sa.or_(*alternatives)


def find_marker(session: Session, model, marker: str, uuid_column: str = "uuid"):
    """The live row a marker names: integer ``id`` or UUID. MarkerNotFound (400) if none."""
    column = getattr(model, uuid_column)
    conditions = [column == marker]
    if marker.isdigit() and len(marker) < 19:
        conditions.append(model.id == int(marker))
    stmt = sa.select(model).where(sa.or_(*conditions))
    if hasattr(model, "deleted"):
        stmt = stmt.where(model.deleted == 0)
    row = session.scalars(stmt.limit(1)).first()
    if row is None:
        raise exception.MarkerNotFound(marker=marker)
    return row


def paginate(
    session: Session,
    stmt: sa.Select,
    model,
    params: ListParams,
    allowed_sort_keys: Sequence[str],
    uuid_column: str = "uuid",
    plain_rows: bool = False,
) -> list:
    """Apply sort, marker and limit to ``stmt`` (already filtered) and return the rows.

    ``stmt`` selects the ORM entity (ORM objects come back) or, with ``plain_rows=True``,
    the table's columns (read-only ``Row`` objects with the same attribute names, several
    times cheaper to build for long lists).
    """
    pairs = normalise_sort(params.sort_keys, params.sort_dirs, allowed_sort_keys)
    if params.limit == 0:
        # Still validate the marker so a bad one is reported even for an empty page.
        if params.marker is not None:
            find_marker(session, model, params.marker, uuid_column)
        return []
    if params.marker is not None:
        marker_row = find_marker(session, model, params.marker, uuid_column)
        stmt = stmt.where(_after_marker(model, pairs, marker_row))
    stmt = stmt.order_by(*_order_clauses(model, pairs))
    if params.limit is not None:
        stmt = stmt.limit(params.limit)
    if plain_rows:
        # Straight to the Core connection: the ORM result layer adds nothing to plain
        # column rows but costs a few ms on a 500-row list.
        return session.connection().execute(stmt).all()
    return list(session.scalars(stmt).unique())
