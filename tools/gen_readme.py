"""Render each add-on's README.rst and static/description/index.html from its readme/ fragments.

    python3 tools/gen_readme.py           write them
    python3 tools/gen_readme.py --check   fail when one is out of date

The fragments (DESCRIPTION.md, CONFIGURE.md, USAGE.md, CONTRIBUTORS.md) use the
subset of Markdown that reads the same in reStructuredText (paragraphs,
``-`` lists, *emphasis*, **strong**), except ``code``, written with single
backquotes in Markdown and rendered with double ones here.
"""

import ast
import pathlib
import re
import sys

from docutils.core import publish_string

ROOT = pathlib.Path(__file__).resolve().parent.parent
SECTIONS = [("DESCRIPTION.md", None), ("CONFIGURE.md", "Configuration"), ("USAGE.md", "Usage")]


def md_to_rst(text):
    return re.sub(r"(?<!`)`([^`]+)`(?!`)", r"``\1``", text.strip())


def title(text, char):
    return f"{text}\n{char * len(text)}\n"


def render(addon):
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text())
    readme = addon / "readme"
    name = manifest["name"]
    license_id = manifest.get("license", "LGPL-3")
    parts = [
        "=" * len(name),
        name,
        "=" * len(name),
        "",
        f".. |badge1| image:: https://img.shields.io/badge/licence-{license_id.replace('-', '--')}-blue.png",
        "    :target: http://www.gnu.org/licenses/lgpl-3.0-standalone.html",
        f"    :alt: License: {license_id}",
        "",
        "|badge1|",
        "",
    ]
    for filename, section in SECTIONS:
        path = readme / filename
        if not path.exists():
            continue
        if section is None:
            parts += [
                md_to_rst(path.read_text()),
                "",
                "**Table of contents**",
                "",
                ".. contents::",
                "   :local:",
                "",
            ]
        else:
            parts += [title(section, "="), md_to_rst(path.read_text()), ""]
    parts += [title("Credits", "="), title("Authors", "-"), f"* {manifest['author']}", ""]
    contributors = readme / "CONTRIBUTORS.md"
    if contributors.exists():
        parts += [title("Contributors", "-"), md_to_rst(contributors.read_text()), ""]
    rst = "\n".join(parts).rstrip() + "\n"
    html = publish_string(
        rst,
        writer_name="html4css1",
        settings_overrides={"output_encoding": "unicode", "embed_stylesheet": False, "stylesheet_path": ""},
    )
    return rst, html


def main():
    check = "--check" in sys.argv[1:]
    stale = []
    for addon in sorted(ROOT.glob("crm_relationship*/")):
        if not (addon / "__manifest__.py").exists():
            continue
        rst, html = render(addon)
        targets = {addon / "README.rst": rst, addon / "static" / "description" / "index.html": html}
        for path, content in targets.items():
            if path.exists() and path.read_text() == content:
                continue
            stale.append(str(path.relative_to(ROOT)))
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(content)
    if stale:
        verb = "out of date (run python3 tools/gen_readme.py)" if check else "written"
        print(f"{verb}: {', '.join(stale)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
