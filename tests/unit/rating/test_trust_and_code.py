"""Net score, trust gate, review sampling helpers, code stats and card-code repairs."""

from __future__ import annotations

import io
import zipfile

from registry.rating import card_code, github_facts, trust

ALL_HIGH = {name: 0.9 for name in trust.WEIGHTS} | {
    "size_score": {"raspberry_pi": 0.1, "jetson_nano": 0.2, "desktop_pc": 0.9, "aws_server": 1.0}
}


def test_weights_sum_to_one() -> None:
    assert abs(sum(trust.WEIGHTS.values()) - 1.0) < 1e-9


def test_not_applicable_metrics_leave_the_gate_and_the_net_score() -> None:
    scores = dict(ALL_HIGH, reviewedness=-1.0, tree_score=0.0, reproducibility=0.0)
    skipped = trust.not_applicable(scores, has_parents=False, repro_pending=True)
    assert skipped == ["reviewedness", "tree_score", "reproducibility"]
    assert trust.trust_status(scores, skipped) == ("vetted", [])
    assert 0.0 <= trust.net_score(scores, skipped) <= 1.0
    status, failing = trust.trust_status(scores, ["reviewedness", "tree_score"])
    assert status == "unvetted" and failing == ["reproducibility"]


def test_size_passes_the_gate_when_it_fits_some_device() -> None:
    tiny_nowhere = dict(ALL_HIGH, size_score=dict.fromkeys(ALL_HIGH["size_score"], 0.0))
    assert trust.trust_status(tiny_nowhere, []) == ("unvetted", ["size_score"])


def test_binary_files_are_not_code() -> None:
    assert github_facts.is_code_file("src/a.py") and github_facts.is_code_file("README.md")
    assert not github_facts.is_code_file("model.SAFETENSORS")
    assert (
        github_facts._added_code_lines(
            [{"filename": "a.py", "additions": 3}, {"filename": "w.bin", "additions": 9}]
        )
        == 3
    )
    assert github_facts._approved([{"state": "COMMENTED"}, {"state": "APPROVED"}])
    assert not github_facts._approved([{"state": "CHANGES_REQUESTED"}])


def test_code_stats_from_a_zipball() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("o-r-1/m.py", '"""Doc."""\n# why\nx = 1\ny = 2\n')
        archive.writestr("o-r-1/tests/test_m.py", "def test(): pass\n")
        archive.writestr("o-r-1/requirements.txt", "x\n")
        archive.writestr("o-r-1/.github/workflows/ci.yml", "on: push\n")
    stats = github_facts.code_stats(buffer.getvalue())
    assert stats.has_tests and stats.has_manifest and stats.has_ci and not stats.has_license
    assert (stats.code_lines, stats.comment_lines) == (3, 2)
    assert not github_facts.code_stats(None).available
    assert not github_facts.code_stats(b"not a zip").available


def test_extract_only_python_blocks() -> None:
    card = "```bash\npip x\n```\n```python\nprint(1)\n```\n~~~py\nprint(2)\n~~~\n```\nplain\n```"
    assert card_code.extract(card) == ["print(1)\n", "print(2)\n"]
    assert card_code.extract("no code") == []


def test_repairs_are_reported_by_name() -> None:
    blocks = ['    !pip install x\n    data = json.loads(open("o/m/config.json").read())\n']
    code, applied = card_code.repair(blocks, ["o/m"])
    assert applied == ["dedent", "strip_notebook", "add_imports"]  # "o/m/config.json" != "o/m"
    code, applied = card_code.repair(['m = load("o/m")\nnp.zeros(1)\n'], ["o/m"])
    assert applied == ["local_files", "add_imports"]
    assert code.startswith("import numpy as np\n") and 'load(".")' in code
    code, applied = card_code.repair([">>> import os\n>>> os.getcwd()\n'x'\n"], [])
    assert applied == ["strip_prompts"] and code == "import os\nos.getcwd()"
    assert card_code.repair(["print(1)\n"], []) == ("print(1)", [])
