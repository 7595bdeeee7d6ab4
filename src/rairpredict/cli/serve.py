"""CLI: serve (REST scoring of a verified model; JSON 4xx for every malformed request)."""
from __future__ import annotations

from rairpredict.cli import _args

__all__ = ["add_serve"]


def add_serve(sub) -> None:
    p = sub.add_parser("serve", help="serve a model over REST (MLflow's scoring protocol, JSON errors)")
    _args.add_model(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", "-p", type=int, default=5001, help="port (default: 5001)")
    p.add_argument("--explain", type=int, default=3, metavar="K",
                   help="reasons per patient unless a request sends params.explain (default: 3)")
    _args.add_common(p)
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args) -> int:
    from rairpredict.cli._console import emit
    from rairpredict.cli.score import load_model_arg
    from rairpredict.errors import ConfigError
    from rairpredict.scoring.serve import serve

    if not 0 < args.port < 65536:
        raise ConfigError(f"--port {args.port}: expected 1-65535")
    if args.explain < 0:
        raise ConfigError(f"--explain {args.explain}: expected a whole number >= 0")
    model = load_model_arg(args)
    name = args.model or "the default model"
    url = f"http://{args.host}:{args.port}/invocations"

    def started(text: str) -> None:  # one line when the server is ready (JSON with --json)
        emit(args, {"model": name, "url": url, "model_name": model.metadata.get("name"),
                    "model_version": model.metadata.get("version")}, text)

    serve(model, host=args.host, port=args.port, explain=args.explain, name=name, log=started)
    return 0
