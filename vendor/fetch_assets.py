"""Install the book's third-party browser assets (MathJax, RequireJS, the ipywidgets embed manager)
from the npm registry, pinned, so that the built HTML book loads nothing from outside its own origin.

``make vendor`` runs this (``make book`` and ``make browser-book`` depend on it). For every package in
PINS it downloads the registry tarball with ``npm pack name@version`` (only that tarball: none of the
package's dependencies, which the browser files have bundled already), checks its sha512 against the
pinned integrity, and copies the files the book needs, with the package's licence files, into

    build/vendor/static/thirdparty/<package>-<version>/

plus one small file of this book's own, thirdparty/require-paths.js (from vendor/require-paths.js:
where RequireJS finds the widget manager's fonts).

``jupyter_book_config.yml`` publishes ``build/vendor/static`` as a Sphinx ``html_static_path``, so the
files appear in the book as ``_static/thirdparty/...``, and points ``mathjax_path`` and myst-nb's
``nb_ipywidgets_js`` at them. Tarballs are kept in ``build/vendor/npm`` (and npm's own cache): while
the pins are unchanged, a second run needs no network (nor npm). The result is written to a
temporary directory and renamed into place, so an interrupted run never leaves half an install.

Usage: python vendor/fetch_assets.py [--out build/vendor] [--npm npm]
"""

from __future__ import annotations

import argparse
import base64
import fnmatch
import hashlib
import importlib.metadata
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
PUBLISHED = "thirdparty"  # the folder under _static/ in the built book

# name, version, the tarball's npm integrity (sha512), licence, what to copy (paths inside the
# tarball's package/ folder; "dir/" is a whole folder, "*" a pattern) and where it lands (prefix
# stripped), the package's licence files, and licence files of what it bundles (other tarballs).
PINS = [
    {
        # The version Sphinx's default URL (mathjax@3, tex-mml-chtml) resolves to: the last MathJax 3.
        "name": "mathjax",
        "version": "3.2.2",
        "integrity": "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        "license": "Apache-2.0",
        "strip": "es5/",
        # the combined component Sphinx loads, and everything it can load at run time: TeX extensions
        # (\require, autoload), the CommonHTML fonts, the menu's renderer switch (SVG output) and its
        # accessibility tools (a11y + the speech-rule-engine maps)
        "copy": ["es5/tex-mml-chtml.js", "es5/input/", "es5/output/", "es5/ui/", "es5/a11y/", "es5/sre/"],
        "licenses": ["LICENSE"],
    },
    {
        # myst-nb's default is cdnjs' require.min.js 2.3.4; 2.3.7+ fixes CVE-2024-38999.
        "name": "requirejs",
        "version": "2.3.8",
        "integrity": "sha512-7/cTSLOdYkNBNJcDMWf+luFvMriVm7eYxp4BcFCsAX0wF421Vyce5SXP17c+Jd5otXKGNehIonFlyQXSowL6Mw==",
        "license": "MIT",
        "strip": "",
        "copy": ["require.js"],
        # the package ships no licence file; require.js keeps its @license header (MIT)
        "licenses": [],
    },
    {
        # The embed manager released with ipywidgets 8.1.9 (same commit, af2386d, as the JupyterLab
        # manager 5.0.16 that ipywidgets 8.1.9 installs); myst-nb's default CDN URL pins 1.0.6.
        # It bundles @jupyter-widgets/base, controls and output, so the core widgets need no CDN.
        "name": "@jupyter-widgets/html-manager",
        "version": "1.0.15",
        "integrity": "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
        "license": "BSD-3-Clause",
        "strip": "dist/",
        # the AMD bundle, the notices of what it bundles, and the Font Awesome 5.15.4 font files its
        # CSS refers to (webpack-hashed names; byte for byte those of @fortawesome/fontawesome-free):
        # woff2 and woff only, since every browser that runs the bundle (ES2017) reads one of them;
        # the .eot (IE) and .svg (iOS < 5) fonts, 2.2 MB, are left out, and .ttf (a fallback) too
        "copy": ["dist/embed-amd.js", "dist/embed.js.LICENSE.txt", "dist/*.woff2", "dist/*.woff"],
        "references": ("embed-amd.js", r"\b[0-9a-f]{20}\.woff2?\b"),  # each such name must be copied
        # the tarball ships no LICENSE file: the repository's (jupyter-widgets/ipywidgets) licence
        # comes from the ipywidgets wheel installed in the environment (same repository, BSD-3-Clause)
        "licenses": [],
        "license_from_python_dist": "ipywidgets",
        "licenses_from_npm": [{
            "name": "@fortawesome/fontawesome-free",
            "version": "5.15.4",
            "integrity": "sha512-eYm8vijH/hpzr/6/1CJ/V/Eb1xQFW2nnUKArb3z+yUWv7HTwj6M7SP957oMjfZjAHU6qpoNc2wQvIxBLWYa/Jg==",
            "license": "(CC-BY-4.0 AND OFL-1.1 AND MIT)",
            "file": "LICENSE.txt",
            "as": "fontawesome-free-5.15.4.LICENSE.txt",
        }],
    },
]
# This book's own file, published beside the packages (placeholders filled from the pins).
OWN_FILES = {"require-paths.js": ROOT / "vendor" / "require-paths.js"}


def published_dir(pin: dict) -> str:
    """thirdparty/<last part of the name>-<version>, e.g. thirdparty/html-manager-1.0.15"""
    return f"{PUBLISHED}/{pin['name'].rsplit('/', 1)[-1]}-{pin['version']}"


def integrity_of(path: pathlib.Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def tarball_name(pin: dict) -> str:
    """npm pack's file name: @scope/name@1.0 -> scope-name-1.0.tgz"""
    return pin["name"].lstrip("@").replace("/", "-") + f"-{pin['version']}.tgz"


def fetch(pin: dict, cache: pathlib.Path, npm: str) -> pathlib.Path:
    """The package's registry tarball, downloaded with `npm pack` unless cached; integrity checked."""
    tgz = cache / tarball_name(pin)
    if not (tgz.exists() and integrity_of(tgz) == pin["integrity"]):
        if shutil.which(npm) is None:
            sys.exit(f"vendor: {npm!r} not found: install Node.js/npm (Debian: apt-get install npm; "
                     f"`make vendor` does this as root) or put the tarball {tgz.name} in {cache}")
        cache.mkdir(parents=True, exist_ok=True)
        spec = f"{pin['name']}@{pin['version']}"
        print(f"vendor: npm pack {spec}", flush=True)
        subprocess.run([npm, "pack", spec, "--pack-destination", str(cache), "--ignore-scripts",
                        "--silent", "--no-fund", "--no-audit"], check=True, stdout=subprocess.DEVNULL)
        if not tgz.exists():
            sys.exit(f"vendor: npm pack {spec} did not write {tgz}")
    got = integrity_of(tgz)
    if got != pin["integrity"]:
        tgz.unlink()
        sys.exit(f"vendor: {tgz.name}: integrity {got} is not the pinned {pin['integrity']} (file removed)")
    return tgz


def _matches(name: str, wanted: str) -> bool:
    if wanted.endswith("/"):
        return name.startswith(wanted)
    return fnmatch.fnmatchcase(name, wanted) if "*" in wanted else name == wanted


def extract(pin: dict, tgz: pathlib.Path, dest: pathlib.Path, cache: pathlib.Path, npm: str) -> list[str]:
    """Copy the pinned files of the tarball into dest; return the licence files written."""
    wanted = [f"package/{p}" for p in pin["copy"]]
    lic = [f"package/{p}" for p in pin["licenses"]]
    found: set[str] = set()
    with tarfile.open(tgz, "r:gz") as tar:
        for m in tar.getmembers():
            if not m.isfile():
                continue
            match = next((w for w in wanted if _matches(m.name, w)), None)
            if m.name in lic:
                target = dest / m.name[len("package/"):]
            elif match:
                rel = m.name[len("package/"):]
                target = dest / rel[len(pin["strip"]):] if rel.startswith(pin["strip"]) else dest / rel
            else:
                continue
            found.add(match or m.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(m) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
    missing = [w for w in wanted + lic if w not in found]
    if missing:
        sys.exit(f"vendor: {tgz.name} has no {', '.join(missing)}")
    licences = [p.split("/")[-1] for p in pin["licenses"]]
    if pin.get("license_from_python_dist"):
        dist = importlib.metadata.distribution(pin["license_from_python_dist"])
        files = [f for f in dist.files or [] if f.name.upper().startswith(("LICENSE", "COPYING"))]
        if not files:
            sys.exit(f"vendor: no licence file in the {dist.metadata['Name']} distribution")
        shutil.copyfile(files[0].locate(), dest / "LICENSE")
        (dest / "LICENSE.source").write_text(
            f"LICENSE: from the {dist.metadata['Name']} {dist.version} distribution (PyPI), the same repository "
            f"({pin['name']} {pin['version']} declares {pin['license']} and ships no licence file).\n")
        licences.append("LICENSE")
    for other in pin.get("licenses_from_npm", []):
        with tarfile.open(fetch(other, cache, npm), "r:gz") as tar:
            with tar.extractfile(f"package/{other['file']}") as src, open(dest / other["as"], "wb") as out:
                shutil.copyfileobj(src, out)
        licences.append(other["as"])
    if pin.get("references"):
        bundle, pattern = pin["references"]
        named = set(re.findall(pattern, (dest / bundle).read_text(encoding="utf-8", errors="replace")))
        if not named or (missing := sorted(n for n in named if not (dest / n).exists())):
            sys.exit(f"vendor: {bundle} refers to files not copied: {missing if named else pattern}")
    return licences


def size(path: pathlib.Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(ROOT / "build" / "vendor"), help="default: build/vendor")
    ap.add_argument("--npm", default="npm", help="the npm executable (default: npm on PATH)")
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out).resolve()
    cache, static = out / "npm", out / "static"
    out.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="static.", dir=out))
    try:
        manifest = []
        for pin in PINS:
            tgz = fetch(pin, cache, args.npm)
            dest = tmp / published_dir(pin)
            dest.mkdir(parents=True)
            licences = extract(pin, tgz, dest, cache, args.npm)
            manifest.append({"name": pin["name"], "version": pin["version"], "integrity": pin["integrity"],
                             "license": pin["license"], "license_files": licences,
                             "path": f"_static/{published_dir(pin)}/", "bytes": size(dest),
                             "files": sum(1 for p in dest.rglob("*") if p.is_file())})
        dirs = {pin["name"].rsplit("/", 1)[-1]: published_dir(pin).split("/", 1)[1] for pin in PINS}
        for name, src in OWN_FILES.items():
            text = src.read_text()
            for key, value in dirs.items():
                text = text.replace(f"@{key.upper().replace('-', '_')}_DIR@", value)
            if re.search(r"@[A-Z_]+_DIR@", text):
                sys.exit(f"vendor: {src}: unknown placeholder {re.search(r'@[A-Z_]+_DIR@', text).group()}")
            (tmp / PUBLISHED / name).write_text(text)
        lines = ["Third-party browser assets of this book, from the npm registry (tarballs checked against",
                 "the pinned sha512 integrity; installed by `make vendor`, vendor/fetch_assets.py).", ""]
        for m in manifest:
            lic = ", ".join(m["license_files"]) or "no licence file in the package; see the @license header"
            lines.append(f"{m['name']} {m['version']}  {m['license']} ({lic})  {m['path']}  "
                         f"{m['files']} files, {m['bytes'] / 1e6:.2f} MB  {m['integrity']}")
        lines += ["", "This book's own: " + ", ".join(f"{n} (from vendor/{n})" for n in OWN_FILES)]
        (tmp / PUBLISHED / "README.txt").write_text("\n".join(lines) + "\n")
        (tmp / PUBLISHED / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        tmp.chmod(0o755)
        old = out / "static.old"
        if old.exists():
            shutil.rmtree(old)
        if static.exists():
            static.rename(old)
        tmp.rename(static)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    for m in manifest:
        print(f"vendor: {m['name']} {m['version']} ({m['license']}): {m['files']} files, "
              f"{m['bytes'] / 1e6:.2f} MB in {static.relative_to(ROOT) if static.is_relative_to(ROOT) else static}"
              f"/{m['path'][len('_static/'):]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
