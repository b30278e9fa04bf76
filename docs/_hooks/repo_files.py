"""MkDocs hooks: publish the repository's READMEs beside docs/, with links that work in both.

The Markdown is written to be read on a code host, where ``docs/tools/sessions.md``
links to ``../../tools/sessions/README.md``. On the site those files live
under other names (``packages/sessions.md``), so:

- ``on_files`` adds the repository files listed in ``_published`` to the site;
- ``on_page_markdown`` rewrites every relative link whose target is one of
  those files (or a folder holding one of those READMEs) to the page's address
  on the site. Every other link is left alone, so ``mkdocs build --strict``
  still reports the ones that point nowhere;
- ``on_files`` also warns (a failure under ``--strict``) when a tool package
  has no API page, so a new package cannot be left out of the reference.
"""

from __future__ import annotations

import logging
import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.repo_files")

#: An inline link or image target: ``](target)`` or ``](target "title")``.
_INLINE_LINK = re.compile(r"(\]\()(<?)([^)\s>]+)(>?)")
#: A reference-style link definition: ``[label]: target``.
_REFERENCE_LINK = re.compile(r"^( {0,3}\[[^\]]+\]:[ \t]*)(\S+)", re.M)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def _root(config: MkDocsConfig) -> Path:
    return Path(config.config_file_path).resolve().parent


def _published(root: Path) -> dict[str, str]:
    """Repository path -> site path of each file published from outside docs/."""
    out = {"README.md": "index.md"}
    for readme in sorted(root.glob("tools/*/README.md")):
        out[readme.relative_to(root).as_posix()] = f"packages/{readme.parent.name}.md"
    for readme in sorted(root.glob("examples/*/README.md")):
        example = readme.parent.name
        out[readme.relative_to(root).as_posix()] = f"examples/{example}.md"
        # The config files an example's README links to, served as they are.
        for toml in sorted(readme.parent.glob("*.toml")):
            if toml.name != "pyproject.toml":
                out[toml.relative_to(root).as_posix()] = f"examples/{example}/{toml.name}"
    bench = root / "bench"
    if (bench / "README.md").is_file():
        out["bench/README.md"] = "benchmarks/index.md"
    for image in sorted(bench.glob("*.png")):
        out[image.relative_to(root).as_posix()] = f"benchmarks/{image.name}"
    return out


def _site_path(repo_path: str, config: MkDocsConfig) -> str | None:
    """Where a repository file is on the site, or None when it is not published."""
    if repo_path.startswith("docs/"):
        return repo_path.removeprefix("docs/")
    published: dict[str, str] = config["extra"]["_repo_files"]
    if repo_path in published:
        return published[repo_path]
    # A link to a folder: a code host shows its README, so the site does too.
    return published.get(posixpath.join(repo_path, "README.md"))


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    config["extra"]["_repo_files"] = _published(_root(config))
    return config


def on_files(files: Files, config: MkDocsConfig) -> Files:
    root = _root(config)
    published: dict[str, str] = config["extra"]["_repo_files"]
    for repo_path, site_path in published.items():
        if files.get_file_from_path(site_path) is not None:
            continue  # a real file under docs/ wins
        files.append(File.generated(config, site_path, abs_src_path=str(root / repo_path)))
    for package in sorted(root.glob("tools/*/src/pegboard_*/__init__.py")):
        name = package.parent.name
        if files.get_file_from_path(f"api/{name}.md") is None:
            log.warning(
                "%s has no API page: add docs/api/%s.md containing '::: %s' and list it "
                "under 'API reference' in mkdocs.yml",
                name,
                name,
                name,
            )
    return files


def _repo_path(page: Page, config: MkDocsConfig) -> str:
    published: dict[str, str] = config["extra"]["_repo_files"]
    for repo_path, site_path in published.items():
        if site_path == page.file.src_uri:
            return repo_path
    return "docs/" + page.file.src_uri


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    here = _repo_path(page, config)
    page_dir = posixpath.dirname(page.file.src_uri)

    def rewrite(target: str) -> str:
        if not target or target.startswith(("#", "/")) or _SCHEME.match(target):
            return target
        path, sep, anchor = target.partition("#")
        repo_target = posixpath.normpath(posixpath.join(posixpath.dirname(here), path))
        site_target = _site_path(repo_target, config)
        if site_target is None:
            return target
        return posixpath.relpath(site_target, page_dir or ".") + sep + anchor

    markdown = _INLINE_LINK.sub(
        lambda m: m.group(1) + m.group(2) + rewrite(m.group(3)) + m.group(4), markdown
    )
    return _REFERENCE_LINK.sub(lambda m: m.group(1) + rewrite(m.group(2)), markdown)
