"""The REST API: where it listens, how it authenticates, how lists are capped."""

from oslo_config import cfg

api_opts = [
    cfg.HostAddressOpt(
        "masakari_api_listen",
        default="0.0.0.0",
        help="Address the API listens on. The embedded default (masakari-ha-all) "
        "overrides this with 127.0.0.1 unless it is set explicitly.",
    ),
    cfg.PortOpt(
        "masakari_api_listen_port",
        default=15868,
        help="TCP port the API listens on.",
    ),
    cfg.IntOpt(
        "masakari_api_workers",
        min=1,
        help="Worker processes serving the API. Unset means one per CPU.",
    ),
    cfg.StrOpt(
        "auth_strategy",
        default="keystone",
        choices=[
            ("keystone", "Validate tokens with keystonemiddleware's auth_token against Keystone."),
            ("noauth", "No authentication: every request runs as an admin. For the embedded "
                       "single-machine default and tests only."),
            ("noauth2", "Upstream Masakari's name for noauth; accepted for compatibility."),
        ],
        help="How API requests are authenticated.",
    ),
    cfg.IntOpt(
        "osapi_max_limit",
        default=1000,
        min=1,
        help="Largest number of items one list request returns; larger 'limit' values are "
        "capped to it.",
    ),
    cfg.StrOpt(
        "osapi_masakari_link_prefix",
        help="Base URL that replaces scheme, host and port in links the API returns "
        "(use when the API sits behind a proxy). Unset means the request's own URL.",
    ),
    cfg.IntOpt(
        "max_request_body_size",
        default=114688,
        min=1,
        help="Largest accepted request body in bytes; larger requests get 413.",
    ),
    cfg.IntOpt(
        "masakari_api_threads",
        default=8,
        min=1,
        help="Threads per API worker process (gunicorn 'gthread' workers). Requests are "
        "short database transactions, so a few threads per process keep the CPUs busy.",
    ),
    cfg.IntOpt(
        "engine_cast_retry",
        default=1,
        min=0,
        help="How often the API retries connecting to the message broker when it casts "
        "process_notification to the engines. After that the notification stays 'new' "
        "(the request still succeeds) and the engines' sweep picks it up.",
    ),
]

healthcheck_group = cfg.OptGroup(
    "healthcheck",
    title="Health check",
    help="The unauthenticated /healthcheck endpoint used by load balancers.",
)

healthcheck_opts = [
    cfg.StrOpt(
        "disable_by_file_path",
        help="When this file exists /healthcheck answers 503 'DISABLED BY FILE', so a load "
        "balancer drains this API node (same option name as oslo.middleware's healthcheck).",
    ),
    cfg.BoolOpt(
        "check_database",
        default=True,
        help="/healthcheck also runs 'SELECT 1' on the database and answers 503 when it "
        "fails.",
    ),
]


def register_opts(conf):
    conf.register_opts(api_opts)
    conf.register_group(healthcheck_group)
    conf.register_opts(healthcheck_opts, group=healthcheck_group)


def list_opts():
    return [("DEFAULT", api_opts), (healthcheck_group.name, healthcheck_opts)]
