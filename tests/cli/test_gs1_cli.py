"""The ``medtrace gs1`` commands, run through Typer's test runner, and every README example."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medtrace import __version__
from medtrace.cli.main import app

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()

PACK_HRI = "(01)00312345678906(21)0012(10)A1B2(17)260500"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, stdout, _ = run("--version")
    assert code == 0
    assert stdout.strip() == f"medtrace {__version__}"


def test_help_lists_the_gs1_group() -> None:
    code, stdout, _ = run("--help")
    assert code == 0
    assert "gs1" in stdout


@pytest.mark.parametrize(
    ("text", "form", "serial"),
    [
        # raw scan with symbology identifier and real GS characters
        ("]d20100312345678906210012\x1d10A1B2\x1d17260500", "raw scanner data", "0012"),
        # raw scan with the GS separator pasted as the four characters \x1d
        ("]d20100312345678906210012\\x1d10A1B2\\x1d17260500", "raw scanner data", "0012"),
        # raw scan with <GS> stand-ins and no symbology identifier
        ("0100312345678906210012<GS>10A1B2<GS>17260500", "raw scanner data", "0012"),
        # HRI with parentheses
        (PACK_HRI, "HRI", "0012"),
        # Digital Link with the VRS-style exp attribute
        ("https://id.gs1.org/01/00312345678906/21/0012?exp=260500&10=A1B2", "Digital Link", "0012"),
        # EPC pure identity URN
        ("urn:epc:id:sgtin:0312345.067890.0012", "EPC pure identity", "0012"),
    ],
)
def test_parse_recognises_every_form(text: str, form: str, serial: str) -> None:
    code, stdout, _ = run("gs1", "parse", text, "--json")
    assert code == 0, stdout
    payload = json.loads(stdout)
    assert payload["valid"] is True
    assert form in payload["form"]
    elements = {element["ai"]: element["value"] for element in payload["elements"]}
    assert elements["01"] == "00312345678906"
    assert elements["21"] == serial


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # wrong GTIN check digit names the AI, value, and the expected digit
        (
            "(01)00312345678905(21)0012",
            "AI (01) 00312345678905: check digit 5 is wrong, expected 6",
        ),
        # a space is outside character set 82
        ("(01)00312345678906(21)00 12", "AI (21) 00 12"),
        # month 13 is not a date
        ("(01)00312345678906(17)261301", "AI (17) 261301"),
        # an AI that does not exist
        ("(01)00312345678906(99999)1", "99999"),
    ],
)
def test_parse_invalid_exits_2_with_precise_error(text: str, expected: str) -> None:
    code, stdout, stderr = run("gs1", "parse", text)
    assert code == 2
    assert expected in stderr
    assert "Traceback" not in stdout + stderr


def test_parse_invalid_json_reports_problem() -> None:
    code, stdout, _ = run("gs1", "parse", "(01)00312345678905", "--json")
    assert code == 2
    payload = json.loads(stdout)
    assert payload["valid"] is False
    assert "check digit 5 is wrong, expected 6" in payload["problems"][0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # element string to EPC URN with an explicit company prefix length
        (
            ("(01)00312345678906(21)0012", "--to", "urn", "--gcp-length", "7"),
            "urn:epc:id:sgtin:0312345.067890.0012",
        ),
        # EPC URN to canonical Digital Link
        (
            ("urn:epc:id:sgtin:0312345.067890.0012", "--to", "dl"),
            "https://id.gs1.org/01/00312345678906/21/0012",
        ),
        # Digital Link to HRI
        (
            ("https://id.gs1.org/01/00312345678906/21/0012", "--to", "hri"),
            "(01)00312345678906(21)0012",
        ),
        # HRI to raw with the <GS> stand-in
        (
            (PACK_HRI, "--to", "raw", "--separator", "angle"),
            "]d20100312345678906210012<GS>10A1B2<GS>17260500",
        ),
        # TDS SGTIN-96 example
        (
            (
                "urn:epc:id:sgtin:0614141.812345.6789",
                "--to",
                "rfid",
                "--scheme",
                "sgtin-96",
                "--filter",
                "3",
            ),
            "3074257BF7194E4000001A85",
        ),
        # and back from RFID hex to URN
        (("3074257BF7194E4000001A85", "--to", "urn"), "urn:epc:id:sgtin:0614141.812345.6789"),
    ],
)
def test_convert(args: tuple[str, ...], expected: str) -> None:
    code, stdout, stderr = run("gs1", "convert", *args)
    assert code == 0, stderr
    assert stdout.strip() == expected


def test_convert_raw_uses_real_gs_by_default() -> None:
    code, stdout, _ = run("gs1", "convert", PACK_HRI, "--to", "raw")
    assert code == 0
    assert stdout.rstrip("\n") == "]d20100312345678906210012\x1d10A1B2\x1d17260500"


def test_convert_to_urn_without_prefix_length_is_refused() -> None:
    code, _, stderr = run("gs1", "convert", "(01)00312345678906(21)0012", "--to", "urn")
    assert code == 2
    assert "Company Prefix length unknown" in stderr


def test_convert_sgtin96_refuses_leading_zero_serial() -> None:
    code, _, stderr = run(
        "gs1",
        "convert",
        "urn:epc:id:sgtin:0312345.067890.0012",
        "--to",
        "rfid",
        "--scheme",
        "sgtin-96",
    )
    assert code == 2
    assert "0012" in stderr


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_datamatrix_label_and_read_round_trip(tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"pack{suffix}"
    code, _, stderr = run("gs1", "datamatrix", PACK_HRI, "-o", str(target), "--label")
    assert code == 0, stderr
    assert target.stat().st_size > 0
    if suffix == ".png":
        code, stdout, _ = run("gs1", "read", str(target), "--json")
        assert code == 0
        symbols = json.loads(stdout)
        assert symbols[0]["symbology_identifier"] == "]d2"
        assert "(21)0012" in symbols[0]["hri"]


def test_datamatrix_qr_digital_link(tmp_path: Path) -> None:
    target = tmp_path / "dl.png"
    code, _, _ = run("gs1", "datamatrix", PACK_HRI, "-o", str(target), "--qr")
    assert code == 0
    code, stdout, _ = run("gs1", "read", str(target), "--json")
    assert code == 0
    symbol = json.loads(stdout)[0]
    assert symbol["digital_link"].startswith("https://id.gs1.org/01/00312345678906/")


def test_datamatrix_label_needs_full_product_identifier(tmp_path: Path) -> None:
    code, _, stderr = run(
        "gs1",
        "datamatrix",
        "(01)00312345678906(21)0012",
        "-o",
        str(tmp_path / "x.png"),
        "--label",
    )
    assert code == 2
    assert "10" in stderr and "17" in stderr


def test_datamatrix_unknown_suffix(tmp_path: Path) -> None:
    code, _, stderr = run("gs1", "datamatrix", PACK_HRI, "-o", str(tmp_path / "x.gif"))
    assert code == 2
    assert ".gif" in stderr


def test_read_missing_file_and_non_image(tmp_path: Path) -> None:
    code, _, stderr = run("gs1", "read", str(tmp_path / "missing.png"))
    assert code == 1
    assert "missing.png" in stderr
    text = tmp_path / "text.png"
    text.write_text("not an image")
    code, _, stderr = run("gs1", "read", str(text))
    assert code == 2
    assert "text.png" in stderr


def test_tour_runs_and_reads_its_label_back(tmp_path: Path) -> None:
    code, stdout, stderr = run("gs1", "tour", "--out", str(tmp_path))
    assert code == 0, stdout + stderr
    assert (tmp_path / "label.png").is_file()
    assert (tmp_path / "label.svg").is_file()
    assert "same data as the scan (AI order aside): yes" in stdout
    assert "check digit 5 is wrong, expected 6" in stdout


def _readme_examples() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    commands = []
    for block in blocks:
        for line in block.splitlines():
            stripped = line.split("  #")[0].strip()
            if stripped.startswith("medtrace "):
                commands.append(stripped)
    return commands


def test_readme_has_examples() -> None:
    assert len(_readme_examples()) >= 5


def test_every_readme_example_works(
    conformance_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the examples run in order in one folder, as a reader would type them: `shipment.xml` is the
    # GS1 US DSCSA guideline example (read from the corpus), the database the default SQLite file
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MEDTRACE_DB", raising=False)
    example = (
        conformance_dir / "dscsa" / "gs1us-guideline-example" / "GS1_US_Pharma_Example_2_2_1_1.xml"
    )
    (tmp_path / "shipment.xml").write_bytes(example.read_bytes())
    for command in _readme_examples():
        if command.startswith("medtrace serve"):
            continue  # runs until stopped; tests/api/test_serve.py covers it
        code, stdout, stderr = run(*shlex.split(command, comments=True)[1:])
        assert code == 0, f"{command}\n{stdout}\n{stderr}"
    assert (tmp_path / "medtrace.sqlite").is_file()
