"""Reading and writing cohort tables (CSV, Parquet, Excel), safely.

``read_table`` turns a file into a DataFrame of *raw text* (CSV and Excel) so
that the importer, not the reader, decides what is a number, a missing token
or a category; file-level problems raise one :class:`CohortFileError`.
``write_table`` writes atomically and neutralises spreadsheet formula
injection in CSV text cells; scoring and report reuse both.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.csv").write_text("x;y\\r\\n1;=SUM(A1)\\r\\n", encoding="utf-8-sig")
>>> t = read_table(d / "a.csv")
>>> t.to_dict("list")
{'x': ['1'], 'y': ['=SUM(A1)']}
>>> out = write_table(t, d / "b.csv")
>>> out.read_text().splitlines()[1]
"1,'=SUM(A1)"
"""
from __future__ import annotations

import csv
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from rairpredict.errors import CohortFileError

__all__ = ["read_table", "write_table", "atomic_path", "escape_formulas", "FORMULA_PREFIXES"]

#: Leading characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_CANDIDATE_DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
_EXCEL = {".xlsx", ".xlsm"}
_PARQUET = {".parquet", ".pq"}


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CANDIDATE_DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on one-column or very irregular files; the header
        # line alone is then the best evidence.
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in _CANDIDATE_DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_csv(path: Path, delimiter: str | None, encoding: str) -> pd.DataFrame:
    try:
        with open(path, encoding=encoding, newline="") as fh:
            sample = fh.read(_SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        raise CohortFileError(path, f"unreadable file: not {encoding} text ({exc.reason} at byte {exc.start})") from None
    if not sample.strip():
        raise CohortFileError(path, "empty file (no header, no rows)")
    sep = delimiter if delimiter not in (None, "auto") else _sniff_delimiter(sample)
    try:
        table = pd.read_csv(path, sep=sep, encoding=encoding, dtype=str, keep_default_na=False,
                            na_filter=False, skipinitialspace=False, engine="python")
    except (pd.errors.ParserError, ValueError) as exc:
        raise CohortFileError(path, f"unreadable CSV with delimiter {sep!r}: {str(exc).splitlines()[0]}") from None
    if table.shape[1] == 1:
        name = str(table.columns[0])
        others = [d for d in _CANDIDATE_DELIMITERS if d != sep and d in name]
        if others:
            raise CohortFileError(path, f"wrong delimiter: the whole header is one column with delimiter {sep!r}; "
                                  f"the header contains {others[0]!r} (set read.delimiter or leave it to auto-detection)",
                                  column=name[:60])
    return table


def read_table(path, *, delimiter: str | None = None, encoding: str | None = None,
               sheet: str | int | None = None) -> pd.DataFrame:
    """Read a cohort file into a DataFrame.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.tsv``/``.txt`` (any of ``, ; TAB |``), ``.parquet`` or ``.xlsx``.
    delimiter : str, optional
        CSV delimiter; ``None`` or ``"auto"`` sniffs it from the first 64 KiB.
    encoding : str, optional
        Text encoding; default ``"utf-8-sig"`` (UTF-8 with or without a BOM).
    sheet : str or int, optional
        Excel sheet name or 0-based position (default the first sheet).

    Returns
    -------
    DataFrame
        CSV and Excel cells as text (``""`` for empty cells, nothing parsed);
        Parquet with its stored dtypes.

    Raises
    ------
    CohortFileError
        Missing or unreadable file, unknown format, no data rows, or a header
        that is one column because of a wrong delimiter.
    """
    path = Path(path)
    if not path.is_file():
        raise CohortFileError(path, "unreadable file: does not exist or is not a file")
    suffix = path.suffix.lower()
    try:
        if suffix in _PARQUET:
            table = pd.read_parquet(path)
        elif suffix in _EXCEL:
            table = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=str,
                                  keep_default_na=False, na_filter=False, engine="openpyxl")
        elif suffix in {".csv", ".tsv", ".txt", ".tab"}:
            table = _read_csv(path, "\t" if delimiter is None and suffix == ".tsv" else delimiter,
                              encoding or "utf-8-sig")
        else:
            raise CohortFileError(path, f"unreadable file: unknown format {suffix!r} (use .csv, .tsv, .parquet or .xlsx)")
    except CohortFileError:
        raise
    except Exception as exc:  # any reader failure on a user file is a file-level user error
        raise CohortFileError(path, f"unreadable file: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    table.columns = [str(c).strip() for c in table.columns]
    if len(table) == 0:
        raise CohortFileError(path, "empty file (header but no data rows)")
    return table


def escape_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``table`` with text cells that start with ``= + - @`` prefixed by ``'``.

    Numeric columns are left alone (a negative number is data, not a formula);
    text cells are escaped even when they look numeric, as spreadsheets would
    still evaluate e.g. ``-2+3``.
    """
    out = table.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        elif not (pd.api.types.is_object_dtype(s.dtype) or pd.api.types.is_string_dtype(s.dtype)):
            continue
        text = s.where(s.isna(), s.astype(str))
        risky = text.str.startswith(FORMULA_PREFIXES, na=False)
        if risky.any():
            out[col] = text.mask(risky, "'" + text.where(risky, "").astype(str))
    return out


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success move it into place.

    The temporary file lives in the same directory so :func:`os.replace` is an
    atomic rename: readers see the old file or the complete new one, never half.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates 0600; give the result the permissions of a normal new
        # file (0666 less the umask) so colleagues can open it from a share.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(table: pd.DataFrame, path, *, escape: bool = True) -> Path:
    """Write ``table`` atomically to ``.csv``, ``.parquet`` or ``.xlsx``.

    CSV and Excel text cells are formula-escaped (see :func:`escape_formulas`)
    unless ``escape=False``; Parquet keeps values exactly.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    with atomic_path(path) as tmp:
        if suffix in _PARQUET:
            table.to_parquet(tmp, index=False)
        elif suffix in {".csv", ".tsv", ".txt"}:
            out = escape_formulas(table) if escape else table
            out.to_csv(tmp, index=False, sep="\t" if suffix == ".tsv" else ",", lineterminator="\n")
        elif suffix in _EXCEL:
            out = escape_formulas(table) if escape else table
            out.to_excel(tmp, index=False, engine="openpyxl")
        else:
            raise CohortFileError(path, f"unknown output format {suffix!r} (use .csv, .tsv, .parquet or .xlsx)")
    return path
