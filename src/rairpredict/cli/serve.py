"""CLI: serve (REST scoring of a verified model; JSON 4xx for every malformed request)."""
from __future__ import annotations

__all__ = ["add_serve"]


def add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve a model over REST (MLflow's scoring protocol, JSON errors)")
    p.add_argument("--model", metavar="MODEL", default=None,
                   help="models:/NAME@ALIAS, models:/NAME/VERSION, runs:/ID/PATH or a path "
                        "(default: the model shipped with the package)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", "-p", type=int, default=5001, help="port (default: 5001)")
    p.add_argument("--explain", type=int, default=3, metavar="K",
                   help="reasons per patient unless a request sends params.explain (default: 3)")
    p.add_argument("--tracking-uri", metavar="URI", help="MLflow tracking URI for models:/ and runs:/ references "
                   "(default: MLFLOW_TRACKING_URI or the rairpredict home's mlflow.db)")
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args) -> int:
    from rairpredict.errors import ConfigError
    from rairpredict.scoring.serve import serve

    if not 0 < args.port < 65536:
        raise ConfigError(f"--port {args.port}: expected 1-65535")
    if args.explain < 0:
        raise ConfigError(f"--explain {args.explain}: expected a whole number >= 0")
    if args.tracking_uri or (args.model and ":/" in str(args.model)):
        from rairpredict.tracking import configure_tracking

        configure_tracking(args.tracking_uri)
    serve(args.model, host=args.host, port=args.port, explain=args.explain)
    return 0
