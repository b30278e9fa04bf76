"""``pegboard compress DIR``: write ``.br``, ``.zst`` and ``.gz`` siblings for staticdir.

A sibling is kept only if it is at least ``min_saving`` (5 %) smaller than
the file. It gets the file's modification time, which is how the server
knows it is fresh: a sibling older than its file is ignored when serving
(and removed here). Files are streamed through the compressors, never read
whole.
"""

from __future__ import annotations

import argparse
import gzip
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from .negotiation import worth_compressing

__all__ = ["FORMATS", "CompressReport", "add_command", "compress_file", "compress_tree", "run"]

_CHUNK = 256 * 1024

#: format name (command line) -> file suffix, in the order they are written
FORMATS: dict[str, str] = {"br": ".br", "zst": ".zst", "gz": ".gz"}


@dataclass
class CompressReport:
    """What one run did, for the summary line and for tests."""

    files: int = 0
    written: list[str] = field(default_factory=list)
    not_worth_it: list[str] = field(default_factory=list)
    up_to_date: int = 0
    removed_stale: list[str] = field(default_factory=list)


def _encode_gzip(src: IO[bytes], dst: IO[bytes], st: os.stat_result) -> None:
    # mtime and an empty name make the output depend on the bytes alone.
    mtime = int(st.st_mtime)
    with gzip.GzipFile(filename="", mode="wb", fileobj=dst, compresslevel=9, mtime=mtime) as out:
        while chunk := src.read(_CHUNK):
            out.write(chunk)


def _encode_brotli(src: IO[bytes], dst: IO[bytes], st: os.stat_result) -> None:
    import brotli  # untyped: the project's mypy config ignores its missing stubs

    compressor = brotli.Compressor(quality=11)
    while chunk := src.read(_CHUNK):
        dst.write(compressor.process(chunk))
    dst.write(compressor.finish())


def _encode_zstd(src: IO[bytes], dst: IO[bytes], st: os.stat_result) -> None:
    import zstandard

    compressor = zstandard.ZstdCompressor(level=19, write_content_size=True)
    compressor.copy_stream(src, dst, size=st.st_size)


_ENCODERS: dict[str, Callable[[IO[bytes], IO[bytes], os.stat_result], None]] = {
    "br": _encode_brotli,
    "zst": _encode_zstd,
    "gz": _encode_gzip,
}
_MODULES = {"br": "brotli", "zst": "zstandard", "gz": "gzip"}


def available_formats(wanted: Iterable[str]) -> tuple[list[str], list[str]]:
    """``(usable, missing)``: formats whose compression library can be imported."""
    usable, missing = [], []
    for name in wanted:
        try:
            __import__(_MODULES[name])
        except ImportError:
            missing.append(name)
        else:
            usable.append(name)
    return usable, missing


def compress_file(
    path: str,
    formats: Sequence[str] = tuple(FORMATS),
    *,
    min_saving: float = 0.05,
    force: bool = False,
    report: CompressReport | None = None,
) -> CompressReport:
    """Write the siblings of one file that save at least ``min_saving`` (a fraction)."""
    report = report if report is not None else CompressReport()
    st = os.stat(path)
    report.files += 1
    folder = os.path.dirname(path) or "."
    for name in formats:
        target = path + FORMATS[name]
        try:
            existing: os.stat_result | None = os.lstat(target)
        except FileNotFoundError:
            existing = None
        if existing is not None and not force and existing.st_mtime_ns >= st.st_mtime_ns:
            report.up_to_date += 1
            continue
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
        try:
            with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
                _ENCODERS[name](src, dst, st)
            size = os.stat(tmp).st_size
            if size > st.st_size * (1.0 - min_saving):
                os.unlink(tmp)
                report.not_worth_it.append(target)
                if existing is not None:
                    os.unlink(target)  # stale: the server ignores it anyway
                    report.removed_stale.append(target)
                continue
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
            os.replace(tmp, target)
            report.written.append(target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return report


def _wanted(name: str) -> bool:
    return not name.startswith(".") and worth_compressing(name)


def compress_tree(
    folder: str,
    formats: Sequence[str] = tuple(FORMATS),
    *,
    min_saving: float = 0.05,
    force: bool = False,
) -> CompressReport:
    """Compress every regular, non-hidden file below ``folder`` (symlinks are not followed)."""
    report = CompressReport()
    for current, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not _wanted(name):
                continue
            path = os.path.join(current, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_size == 0:
                continue
            compress_file(path, formats, min_saving=min_saving, force=force, report=report)
    return report


def run(args: argparse.Namespace) -> int:
    """The ``pegboard compress`` command; returns the exit code."""
    out: Any = sys.stdout
    err: Any = sys.stderr
    folder = args.dir
    if not os.path.isdir(folder):
        print(f"pegboard compress: {folder!r} is not a folder", file=err)
        return 2
    wanted = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        named = ", ".join(unknown) or "(none)"
        print(f"pegboard compress: unknown format {named}; use br, zst, gz", file=err)
        return 2
    if not 0 <= args.min_saving < 100:
        print("pegboard compress: --min-saving is a percentage from 0 to 99", file=err)
        return 2
    formats, missing = available_formats(wanted)
    for name in missing:
        print(f"pegboard compress: skipping .{name}: install {_MODULES[name]!r} for it", file=err)
    if not formats:
        return 2
    report = compress_tree(folder, formats, min_saving=args.min_saving / 100, force=args.force)
    if not args.quiet:
        for path in report.written:
            print(f"wrote {path}", file=out)
    print(
        f"{report.files} file(s): {len(report.written)} sibling(s) written, "
        f"{report.up_to_date} up to date, {len(report.not_worth_it)} not kept "
        f"(saved less than {args.min_saving:g} %)",
        file=out,
    )
    return 0


def add_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``compress`` to the ``pegboard`` command line."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "compress",
        help="write .br/.zst/.gz siblings of static files for staticdir",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("dir", help="the folder to compress (recursively)")
    parser.add_argument(
        "--formats", default="br,zst,gz", help="comma-separated: br, zst, gz (default: all)"
    )
    parser.add_argument(
        "--min-saving",
        type=float,
        default=5.0,
        help="keep a sibling only if it is this many percent smaller (default 5)",
    )
    parser.add_argument(
        "--force", action="store_true", help="rewrite siblings that look up to date"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the summary")
    parser.set_defaults(func=run)
    return parser
