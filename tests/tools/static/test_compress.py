"""``pegboard compress DIR``: siblings that save at least 5 %, fresh by mtime, served by staticdir."""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
import zstandard

import pegboard_static
from pegboard_static.compress import add_command, compress_tree

CSS = b"".join(b".rule-%d { margin: %dpx; padding: 0 }\n" % (i, i % 7) for i in range(400))


@pytest.fixture
def assets(tmp_path: Path) -> Path:
    root = tmp_path / "assets"
    (root / "css").mkdir(parents=True)
    (root / ".cache").mkdir()
    (root / "css" / "site.css").write_bytes(CSS)
    (root / "random.bin").write_bytes(os.urandom(20_000))
    (root / "logo.png").write_bytes(b"\x89PNG" + b"\x00" * 5000)
    (root / ".hidden.txt").write_bytes(CSS)
    (root / ".cache" / "x.css").write_bytes(CSS)
    (root / "empty.txt").write_bytes(b"")
    os.symlink(root / "css" / "site.css", root / "link.css")
    return root


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pegboard")
    add_command(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_writes_siblings_that_decode_to_the_file_with_its_mtime(assets):
    report = compress_tree(str(assets))
    css = assets / "css" / "site.css"
    assert sorted(report.written) == sorted(f"{css}.{s}" for s in ("br", "gz", "zst"))
    assert brotli.decompress((assets / "css" / "site.css.br").read_bytes()) == CSS
    assert (
        zstandard.ZstdDecompressor().decompress((assets / "css" / "site.css.zst").read_bytes())
        == CSS
    )
    assert gzip.decompress((assets / "css" / "site.css.gz").read_bytes()) == CSS
    mtime = os.stat(css).st_mtime_ns
    for suffix in (".br", ".zst", ".gz"):
        assert os.stat(f"{css}{suffix}").st_mtime_ns == mtime


def test_skips_what_is_not_worth_it_hidden_links_and_media(assets):
    report = compress_tree(str(assets))
    names = set(os.listdir(assets))
    assert not any(n.startswith("random.bin.") for n in names)  # saves < 5 %: not kept
    assert f"{assets / 'random.bin'}.gz" in report.not_worth_it
    assert not any(n.startswith("logo.png.") for n in names)  # compressed media: skipped
    assert not any(n.startswith(".hidden.txt.") for n in names)
    assert not any(n.startswith("link.css.") for n in names)
    assert os.listdir(assets / ".cache") == ["x.css"]
    assert not any(n.startswith("empty.txt.") for n in names)
    assert not any(n.endswith(".tmp") for n in names)


def test_min_saving_threshold(assets):
    report = compress_tree(str(assets), ["gz"], min_saving=0.99)
    assert report.written == []
    assert not (assets / "css" / "site.css.gz").exists()


def test_a_second_run_leaves_fresh_siblings_and_redoes_stale_ones(assets):
    compress_tree(str(assets))
    again = compress_tree(str(assets))
    assert again.written == []
    assert again.up_to_date == 3
    css = assets / "css" / "site.css"
    css.write_bytes(CSS + b"/* changed */\n")
    st = os.stat(css)
    os.utime(css, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    third = compress_tree(str(assets), ["gz"])
    assert third.written == [f"{css}.gz"]
    assert gzip.decompress((assets / "css" / "site.css.gz").read_bytes()).endswith(
        b"/* changed */\n"
    )
    assert compress_tree(str(assets), ["gz"], force=True).written == [f"{css}.gz"]


def test_a_stale_sibling_that_is_no_longer_worth_it_is_removed(assets):
    stale = assets / "random.bin.gz"
    stale.write_bytes(b"old")
    os.utime(stale, ns=(0, 0))
    report = compress_tree(str(assets), ["gz"])
    assert str(stale) in report.removed_stale
    assert not stale.exists()


def test_the_command_function(assets, capsys):
    args = _parse(["compress", str(assets), "--formats", "gz,br"])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"wrote {assets / 'css' / 'site.css'}.br" in out
    assert "2 sibling(s) written" in out
    assert not (assets / "css" / "site.css.zst").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compress", "/nonexistent/folder"], "is not a folder"),
        (["compress", "{assets}", "--formats", "lzma"], "unknown format lzma"),
        (["compress", "{assets}", "--min-saving", "120"], "percentage"),
    ],
)
def test_the_command_refuses_bad_arguments(assets, capsys, argv, message):
    args = _parse([a.format(assets=assets) for a in argv])
    assert args.func(args) == 2
    assert message in capsys.readouterr().err


def test_pegboard_compress_on_the_command_line(assets):
    pegboard_cmd = Path(sys.executable).parent / "pegboard"
    done = subprocess.run(
        [str(pegboard_cmd), "compress", str(assets), "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "3 sibling(s) written" in done.stdout
    assert (assets / "css" / "site.css.br").exists()


def test_compressed_siblings_are_served(assets, make_app, make_client):
    compress_tree(str(assets))
    config = {"/a": {"tools.staticdir.on": True, "tools.staticdir.dir": str(assets)}}
    client = make_client(make_app(config, discover=False, plugins=[pegboard_static]))
    result = client.get("/a/css/site.css", headers={"Accept-Encoding": "gzip, br"})
    assert result.headers["Content-Encoding"] == "br"
    assert brotli.decompress(result.body) == CSS
    random = client.get("/a/random.bin", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in random.headers
