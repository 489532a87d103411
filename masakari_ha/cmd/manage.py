"""``masakari-ha-manage``: database maintenance.

::

    masakari-ha-manage [--config-file F] db sync [REVISION]   # migrate (default: newest)
    masakari-ha-manage [--config-file F] db version           # print the current revision
    masakari-ha-manage [--config-file F] db purge --age-in-days N [--max-rows M]

Exit codes: 0 success, 1 the command failed (message on stderr), 2 bad usage.
"""

import sys

import sqlalchemy as sa
from alembic.util import CommandError
from oslo_config import cfg

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


COMMAND_OPT = cfg.SubCommandOpt("category", title="Commands", handler=_add_parsers)


def _safe_url() -> str:
    return sa.engine.make_url(db_session.database_url()).render_as_string(hide_password=True)


def _run(conf) -> int:
    command = conf.category
    if command.action == "sync":
        migration.upgrade(command.revision)
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
        counts = purge.purge(command.age_in_days, command.max_rows)
        print(", ".join(f"{table}: {count}" for table, count in counts.items()) + " rows purged.")
    return 0


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
