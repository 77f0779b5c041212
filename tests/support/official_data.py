"""Where the committed official consensus-spec-tests archives are, and the cases they hold (read from the
archive index, so that tests can be parametrized per case at collection time)."""

from __future__ import annotations

import tarfile
from pathlib import Path

OFFICIAL = Path(__file__).resolve().parent.parent / "conformance" / "official"


def archive(preset: str) -> Path:
    """The committed archive of one preset's official cases."""
    return OFFICIAL / f"{preset}.tar.xz"


def case_ids(preset: str) -> list[str]:
    """`<runner>/<handler>/<case>` of every case in the preset's archive (empty when there is no archive)."""
    path = archive(preset)
    if not path.exists():
        return []
    with tarfile.open(path) as tar:
        names = tar.getnames()
    out = set()
    for name in names:
        parts = name.split("/")
        # <preset>/electra/<runner>/<handler>/pyspec_tests/<case>/<file>
        if len(parts) == 7 and parts[4] == "pyspec_tests":
            out.add(f"{parts[2]}/{parts[3]}/{parts[5]}")
    return sorted(out)
