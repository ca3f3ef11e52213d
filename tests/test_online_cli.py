"""`modelindex validate --online` and `modelindex check-urls`: output, exit codes, options."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelindex.cli import main
from tests.test_online import WEIGHTS, _model, _zoo
from tests.url_server import UrlServer, reset, serve_file


@pytest.fixture
def server():
    with UrlServer() as running:
        yield running


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MODELINDEX_CACHE_DIR", str(folder))
    return folder


def _zoo_with(tmp_path: Path, server: UrlServer) -> Path:
    server.routes["/ok.pth"] = serve_file(WEIGHTS)
    server.routes["/reset.pth"] = reset
    return _zoo(
        tmp_path,
        [
            _model("good", Weights=server.url("/ok.pth"), Metadata={"File Size": len(WEIGHTS)}),
            _model("dead", Weights=server.url("/gone.pth")),
            _model("flaky", Weights=server.url("/reset.pth")),
        ],
    )


FAST = ["--timeout", "1", "--retries", "0"]


def test_validate_online_reports_dead_links_as_errors(tmp_path, server, capsys) -> None:
    zoo = _zoo_with(tmp_path, server)
    assert main(["validate", str(zoo), "--online", *FAST]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert any(
        ":7: O001 Weights http://" in line and "/gone.pth: not found (HTTP 404 Not Found)" in line
        for line in lines
    )
    assert any(
        ":9: O002 Weights http://" in line and "connection reset by the server" in line
        for line in lines
    )
    assert (
        "not found" in err and "3 URLs, 3 checks: 3 asked over the network, 0 from the cache" in err
    )


def test_network_faults_alone_do_not_fail_the_run(tmp_path, server) -> None:
    server.routes["/reset.pth"] = reset
    zoo = _zoo(tmp_path, [_model("flaky", Weights=server.url("/reset.pth"))])
    assert main(["validate", str(zoo), "--online", *FAST]) == 0
    assert main(["validate", str(zoo), "--online", "--strict", *FAST]) == 1


def test_validate_without_online_makes_no_request(tmp_path, server) -> None:
    zoo = _zoo_with(tmp_path, server)
    assert main(["validate", str(zoo)]) == 0
    assert server.seen == []


@pytest.mark.parametrize("output", ["json", "sarif", "github"])
def test_online_findings_come_in_every_format(tmp_path, server, capsys, output) -> None:
    zoo = _zoo_with(tmp_path, server)
    assert main(["check-urls", str(zoo), "--format", output, *FAST]) == 1
    out = capsys.readouterr().out
    if output == "json":
        codes = [f["code"] for f in json.loads(out)["findings"]]
        assert codes == ["O001", "O002"]
    elif output == "sarif":
        results = json.loads(out)["runs"][0]["results"]
        assert [(r["ruleId"], r["level"]) for r in results] == [
            ("O001", "error"),
            ("O002", "warning"),
        ]
    else:
        assert out.startswith("::error file=") and "title=O001 url-not-found" in out
        assert "::warning file=" in out


def test_check_urls_reports_online_codes_only(tmp_path, server, capsys) -> None:
    server.routes["/ok.pth"] = serve_file(WEIGHTS)
    # 'Parameters: -5' is an offline finding (N rules) that check-urls leaves to validate.
    zoo = _zoo(
        tmp_path, [_model("good", Weights=server.url("/ok.pth"), Metadata={"Parameters": -5})]
    )
    assert main(["validate", str(zoo)]) == 1
    assert "S012" in capsys.readouterr().out
    assert main(["check-urls", str(zoo), *FAST]) == 0
    assert capsys.readouterr().out.strip() == ""  # validate's own rules stay silent
    assert main(["check-urls", str(zoo), "--format", "json", *FAST]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_a_rerun_is_served_from_the_cache(tmp_path, server, capsys, cache_dir) -> None:
    zoo = _zoo_with(tmp_path, server)
    main(["check-urls", str(zoo), *FAST])
    asked = len(server.seen)
    capsys.readouterr()
    main(["check-urls", str(zoo), *FAST])
    err = capsys.readouterr().err
    # The reset is a network fault: asked again. The others come from the cache.
    assert len(server.seen) == asked + 1
    assert "1 asked over the network, 2 from the cache" in err
    assert (cache_dir / "urls.sqlite").is_file()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["validate", "--download"], "--download checks weights files online: add --online"),
        (["check-urls", "--jobs", "0"], "--jobs and --per-host must be at least 1"),
        (["check-urls", "--timeout", "nan"], "--timeout must be a positive number"),
        (["check-urls", "--ttl", "-1"], "--ttl must be 0 or more hours"),
        (["check-urls", "--github-raw", "raw.example"], "--github-raw 'raw.example' has no scheme"),
        (["check-urls", "--select", "N001"], "--select N001 names no code check-urls reports"),
    ],
)
def test_bad_online_options_are_one_line_errors(
    tmp_path, server, capsys, arguments, message
) -> None:
    zoo = _zoo_with(tmp_path, server)
    assert main([*arguments, str(zoo)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "\n" not in err.strip() and message in err
    assert server.seen == []
