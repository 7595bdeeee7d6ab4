"""The model artifact: data files with a manifest of their sha256, verified before anything is read.

A saved model is a set of *data* files (JSON documents and the XGBoost booster
in XGBoost's own UBJSON format), never a pickle, plus ``manifest.json``::

    {"format": "rairpredict-model", "format_version": 1,
     "files": {"model.json": "<sha256>", "booster.ubj": "<sha256>", ...}}

Two forms hold the same files: a **directory** (used inside MLflow models) and
a **single zip file** (to carry a model to another site; read in memory, never
extracted). :func:`read_artifact` is the one check every load path calls
(local file, directory, ``models:/``, ``runs:/``, ``mlflow.pyfunc.load_model``,
the REST server, Spark): it reads every byte once, checks the format, refuses
a missing, extra or changed file, and returns the verified bytes, so nothing
is parsed from disk after the check. The sha256 of ``manifest.json`` itself is
recorded as a tag on the MLflow run and model version at logging time and
passed as ``expected_manifest`` when loading through the registry, so a
manifest rewritten beside a swapped file is refused as well.

Bytes are deterministic: sorted JSON keys, zip entries in name order with a
fixed date; provenance (dates, run ids) lives in its own document.

Examples
--------
>>> import tempfile, pathlib
>>> from rairpredict.models.artifact import write_artifact, read_artifact
>>> d = pathlib.Path(tempfile.mkdtemp()) / "m"
>>> _ = write_artifact({"model.json": b"{}"}, d)
>>> sorted(read_artifact(d).files)
['model.json']
>>> _ = (d / "model.json").write_bytes(b'{"x": 1}')
>>> read_artifact(d)
Traceback (most recent call last):
...
rairpredict.errors.ConfigError: ...model.json: sha256 differs from manifest.json ...
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rairpredict.errors import ConfigError

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST", "Artifact", "read_artifact", "write_artifact",
           "artifact_bytes", "dumps_json", "loads_json", "REEXPORT_HINT", "sha256", "fingerprint", "PROVENANCE",
           "save_files"]

FORMAT, FORMAT_VERSION, MANIFEST = "rairpredict-model", 1, "manifest.json"
#: The one document that may differ between two exports of the same model (dates, run ids).
PROVENANCE = "provenance.json"
#: How to make a model in the current format (said in every refusal of an old file).
REEXPORT_HINT = "re-export it with `rairpredict train --config CONFIG --export DIR`"
#: Upper bound on an artifact's total size: a model is a few MB; a bigger file is refused unread.
MAX_BYTES = 512 * 1024 * 1024
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".pck")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dumps_json(obj) -> bytes:
    """Deterministic JSON bytes: sorted keys, no NaN/Infinity (strict JSON any reader accepts)."""
    return (json.dumps(obj, sort_keys=True, indent=1, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _no_constant(name):
    raise ValueError(f"non-standard JSON constant {name}")


def loads_json(data: bytes, where: str):
    """Strict JSON document -> Python; a malformed document is a one-line :class:`ConfigError`."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{where}: not a valid JSON document ({str(exc).splitlines()[0]}); {REEXPORT_HINT}") \
            from None


@dataclass(frozen=True)
class Artifact:
    """Verified content of a model artifact.

    Attributes
    ----------
    files : dict
        Relative POSIX path -> bytes, every file listed in the manifest (not the manifest).
        ``fingerprint(files)`` identifies the fitted model regardless of provenance.
    manifest : dict
        The parsed ``manifest.json``.
    manifest_sha256 : str
        sha256 of the ``manifest.json`` bytes (what MLflow tags record).
    source : str
        Where it was read from (for messages).
    """

    files: dict
    manifest: dict
    manifest_sha256: str
    source: str

    def json(self, name: str):
        return loads_json(self.files[name], f"{self.source}: {name}")


def fingerprint(files: dict) -> str:
    """sha256 over every file but :data:`PROVENANCE`: equal for two exports of the same fitted model.

    Examples
    --------
    >>> fingerprint({"model.json": b"{}", "provenance.json": b"1"}) == fingerprint({"model.json": b"{}",
    ...                                                                             "provenance.json": b"2"})
    True
    """
    lines = "".join(f"{name}\t{sha256(data)}\n" for name, data in sorted(files.items()) if name != PROVENANCE)
    return sha256(lines.encode("utf-8"))


def _manifest(files: dict) -> bytes:
    return dumps_json({"format": FORMAT, "format_version": FORMAT_VERSION, "fingerprint": fingerprint(files),
                       "files": {name: sha256(data) for name, data in sorted(files.items())}})


def _check_names(files: dict) -> None:
    for name in files:
        p = PurePosixPath(name)
        if name == MANIFEST or p.is_absolute() or ".." in p.parts or not p.parts or "\\" in name:
            raise ValueError(f"invalid artifact file name {name!r}")


def write_artifact(files: dict, directory) -> str:
    """Write ``files`` (relative path -> bytes) and their manifest to a new ``directory``.

    Returns the sha256 of the manifest. The directory must not exist or be
    empty: an artifact never mixes with other files.
    """
    _check_names(files)
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise ConfigError(f"{directory}: exists and is not empty; a model is written to a new directory")
    manifest = _manifest(files)
    for name, data in {**files, MANIFEST: manifest}.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return sha256(manifest)


def artifact_bytes(files: dict) -> bytes:
    """The single-file (zip) form of ``files`` plus manifest, byte-for-byte reproducible."""
    _check_names(files)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted({**files, MANIFEST: _manifest(files)}.items()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type, info.create_system, info.external_attr = zipfile.ZIP_DEFLATED, 3, 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _looks_pickled(path: Path, head: bytes) -> bool:
    # pickle protocol >= 2 starts with 0x80; joblib's compressed pickles with a zlib/gzip/xz/lz4 header
    return path.suffix.lower() in _PICKLE_SUFFIXES or head[:1] == b"\x80" or head[:2] in (b"x\x9c", b"x\x01",
                                                                                           b"x\xda", b"\x1f\x8b")


def _read_zip(data: bytes, where: str) -> dict:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
        if sum(i.file_size for i in infos) > MAX_BYTES:
            raise ConfigError(f"{where}: model archive expands beyond {MAX_BYTES >> 20} MB; refused")
        files = {}
        for info in infos:
            if info.is_dir():
                continue
            if info.filename in files:
                raise ConfigError(f"{where}: file {info.filename!r} appears twice in the archive; refused")
            files[info.filename] = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
        raise ConfigError(f"{where}: damaged model archive ({exc}); {REEXPORT_HINT}") from None
    return files


def _read_dir(path: Path) -> dict:
    files, total = {}, 0
    for p in sorted(path.rglob("*")):
        if p.is_symlink():
            raise ConfigError(f"{p}: a symbolic link inside a model directory; refused")
        if p.is_file():
            total += p.stat().st_size
            if total > MAX_BYTES:
                raise ConfigError(f"{path}: model directory larger than {MAX_BYTES >> 20} MB; refused")
            files[p.relative_to(path).as_posix()] = p.read_bytes()
    return files


def _read_source(source) -> tuple[dict, str]:
    if isinstance(source, (bytes, bytearray)):
        where = "<model bytes>"
        data = bytes(source)
        if not data.startswith(b"PK\x03\x04"):
            raise ConfigError(f"{where}: not a rairpredict model archive; {REEXPORT_HINT}")
        return _read_zip(data, where), where
    path = Path(source)
    where = str(path)
    if path.is_dir():
        return _read_dir(path), where
    if not path.is_file():
        raise ConfigError(f"{path}: model not found (pass a model file or directory, models:/NAME@ALIAS, "
                          "models:/NAME/VERSION or runs:/RUN_ID/PATH)")
    if path.stat().st_size > MAX_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_BYTES >> 20} MB, not a rairpredict model; refused")
    data = path.read_bytes()
    if not data.startswith(b"PK\x03\x04"):
        if _looks_pickled(path, data[:4]):
            raise ConfigError(f"{path}: an old pickled model (.joblib); rairpredict no longer loads pickles, which "
                              f"can run code; {REEXPORT_HINT}")
        raise ConfigError(f"{path}: not a rairpredict model file (expected a model .zip or directory); "
                          f"{REEXPORT_HINT}")
    return _read_zip(data, where), where


def read_artifact(source, *, expected_manifest: str | None = None) -> Artifact:
    """Read and verify a model artifact (directory, zip file or zip bytes); the ONE check of every load.

    Parameters
    ----------
    source : path or bytes
        Artifact directory, single-file zip, or the zip's bytes.
    expected_manifest : str, optional
        sha256 the ``manifest.json`` must have (recorded in MLflow when the
        model was logged).

    Returns
    -------
    Artifact
        The verified bytes of every file.

    Raises
    ------
    ConfigError
        One line naming the file and the problem: old pickle, missing or
        unreadable manifest, unknown format version, a file missing, extra or
        changed, or a manifest that is not the one recorded at logging time.
    """
    files, where = _read_source(source)
    if MANIFEST not in files:
        old = [n for n in files if Path(n).suffix.lower() in _PICKLE_SUFFIXES or n.endswith("python_model.pkl")]
        if old:
            raise ConfigError(f"{where}: an old pickled model ({old[0]}); rairpredict no longer loads pickles, "
                              f"which can run code; {REEXPORT_HINT}")
        raise ConfigError(f"{where}: no {MANIFEST}; not a rairpredict model artifact; {REEXPORT_HINT}")
    raw = files.pop(MANIFEST)
    digest = sha256(raw)
    if expected_manifest is not None and digest != expected_manifest:
        raise ConfigError(f"{where}: {MANIFEST} differs from the one recorded in MLflow when the model was logged "
                          "(the artifact was changed after logging); refused")
    manifest = loads_json(raw, f"{where}: {MANIFEST}")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or \
            not isinstance(manifest.get("files"), dict):
        raise ConfigError(f"{where}: {MANIFEST} is not a rairpredict model manifest; {REEXPORT_HINT}")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise ConfigError(f"{where}: model format version {version!r}; this rairpredict reads version "
                          f"{FORMAT_VERSION} (upgrade rairpredict, or {REEXPORT_HINT})")
    listed = manifest["files"]
    if any(not isinstance(v, str) for v in listed.values()):
        raise ConfigError(f"{where}: {MANIFEST} is not a rairpredict model manifest; {REEXPORT_HINT}")
    missing = sorted(set(listed) - set(files))
    extra = sorted(set(files) - set(listed))
    if missing:
        raise ConfigError(f"{where}: {missing[0]} is listed in {MANIFEST} but missing; refused")
    if extra:
        raise ConfigError(f"{where}: {extra[0]} is not listed in {MANIFEST} (unexpected file); refused")
    for name in sorted(listed):
        if sha256(files[name]) != listed[name]:
            raise ConfigError(f"{where}: {name}: sha256 differs from {MANIFEST} (the file changed after export); "
                              "re-export the model")
    return Artifact(files=files, manifest=manifest, manifest_sha256=digest, source=where)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def save_files(files: dict, path) -> str:
    """Write a model's files as a ``.zip`` file, or else a new directory; return the manifest's sha256.

    Files are written to a temporary name first and renamed, so a reader never
    sees half a model; an existing non-empty directory is never overwritten.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".zip":
        data = artifact_bytes(files)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; a model file is shareable
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return read_artifact(data).manifest_sha256
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"{path}: exists and is not a directory")
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        digest = write_artifact(files, tmp / "m")
        if path.exists():
            if any(path.iterdir()):
                raise FileExistsError(f"{path}: exists and is not empty; a model is written to a new directory")
            path.rmdir()
        os.replace(tmp / "m", path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return digest
