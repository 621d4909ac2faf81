"""Every `docs/*.md` the code, the tests or the README cite is a file of the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"\bdocs/[\w./-]+\.md\b")


def _citations() -> dict[str, set[str]]:
    sources = [ROOT / "README.md", *(ROOT / "oms").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]
    cited: dict[str, set[str]] = {}
    for source in sources:
        for doc in CITATION.findall(source.read_text(encoding="utf-8")):
            cited.setdefault(doc, set()).add(str(source.relative_to(ROOT)))
    return cited


def test_every_cited_document_exists():
    cited = _citations()

    missing = {doc: sorted(where) for doc, where in cited.items() if not (ROOT / doc).is_file()}

    assert "docs/omnitron-contract.md" in cited
    assert missing == {}
