"""The database connection (same option names as oslo.db so existing configs read naturally)."""

from oslo_config import cfg

database_group = cfg.OptGroup("database", title="Database options")

database_opts = [
    cfg.StrOpt(
        "connection",
        secret=True,
        help="SQLAlchemy URL of the database holding segments, hosts, notifications, vmoves, "
        "recovery progress and the engine's TaskFlow state. Unset means the embedded default: "
        "a SQLite file 'masakari_ha.sqlite' under state_path. Production deployments use "
        "PostgreSQL ('postgresql+psycopg2://user:pass@host/db') or MySQL/MariaDB "
        "('mysql+pymysql://user:pass@host/db?charset=utf8mb4').",
    ),
    cfg.IntOpt(
        "max_pool_size",
        default=10,
        min=1,
        help="Connections kept open per process (PostgreSQL/MySQL only).",
    ),
    cfg.IntOpt(
        "max_overflow",
        default=20,
        min=0,
        help="Connections allowed beyond max_pool_size under load (PostgreSQL/MySQL only).",
    ),
    cfg.IntOpt(
        "pool_timeout",
        default=30,
        min=1,
        help="Seconds to wait for a free pooled connection before failing the request.",
    ),
    cfg.IntOpt(
        "sqlite_busy_timeout",
        default=30,
        min=1,
        help="Seconds a SQLite writer waits for the database lock held by another process.",
    ),
    cfg.IntOpt(
        "deadlock_retries",
        default=5,
        min=0,
        help="How often a transaction that the database aborted as a deadlock or "
        "serialization failure is retried before the error is reported.",
    ),
]


def register_opts(conf):
    conf.register_group(database_group)
    conf.register_opts(database_opts, group=database_group)


def list_opts():
    return [(database_group.name, database_opts)]
