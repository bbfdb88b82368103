"""The documentation: a short README holding the two commands, and relative links that resolve (file and anchor)."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted([README] + list((ROOT / "docs").glob("*.md")))
MAX_README_LINES = 200

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.MULTILINE)


def _prose(path):
    """The file's text without fenced code blocks (a `](` in a code sample is not a link)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def _slug(heading):
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)   # a link in a heading anchors by its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path):
    """Every heading anchor of a markdown file, with GitHub's -1, -2, ... for repeated headings."""
    seen, result = {}, set()
    for heading in HEADING.findall(_prose(path)):
        slug = _slug(heading)
        result.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return result


def relative_links(path):
    """(target path or None for the same file, anchor or None) of every relative link in the file."""
    for target in LINK.findall(_prose(path)):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):   # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        yield (path.parent / file_part if file_part else path), anchor or None


def test_slug_follows_github():
    assert _slug("Interruptions and `--resume`") == "interruptions-and---resume"
    assert _slug("The DVAE# code base (`--struct`)") == "the-dvae-code-base---struct"
    assert _slug("Seeds and paired differences: pwl_relax against rbm_post at 20,000 steps") == (
        "seeds-and-paired-differences-pwl_relax-against-rbm_post-at-20000-steps")
    assert _slug("The prior sampler's bias") == "the-prior-samplers-bias"


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"README.md has {len(lines)} lines; keep it to {MAX_README_LINES}"


def test_readme_holds_the_two_commands():
    code = "\n".join(re.findall(r"^```bash\n(.*?)^```", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL))
    lines = code.splitlines()
    assert any(line.startswith("bash scripts/setup.sh && .venv/bin/python main.py --") for line in lines)
    assert "bash scripts/test.sh" in lines


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    broken = []
    for target, anchor in relative_links(path):
        if not target.exists():
            broken.append(f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: no such file")
        elif anchor is not None and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{target.relative_to(ROOT)}#{anchor}: no such heading")
    assert not broken, f"{path.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_link_check_finds_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[ok](#title) [gone](missing.md) [bad anchor](#nowhere)\n\n```\n[code](x.md)\n```\n")
    found = list(relative_links(page))
    assert found == [(page, "title"), (tmp_path / "missing.md", None), (page, "nowhere")]
    assert anchors(page) == {"title"}
