"""REST serving: MLflow's scoring server for a verified model, with a JSON 4xx for every malformed request.

``rairpredict serve --model REF`` runs MLflow's own scoring app
(:func:`mlflow.pyfunc.scoring_server.init`: the same ``/invocations``,
``/ping``, ``/health``, ``/version`` and request formats as
``mlflow models serve``) around the model that :func:`load_model_ref` loads,
so the model reference is checked as everywhere else (MLmodel file, manifest,
the hash recorded in MLflow), plus one middleware for what MLflow's server
answers badly before the model is reached (MLflow 3.17):

* a request without ``Content-Type``: ``content_type.split`` on ``None`` ->
  HTTP 500; here 415 with a JSON reason;
* JSON nested deeper than Python's recursion limit: ``json.loads`` raises
  ``RecursionError`` -> HTTP 500; here 400 with a JSON reason;
* unsupported content types or charsets: MLflow answers 415 in plain text; here
  the same status with a JSON body;
* MLflow's own 4xx answers that echo the request (``"Failed to predict data
  '<rows>'"``, ``"Input: <body>"``) or carry a stack trace: cut to the one-line
  reason;
* any other unexpected failure: a one-line JSON 500 (details in the server log,
  never a traceback to the client).

Requests the model sees (unknown or missing columns, bad ``explain``, rows
that break the data contract) are answered 400 with a JSON reason by the model
itself (:mod:`rairpredict.scoring.pyfunc`), under both servers.

Examples
--------
>>> app = build_app("models:/rairpredict-rair@champion")  # doctest: +SKIP
>>> serve("models:/rairpredict-rair@champion", port=5001)  # doctest: +SKIP
"""
from __future__ import annotations

import json
import logging

__all__ = ["build_app", "serve"]

_log = logging.getLogger("rairpredict.serve")


def _json_error(status: int, message: str, error_code: str = "BAD_REQUEST"):
    from starlette.responses import Response

    return Response(content=json.dumps({"error_code": error_code, "message": message}), status_code=status,
                    media_type="application/json")


def _tidy(status: int, content_type: str, body: bytes):
    """Any error answer as one-line JSON: no echoed request rows, no stack trace."""
    from starlette.responses import Response

    text = body.decode("utf-8", errors="replace").strip()
    if "json" not in content_type:
        lines = text.splitlines()
        return _json_error(status, lines[0] if lines else f"HTTP {status}")
    try:
        answer = json.loads(text)
    except ValueError:
        return _json_error(status, f"HTTP {status}")
    if not isinstance(answer, dict):
        return _json_error(status, f"HTTP {status}")
    message = str(answer.get("message", ""))
    if message.startswith("Failed to predict data") and "\nError: " in message:
        message = message.split("\nError: ", 1)[1]  # MLflow prepends the whole request to the reason
    answer["message"] = message.strip().splitlines()[0] if message.strip() else f"HTTP {status}"
    answer.pop("stack_trace", None)
    return Response(content=json.dumps(answer), status_code=status, media_type="application/json")


def _guard(app) -> None:
    """Add the middleware described in the module docstring to MLflow's FastAPI ``app``."""

    @app.middleware("http")
    async def json_errors(request, call_next):
        if request.method == "POST" and request.url.path == "/invocations" \
                and not request.headers.get("content-type", "").strip():
            return _json_error(415, "Content-Type header missing: send application/json (dataframe_split or "
                                    "dataframe_records), text/csv or application/vnd.apache.parquet")
        try:
            response = await call_next(request)
        except RecursionError:
            return _json_error(400, "the request JSON is nested too deeply to be a table")
        except Exception as exc:  # noqa: BLE001 - answered as one JSON line, logged for the operator
            _log.error("unexpected %s while answering %s: %s", type(exc).__name__, request.url.path, exc)
            return _json_error(500, f"internal error ({type(exc).__name__}); see the server log",
                               "INTERNAL_ERROR")
        if response.status_code < 400:
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])
        return _tidy(response.status_code, response.headers.get("content-type") or "", body)


def build_app(ref=None, explain: int = 3):
    """The FastAPI app serving the verified model behind ``ref`` (a RiskModel, or what :func:`load_model_ref` takes)."""
    from mlflow.models import Model
    from mlflow.pyfunc import PyFuncModel
    from mlflow.pyfunc.scoring_server import init

    from rairpredict.scoring._refs import load_model_ref
    from rairpredict.scoring.pyfunc import RiskModelPyfunc, serving_signature

    model = load_model_ref(ref)
    signature, _ = serving_signature(model, explain)
    app = init(PyFuncModel(model_meta=Model(signature=signature), model_impl=RiskModelPyfunc(model, explain)))
    _guard(app)
    return app


def serve(ref=None, *, host: str = "127.0.0.1", port: int = 5001, explain: int = 3, name: str | None = None,
          log=print) -> None:
    """Serve the model on ``host:port`` until interrupted (SIGINT/SIGTERM end it cleanly)."""
    import uvicorn

    app = build_app(ref, explain)
    log(f"serving {name or ref or 'the default model'} at http://{host}:{port}/invocations (Ctrl-C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")
