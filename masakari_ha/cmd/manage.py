"""``masakari-ha-manage``: database maintenance.

::

    masakari-ha-manage [--config-file F] db sync [REVISION]   # migrate (default: newest)
    masakari-ha-manage [--config-file F] db version           # print the current revision
    masakari-ha-manage [--config-file F] db purge --age-in-days N [--max-rows M] [--batch-size B]

Long work shows a progress line on stderr when stderr is a terminal: ``db sync`` applies
one migration after the other (name and count), ``db purge`` without ``--max-rows``
deletes in batches of ``--batch-size`` rows per table, each batch its own short transaction
(a purge of millions of rows never holds one huge write lock), and reports the running total.

Exit codes: 0 success, 1 the command failed (message on stderr), 2 bad usage.
"""

import sys

import sqlalchemy as sa
from alembic.util import CommandError
from oslo_config import cfg

from masakari_ha import progress
from masakari_ha.cmd import config
from masakari_ha.db import migration, purge
from masakari_ha.db import session as db_session


def _add_parsers(subparsers):
    db = subparsers.add_parser("db", help="Database maintenance.")
    actions = db.add_subparsers(dest="action", metavar="{sync,version,purge}")
    actions.required = True
    sync = actions.add_parser("sync", help="Create or upgrade the schema.")
    sync.add_argument("revision", nargs="?", default="head",
                      help="Alembic revision to migrate to (default: head).")
    actions.add_parser("version", help="Print the schema revision of the database.")
    purge_parser = actions.add_parser(
        "purge", help="Hard-delete soft-deleted rows and finished notifications older than N days.")
    purge_parser.add_argument("--age-in-days", "--age_in_days", dest="age_in_days", type=int,
                              default=30, help="Only rows older than this many days (default 30).")
    purge_parser.add_argument("--max-rows", "--max_rows", dest="max_rows", type=int, default=-1,
                              help="At most this many rows per table (-1, the default: no limit).")
    purge_parser.add_argument("--batch-size", "--batch_size", dest="batch_size", type=int,
                              default=1000, help="Without --max-rows: rows deleted per table "
                              "in one transaction (default 1000).")


COMMAND_OPT = cfg.SubCommandOpt("category", title="Commands", handler=_add_parsers)


def _safe_url() -> str:
    return sa.engine.make_url(db_session.database_url()).render_as_string(hide_password=True)


def _run(conf) -> int:
    command = conf.category
    if command.action == "sync":
        _sync(command.revision)
        print(f"Database {_safe_url()} is at revision {migration.current_revision()}.")
    elif command.action == "version":
        print(migration.current_revision() or "None (empty database: run 'db sync')")
    elif command.action == "purge":
        if command.age_in_days < 0:
            print("--age-in-days must be 0 or more.", file=sys.stderr)
            return 2
        if command.max_rows < -1 or command.max_rows == 0:
            print("--max-rows must be a positive number or -1 (no limit).", file=sys.stderr)
            return 2
        if command.batch_size < 1:
            print("--batch-size must be a positive number.", file=sys.stderr)
            return 2
        counts = _purge(command.age_in_days, command.max_rows, command.batch_size)
        print(", ".join(f"{table}: {count}" for table, count in counts.items()) + " rows purged.")
    return 0


def _pending_revisions(target: str) -> list:
    """Revisions an upgrade to ``target`` applies, oldest first ([] when unknown/none)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migration.alembic_config())
    current = migration.current_revision()
    try:
        revisions = list(script.iterate_revisions(target, current))
    except Exception:  # noqa: BLE001 - a downgrade or unknown revision: alembic says why below
        return []
    return list(reversed(revisions))


def _sync(target: str) -> None:
    """Upgrade one revision at a time so the operator sees which migration is running."""
    pending = _pending_revisions(target)
    if not pending:
        migration.upgrade(target)
        return
    print(f"Applying {len(pending)} migration(s) to {_safe_url()}.", file=sys.stderr)
    with progress.Progress("Migrating", total=len(pending), unit="migrations") as bar:
        for number, revision in enumerate(pending, 1):
            bar.update(number - 1, f"{revision.revision}: {revision.doc or ''}".strip(), force=True)
            migration.upgrade(revision.revision)
            bar.update(number, revision.revision, force=True)


def _purge(age_in_days: int, max_rows: int, batch_size: int) -> dict[str, int]:
    """``--max-rows``: one bounded call. Otherwise batches until a batch finds nothing."""
    if max_rows != -1:
        return purge.purge(age_in_days, max_rows)
    totals: dict[str, int] = {}
    with progress.Progress("Purging", unit="rows") as bar:
        while True:
            counts = purge.purge(age_in_days, batch_size)
            for table, count in counts.items():
                totals[table] = totals.get(table, 0) + count
            bar.advance(sum(counts.values()), ", ".join(f"{t} {c:,}" for t, c in totals.items()
                                                        if c))
            if not any(counts.values()):
                return totals


def main(argv=None) -> int:
    try:
        # Logs go to stderr so stdout carries only the command's answer (scripts parse it).
        conf = config.parse_args(sys.argv[1:] if argv is None else argv, prog="masakari-ha-manage",
                                 cli_opts=[COMMAND_OPT], defaults={(None, "use_stderr"): True})
    except cfg.Error as error:
        print(f"masakari-ha-manage: {error}", file=sys.stderr)
        config.forget_cli_opts([COMMAND_OPT])
        return 2
    except SystemExit:  # argparse usage errors (exit code 2) and --help
        config.forget_cli_opts([COMMAND_OPT])
        raise
    try:
        return _run(conf)
    except CommandError as error:
        print(f"masakari-ha-manage: {error}", file=sys.stderr)
        return 1
    except sa.exc.SQLAlchemyError as error:
        reason = getattr(error, "orig", None) or error
        print(f"masakari-ha-manage: database {_safe_url()} failed: {reason}", file=sys.stderr)
        return 1
    finally:
        db_session.dispose_engines()
        config.forget_cli_opts([COMMAND_OPT])


if __name__ == "__main__":
    sys.exit(main())
