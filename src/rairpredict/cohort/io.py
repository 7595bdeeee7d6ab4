"""Reading and writing cohort tables (CSV, Parquet, Excel), safely.

``read_table`` turns a file into a DataFrame of *raw text* (CSV and Excel) so
that the importer, not the reader, decides what is a number, a missing token
or a category; file-level problems raise one :class:`CohortFileError`.
``csv_chunks`` streams a CSV in chunks for scoring; both share one CSV reader
(Arrow's), which

* detects the text encoding (UTF-8 with or without BOM, UTF-16/32 with BOM;
  a file that is not valid UTF-8 is read as cp1252, or latin-1, and a note
  says so) unless it is named (``encoding=``, the CLI's ``--encoding``);
* refuses binary files and files whose content does not match their
  extension (a Parquet file named ``.csv``, a CSV named ``.parquet``);
* never pads, truncates or drops a row silently: a row with more or fewer
  fields than the header (rule ``wrong_field_count``) or with a NUL byte
  (rule ``nul_byte``) is left out of the table and reported as a reject row.

``write_table`` writes atomically and neutralises spreadsheet formula
injection in CSV text cells; scoring and report reuse both.
:func:`check_paths` is the one check every command makes before reading:
no output may overwrite an input or another output, and every output must be
writable. :data:`MISSING_TOKENS` is the one list of texts read as missing.

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
>>> check_paths(inputs={"input": d / "a.csv"}, outputs={"output": d / "A.CSV"})
Traceback (most recent call last):
...
rairpredict.errors.UsageError: output .../A.CSV is the input .../a.csv (it would be overwritten); choose another output path
"""
from __future__ import annotations

import codecs
import csv
import errno
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd

from rairpredict.errors import CohortFileError, UsageError

__all__ = ["read_table", "write_table", "atomic_path", "check_paths", "csv_chunks", "detect_encoding",
           "escape_formulas", "FORMULA_PREFIXES", "MISSING_TOKENS", "READER_RULES"]

#: Leading characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Texts (after stripping spaces, case-sensitive) read as a missing value, in
#: canonical files and as the default ``missing_tokens`` of a cohort config.
#: Not ``none``: it is a category of several contract fields.
MISSING_TOKENS = ("", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "-", ".")
#: Reject rules of the reader (row-level problems found before validation).
READER_RULES = {"wrong_field_count": "the row has {actual} fields, the header {expected}",
                "nul_byte": "a NUL byte (0x00) in the row: the file is damaged or not text"}
_CANDIDATE_DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
_EXCEL = {".xlsx", ".xlsm"}
_PARQUET = {".parquet", ".pq"}
_TEXT = {".csv", ".tsv", ".txt", ".tab"}
# A row must fit in one block of the CSV reader; bigger rows are one file-level error.
_BLOCK_BYTES = 16 << 20
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_MAGIC = ((b"PAR1", "a Parquet file"), (b"PK\x03\x04", "a zip archive (Excel .xlsx?)"),
          (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Office file"), (b"\x1f\x8b", "a gzip archive"),
          (b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"SQLite format 3", "an SQLite database"),
          (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ", "an xz archive"))
_REJECT_COLUMNS = ["source_row", "patient_id", "column", "value", "rule", "message"]


# ---------------------------------------------------------------- paths
def _key(path: Path) -> tuple[str, Path]:
    resolved = Path(os.path.abspath(path)).resolve()
    # Case-folded: on a case-insensitive file system (macOS, Windows shares) A.csv is a.csv.
    return str(resolved).casefold(), resolved


def _same(a: Path, b: Path) -> bool:
    if _key(a)[0] == _key(b)[0]:
        return True
    try:
        return os.path.samefile(a, b)  # hard links, bind mounts
    except OSError:
        return False


def _named(paths, role: str) -> list[tuple[str, Path]]:
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    items = paths.items() if isinstance(paths, dict) else ((role, p) for p in paths)
    # Model references such as models:/rair@champion are not files.
    return [(r, Path(p)) for r, p in items if p is not None and ":/" not in str(p)]


def _check_writable(role: str, path: Path) -> None:
    if path.is_dir():
        raise UsageError(f"{role} {path} is a directory; give a file name")
    parent = Path(os.path.abspath(path)).parent
    while not parent.exists():  # missing directories are created when writing: check the first that exists
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{role} {path}: {parent} is not a directory")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"{role} {path} exists and is read-only; remove it or choose another output path")
    try:  # the real test (read-only mounts, root, ACLs): can a file be made there?
        fd, probe = _open_temp(parent, path.name)
        os.close(fd)
        if probe is not None:
            os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"{role} {path}: cannot write in {parent} ({exc.strerror})") from None


def check_paths(inputs=None, outputs=None) -> None:
    """Refuse, before anything is read, outputs that would destroy an input or each other.

    The one check every command makes. Paths are compared after making them
    absolute, following symbolic links and ignoring case (and by
    :func:`os.path.samefile` for hard links). Each output must also be
    writable: not a directory, not a read-only file, in a directory (or
    under the nearest existing one, for directories still to be created) where
    a file can be made.

    Parameters
    ----------
    inputs, outputs : path, list of paths or dict {role: path}
        ``None`` entries and model references (``models:/...``) are skipped;
        the role (e.g. ``"rejects"``) is named in the error.

    Raises
    ------
    UsageError
        One line naming both paths (exit code 2 in the CLI).

    Examples
    --------
    >>> check_paths(inputs={"input": "cohort.csv"}, outputs={"scores": "s.csv", "rejects": "S.CSV"})
    Traceback (most recent call last):
    ...
    rairpredict.errors.UsageError: rejects S.CSV and scores s.csv are the same file; give them different paths
    """
    ins, outs = _named(inputs, "input"), _named(outputs, "output")
    for role, out in outs:
        for in_role, src in ins:
            if _same(out, src):
                raise UsageError(f"{role} {out} is the {in_role} {src} (it would be overwritten); "
                                 "choose another output path")
    for i, (role, out) in enumerate(outs):
        for other_role, other in outs[:i]:
            if _same(out, other):
                raise UsageError(f"{role} {out} and {other_role} {other} are the same file; "
                                 "give them different paths")
    for role, out in outs:
        _check_writable(role, out)


# ---------------------------------------------------------------- text files
def _kind_of(head: bytes) -> str | None:
    """What a file that should be text looks like, if it is not text."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if not head:
        return None
    control = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 32)))
    return "binary data" if control / len(head) > 0.1 else None


def _utf16_without_bom(head: bytes) -> str | None:
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4 and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if len(head) >= 4 and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def _first_bad_utf8(path: Path) -> int | None:
    """Byte offset of the first invalid UTF-8 sequence, or None (reads the file once, 8 MiB at a time)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0
    with open(path, "rb") as fh:
        while block := fh.read(8 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return done + exc.start
            done += len(block)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            return done + exc.start
    return None


def detect_encoding(path, encoding: str | None = None) -> tuple[str, str | None]:
    """(encoding, note) of a text file; refuses binary files.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32); without one the file
    is UTF-8 if every byte sequence is valid UTF-8, else cp1252 (Windows
    Western European; latin-1 if cp1252 cannot decode it) and ``note`` says
    so. A named ``encoding`` is checked to exist and used as given.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(f"unknown encoding {encoding!r} (e.g. utf-8, cp1252, latin-1, utf-16)") from None
        return encoding, None
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, None
    guess = _utf16_without_bom(head)
    if guess:
        return guess, f"note: {path} has no byte-order mark; read as {guess.upper()} (name it with --encoding)"
    what = _kind_of(head)
    if what:
        raise CohortFileError(path, f"not a text (CSV) file: it looks like {what}"
                              + (" (rename it .parquet)" if what == "a Parquet file" else ""))
    bad = _first_bad_utf8(path)
    if bad is None:
        return "utf-8", None
    try:
        with open(path, encoding="cp1252") as fh:
            while fh.read(8 << 20):
                pass
        name = "cp1252"
    except UnicodeDecodeError:
        name = "latin-1"
    return name, (f"note: {path} is not UTF-8 (byte {bad}); read as {name} "
                  "(name the encoding with --encoding if this is wrong)")


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


def _header(path: Path, encoding: str, delimiter: str | None) -> tuple[list[str], str]:
    try:
        with open(path, encoding=encoding, newline="") as fh:
            sample = fh.read(_SNIFF_BYTES)
    except UnicodeDecodeError as exc:
        raise CohortFileError(path, f"unreadable file: not {encoding} text ({exc.reason} at byte {exc.start}); "
                              "name the right encoding") from None
    sample = sample.lstrip("\ufeff")
    if not sample.strip():
        raise CohortFileError(path, "empty file (no header, no rows)")
    sep = delimiter if delimiter not in (None, "auto") else _sniff_delimiter(sample)
    try:
        names = next(csv.reader(sample.splitlines()[:1] or [""], delimiter=sep))
    except csv.Error as exc:
        raise CohortFileError(path, f"unreadable header: {exc}", row=0) from None
    names = [n.strip() for n in names]
    if len(names) == 1:
        others = [d for d in _CANDIDATE_DELIMITERS if d != sep and d in names[0]]
        if others:
            raise CohortFileError(path, f"wrong delimiter: the whole header is one column with delimiter {sep!r}; "
                                  f"the header contains {others[0]!r} (set read.delimiter or leave it to "
                                  "auto-detection)", column=names[0][:60])
    seen = set()
    for i, name in enumerate(names):
        if name in seen:
            raise CohortFileError(path, f"duplicate column name in the header (positions {names.index(name) + 1} "
                                  f"and {i + 1}); rename one", column=name)
        seen.add(name)
    if any("\x00" in n for n in names):
        raise CohortFileError(path, "a NUL byte in the header: the file is damaged or not text")
    return names, sep


def _rejects(rows: np.ndarray, rule: str, messages) -> pd.DataFrame:
    return pd.DataFrame({"source_row": np.asarray(rows, dtype="int64"), "patient_id": pd.NA, "column": "",
                         "value": "", "rule": rule, "message": messages}).astype(
        {"patient_id": "string", "column": "string", "value": "string", "rule": "string", "message": "string"})


def _nul_rows(table) -> np.ndarray:
    import pyarrow.compute as pc

    mask = None
    for col in table.columns:
        hit = pc.fill_null(pc.match_substring(col, "\x00"), False)
        mask = hit if mask is None else pc.or_(mask, hit)
    return np.zeros(table.num_rows, bool) if mask is None else mask.to_numpy(zero_copy_only=False)


def csv_chunks(path, chunk_size: int, *, delimiter: str | None = None, encoding: str | None = None,
               notes: list | None = None):
    """Stream a CSV as ``(text DataFrame, source rows, reader rejects, offset, rows)`` chunks.

    Each chunk covers ``rows`` consecutive data rows from data row
    ``offset + 1`` (1-based, the header not counted, blank lines skipped):
    the rows read (every cell text, ``""`` when empty), their ``source rows``
    numbers, and the rows left out (``wrong_field_count``, ``nul_byte``) as a
    rejects table. ``notes`` receives a line when the encoding was guessed.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    enc, note = detect_encoding(path, encoding)
    if note and notes is not None:
        notes.append(note)
    names, sep = _header(path, enc, delimiter)
    bad: dict[int, tuple[int, int]] = {}  # data row (0-based) -> (fields, expected)

    def handler(row):
        bad[row.number - 2] = (row.actual_columns, row.expected_columns)  # number: 1 is the header
        return "skip"

    arrow_enc = "utf8" if enc.replace("-", "").replace("_", "").lower() in ("utf8", "utf8sig") else enc
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, encoding=arrow_enc,
                                           block_size=_BLOCK_BYTES, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=True, invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[],
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, OSError, ValueError) as exc:
        raise CohortFileError(path, f"unreadable CSV: {_first_line(exc)}") from None
    pending, next_row, offset = [], 0, 0

    def emit(upto: int):
        """The chunk of data rows [offset, upto)."""
        nonlocal pending, offset
        tables = [t for t, _ in pending]
        numbers = np.concatenate([r for _, r in pending]) if pending else np.empty(0, np.int64)
        table = pa.concat_tables(tables) if tables else None
        inside = numbers < upto
        k = int(inside.sum())
        good, rest = (table.slice(0, k), table.slice(k)) if table is not None else (None, None)
        pending = [(rest, numbers[k:])] if rest is not None and rest.num_rows else []
        numbers = numbers[:k]
        wrong = sorted(b for b in bad if offset <= b < upto)
        parts = [_rejects(np.array(wrong, np.int64) + 1, "wrong_field_count",
                          [READER_RULES["wrong_field_count"].format(actual=bad[b][0], expected=bad[b][1])
                           for b in wrong])] if wrong else []
        for b in wrong:
            del bad[b]
        if good is not None and good.num_rows:
            nul = _nul_rows(good)
            if nul.any():
                parts.append(_rejects(numbers[nul] + 1, "nul_byte", READER_RULES["nul_byte"]))
                good, numbers = good.filter(pa.array(~nul)), numbers[~nul]
        frame = (good.to_pandas() if good is not None else
                 pd.DataFrame({n: pd.Series(dtype=object) for n in names}))
        frame.columns = names
        rejects = (pd.concat(parts, ignore_index=True).sort_values("source_row", kind="stable")
                   .reset_index(drop=True) if parts else _rejects(np.empty(0, np.int64), "", []))
        chunk = (frame, numbers + 1, rejects, offset, upto - offset)
        offset = upto
        return chunk

    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except (pa.ArrowInvalid, UnicodeDecodeError, ValueError) as exc:
            raise CohortFileError(path, f"unreadable CSV after data row {next_row}: {_first_line(exc)}") from None
        g = batch.num_rows
        if not g:
            continue
        # The data-row numbers of this batch's rows: the next g numbers that were not skipped.
        skipped = np.array(sorted(b for b in bad if b >= next_row), np.int64)
        candidates = np.arange(next_row, next_row + g + len(skipped), dtype=np.int64)
        numbers = np.setdiff1d(candidates, skipped, assume_unique=True)[:g] if len(skipped) else candidates[:g]
        next_row = int(numbers[-1]) + 1
        pending.append((pa.Table.from_batches([batch]), numbers))
        # Every data row before next_row is known (kept, or reported to the handler while
        # its block was parsed, before this batch was returned): full chunks can go.
        while next_row - offset >= chunk_size:
            yield emit(offset + chunk_size)
    end = max([next_row, *(b + 1 for b in bad)])
    if end == 0:  # a header and no rows: one empty chunk carries the column names
        yield emit(0)
    while offset < end:
        yield emit(min(offset + chunk_size, end))


def _first_line(exc) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _check_parquet(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return
    if not head.strip():
        raise CohortFileError(path, "empty file (no header, no rows)")
    what = _kind_of(head)
    hint = f"it looks like {what}" if what else "it looks like text (CSV?): rename it .csv"
    raise CohortFileError(path, f"not a Parquet file: {hint}")


def _check_excel(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if not head.startswith(b"PK\x03\x04"):
        what = _kind_of(head) or "text (CSV?): rename it .csv"
        raise CohortFileError(path, f"not an Excel .xlsx file: it looks like {what}")


def _read_csv(path: Path, delimiter: str | None, encoding: str | None) -> pd.DataFrame:
    notes: list = []
    frames, rows, rejects = [], [], []
    for frame, numbers, bad, _, _ in csv_chunks(path, 1 << 62, delimiter=delimiter, encoding=encoding, notes=notes):
        frames.append(frame)
        rows.append(numbers)
        rejects.append(bad)
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    bad = pd.concat(rejects, ignore_index=True) if rejects else _rejects(np.empty(0, np.int64), "", [])
    if len(bad):
        # Rows the reader left out: the importer numbers the rest by source_rows and reports these.
        table.attrs["source_rows"] = np.concatenate(rows)
        table.attrs["rejects"] = bad
    if notes:
        table.attrs["notes"] = notes
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
        Text encoding; default: detected (see :func:`detect_encoding`).
    sheet : str or int, optional
        Excel sheet name or 0-based position (default the first sheet).

    Returns
    -------
    DataFrame
        CSV and Excel cells as text (``""`` for empty cells, nothing parsed);
        Parquet with its stored dtypes. CSV rows the reader left out (wrong
        field count, NUL byte) are in ``.attrs["rejects"]`` and the data-row
        numbers of the rows kept in ``.attrs["source_rows"]``; a guessed
        encoding is noted in ``.attrs["notes"]``.

    Raises
    ------
    CohortFileError
        Missing or unreadable file, unknown format, content that does not
        match the extension, no data rows, duplicate column names, or a header
        that is one column because of a wrong delimiter.
    """
    path = Path(path)
    if not path.is_file():
        raise CohortFileError(path, "unreadable file: does not exist or is not a file", usage=True)
    suffix = path.suffix.lower()
    try:
        if suffix in _PARQUET:
            _check_parquet(path)
            table = pd.read_parquet(path)
        elif suffix in _EXCEL:
            _check_excel(path)
            table = pd.read_excel(path, sheet_name=0 if sheet is None else sheet, dtype=str,
                                  keep_default_na=False, na_filter=False, engine="openpyxl")
        elif suffix in _TEXT:
            table = _read_csv(path, "\t" if delimiter is None and suffix == ".tsv" else delimiter, encoding)
        else:
            raise CohortFileError(path, f"unreadable file: unknown format {suffix!r} (use .csv, .tsv, .parquet "
                                  "or .xlsx)", usage=True)
    except (CohortFileError, UsageError):
        raise
    except Exception as exc:  # any reader failure on a user file is a file-level user error
        raise CohortFileError(path, f"unreadable file: {type(exc).__name__}: {_first_line(exc)}") from None
    table.columns = [str(c).strip() for c in table.columns]
    if len(table) == 0 and not len(table.attrs.get("rejects", ())):
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


def _open_temp(directory: Path, name: str) -> tuple[int, Path | None]:
    """An open temporary file in ``directory``: (fd, None) if anonymous, else (fd, its path).

    On Linux the file is made with ``O_TMPFILE``: it has no name until it is
    linked into place, so a process killed with SIGKILL leaves nothing behind.
    Elsewhere (or on file systems without it) a hidden ``.NAME.*.tmp`` file.
    """
    flag = getattr(os, "O_TMPFILE", None)
    if flag is not None:
        try:
            return os.open(directory, flag | os.O_RDWR, 0o666), None
        except OSError as exc:
            if exc.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                raise
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    return fd, Path(tmp)


@contextmanager
def atomic_path(path):
    """Yield a temporary path for ``path``; on success move it into place atomically.

    The temporary file lives in the same directory, so the final rename is
    atomic: readers see the old file or the complete new one, never half. On
    Linux it is anonymous until then (``O_TMPFILE``; the yielded path is
    ``/proc/self/fd/N``, which any writer can open), so even SIGKILL leaves no
    partial file; on any exception the temporary file is removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "x.txt") as tmp:
    ...     _ = tmp.write_text("complete")
    >>> (d / "x.txt").read_text(), sorted(p.name for p in d.iterdir())
    ('complete', ['x.txt'])
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, named = _open_temp(path.parent, path.name)
    except OSError as exc:
        raise UsageError(f"cannot write {path} ({exc.strerror})") from None
    linked = None
    try:
        yield named if named is not None else Path(f"/proc/self/fd/{fd}")
        # A temporary file is created 0600; give the result the permissions of a
        # normal new file (0666 less the umask) so colleagues can open it from a share.
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        os.fsync(fd)
        if named is None:
            # Name the anonymous file (linkat needs a name that does not exist), then rename over OUT.
            linked = path.parent / f".{path.name}.{os.getpid()}.{fd}.tmp"
            dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.link(f"/proc/self/fd/{fd}", linked, src_dir_fd=dir_fd, follow_symlinks=True)
            finally:
                os.close(dir_fd)
        os.replace(named or linked, path)
        linked = None
    except BaseException:
        for leftover in (named, linked):
            if leftover is not None:
                Path(leftover).unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


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
