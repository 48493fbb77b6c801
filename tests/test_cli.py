"""The validate, explain and check commands, in-process (CliRunner), with their exit codes."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from relgraph.cli import cli
from relgraph.resources import queries_dir

INVALID = "tests/shapes/invalid"


@pytest.fixture
def run(root, monkeypatch):
    monkeypatch.chdir(root)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_validate_shipped_readout_conforms(run):
    result = run("validate", "data/readouts/ani-2023-09-27-us-india-2plus2-intersessional.ttl")
    assert result.exit_code == 0
    assert result.output.strip().endswith("conforms (0 violations, 0 warnings, 0 infos)")


def test_validate_reports_file_line_severity_focus_path_message(run):
    result = run("validate", f"{INVALID}/Outcome-statedIn.ttl")
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(f"{INVALID}/Outcome-statedIn.ttl:")
    assert ": Violation: rgd:test-outcome (" in first
    assert first.endswith(
        "rg:statedIn: Outcome: rg:statedIn must point to at least one rg:Evidence, "
        "the sentence of the source that states it."
    )


def test_validate_json_and_turtle(run):
    result = run("validate", "--format", "json", f"{INVALID}/SessionRole-hadRole.ttl")
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["conforms"] is False
    assert body["results"][0]["message"].startswith("SessionRole: prov:hadRole")
    result = run("validate", "-f", "turtle", f"{INVALID}/SessionRole-hadRole.ttl")
    assert "sh:resultMessage" in result.output


def test_validate_strict_fails_on_warnings(run):
    result = run("validate", f"{INVALID}/Official-name.ttl")
    assert result.exit_code == 0
    assert ": Warning: " in result.output
    assert run("validate", "--strict", f"{INVALID}/Official-name.ttl").exit_code == 1


def test_validate_bad_input_exits_2_with_one_line(run, tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix rg: <https://w3id.org/relgraph/ontology#> .\nrg:a rg:b "unterminated .\n')
    result = run("validate", str(bad))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {bad}:2:")
    assert "Traceback" not in result.output
    assert run("validate").exit_code == 2  # no file given


def test_explain_by_name(run):
    result = run("explain", "Vani Rao")
    assert result.exit_code == 0
    assert result.output.startswith("Vani Rao = rgd:vani-rao\n")
    assert "rgd:us-india-2plus2-intersessional-07-co-chair-vani-rao" in result.output
    assert "Additional Secretary Vani Rao of the Indian Ministry of External Affairs" in result.output


def test_explain_json_and_unknown(run):
    body = json.loads(run("explain", "-f", "json", "rgd:agreement-security-of-supply").output)
    assert body["label"] == "Security of Supply Arrangement"
    # those the first readout states (a later one adds its own status records and outcomes)
    first = "https://w3id.org/relgraph/id/ani-2023-09-27-"
    referrers = {
        r["subject"].rsplit("/", 1)[-1]
        for r in body["referred_to_by"]
        if any(e["iri"].startswith(first) for e in r["evidence"])
    }
    assert referrers == {
        "status-security-of-supply-2023-09-26",
        "us-india-2plus2-intersessional-07-outcome-09",
    }
    result = run("explain", "Nobody At All")
    assert result.exit_code == 2
    assert result.output == (
        "Error: nothing in the graph is called 'Nobody At All' (give an IRI, a prefixed name or a label)\n"
    )


def test_check_passes_on_shipped_graph_and_fails_on_bad_data(run):
    result = run("check")
    assert result.exit_code == 0
    checks = len(list((queries_dir() / "checks").glob("*-violation.rq")))
    assert checks >= 9
    assert result.output.splitlines()[-1] == f"{checks} of {checks} checks passed"
    result = run("check", "--data", "tests/checks/duplicate-label-violation.ttl")
    assert result.exit_code == 1
    assert "duplicate-label-violation: FAILED (1 rows)" in result.output
    assert "rgd:test-ratner-twin" in result.output
