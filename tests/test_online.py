"""Online URL checks against a real HTTP server on 127.0.0.1: statuses, retries, sizes,
hashes, Code anchors and the cache."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import socket
import time
from pathlib import Path

import pytest
import yaml

from modelindex.checks import Settings, validate
from modelindex.loading import load
from modelindex.online.options import HttpSettings, OnlineOptions
from modelindex.online.results import CheckKind, Status
from modelindex.online.run import OnlineRun, check_urls
from modelindex.online.url_cache import UrlCache
from tests.url_server import (
    UrlServer,
    in_turn,
    redirect,
    reset,
    serve_file,
    slow,
    status,
)

# Short waits so that the retry and timeout tests take well under a second each.
FAST = HttpSettings(timeout_s=0.5, retries=2, backoff_s=0.01)
WEIGHTS = b"\x00weights\x01" * 100


@pytest.fixture
def server():
    with UrlServer() as running:
        yield running


def _zoo(tmp_path: Path, models: list[dict]) -> Path:
    path = tmp_path / "model-index.yml"
    path.write_text(yaml.safe_dump({"Models": models}, sort_keys=False), encoding="utf-8")
    return path


def _model(name: str, **fields: object) -> dict:
    return {"Name": name, **fields}


def _run(
    tmp_path: Path, models: list[dict], cache: UrlCache | None = None, **options: object
) -> tuple[OnlineRun, list]:
    index = load(_zoo(tmp_path, models))
    run = check_urls(index, cache, OnlineOptions(**{"http": FAST, **options}))
    report = validate(index, Settings(select=("O",)), run)
    return run, report.findings


def _codes(findings: list) -> list[str]:
    return [finding.code for finding in findings]


def test_weights_with_the_declared_size_are_ok(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/w.pth"] = serve_file(WEIGHTS)
    weights = {"Weights": server.url("/w.pth"), "Metadata": {"File Size": len(WEIGHTS)}}
    run, findings = _run(tmp_path, [_model("net", **weights)])
    result = run.results[(server.url("/w.pth"), CheckKind.PROBE)]
    assert (result.status, result.content_length) == (Status.OK, len(WEIGHTS))
    assert findings == []
    assert [seen.method for seen in server.seen] == ["HEAD"]


def test_a_content_length_other_than_the_file_size_is_an_error(
    tmp_path: Path, server: UrlServer
) -> None:
    server.routes["/w.pth"] = serve_file(WEIGHTS)
    weights = {"Weights": server.url("/w.pth"), "Metadata": {"File Size": len(WEIGHTS) + 1}}
    _, findings = _run(tmp_path, [_model("net", **weights)])
    assert _codes(findings) == ["O005"]
    assert findings[0].severity == "error" and findings[0].field == "File Size"
    assert f"differs from the {len(WEIGHTS)} bytes" in findings[0].message
    assert findings[0].line == 5  # the File Size line of the zoo file


def test_404_is_not_found_and_an_error(tmp_path: Path, server: UrlServer) -> None:
    run, findings = _run(tmp_path, [_model("net", Weights=server.url("/gone.pth"))])
    assert run.results[(server.url("/gone.pth"), CheckKind.PROBE)].status is Status.NOT_FOUND
    assert _codes(findings) == ["O001"]
    assert "HTTP 404" in findings[0].message and findings[0].severity == "error"


def test_500_then_200_is_retried_to_ok(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/w.pth"] = in_turn(status(500), serve_file(WEIGHTS))
    run, findings = _run(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    assert run.results[(server.url("/w.pth"), CheckKind.PROBE)].status is Status.OK
    assert len(server.requests_to("/w.pth")) == 2
    assert findings == []


def test_a_server_error_that_persists_is_a_warning_after_bounded_retries(
    tmp_path: Path, server: UrlServer
) -> None:
    server.routes["/w.pth"] = status(503)
    _, findings = _run(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    assert _codes(findings) == ["O003"] and findings[0].severity == "warning"
    assert len(server.requests_to("/w.pth")) == 1 + FAST.retries


def test_429_waits_as_retry_after_asks(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/w.pth"] = in_turn(status(429, {"Retry-After": "1"}), serve_file(WEIGHTS))
    started = time.monotonic()
    run, findings = _run(tmp_path, [_model("net", Weights=server.url("/w.pth"))])
    assert time.monotonic() - started >= 1.0
    assert run.results[(server.url("/w.pth"), CheckKind.PROBE)].status is Status.OK
    first, second = server.requests_to("/w.pth")
    assert findings == [] and (first.method, second.method) == ("HEAD", "HEAD")


def test_a_retry_after_of_an_hour_is_cut_short(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/w.pth"] = in_turn(status(429, {"Retry-After": "3600"}), serve_file(WEIGHTS))
    started = time.monotonic()
    http = HttpSettings(timeout_s=0.5, retries=2, backoff_s=0.01, max_retry_after_s=0.2)
    run, _ = _run(tmp_path, [_model("net", Weights=server.url("/w.pth"))], http=http)
    assert 0.2 <= time.monotonic() - started < 5
    assert run.results[(server.url("/w.pth"), CheckKind.PROBE)].status is Status.OK


def test_a_response_slower_than_the_timeout_is_a_timeout_warning(
    tmp_path: Path, server: UrlServer
) -> None:
    server.routes["/slow.pth"] = slow(1.5, serve_file(WEIGHTS))
    started = time.monotonic()
    run, findings = _run(
        tmp_path,
        [_model("net", Weights=server.url("/slow.pth"))],
        http=HttpSettings(timeout_s=0.3, retries=1, backoff_s=0.01),
    )
    assert time.monotonic() - started < 1.5  # two tries of 0.3 s, not the server's 1.5 s
    assert run.results[(server.url("/slow.pth"), CheckKind.PROBE)].status is Status.TIMEOUT
    assert _codes(findings) == ["O002"] and findings[0].severity == "warning"


def test_a_connection_reset_is_unreachable_not_a_crash(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/reset.pth"] = reset
    run, findings = _run(tmp_path, [_model("net", Weights=server.url("/reset.pth"))])
    result = run.results[(server.url("/reset.pth"), CheckKind.PROBE)]
    assert result.status is Status.UNREACHABLE
    assert _codes(findings) == ["O002"]
    assert len(server.requests_to("/reset.pth")) == 1 + FAST.retries


def test_a_refused_connection_is_unreachable_not_a_timeout(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/w.pth"  # bound, not listening
        run, findings = _run(tmp_path, [_model("net", Weights=url)])
    result = run.results[(url, CheckKind.PROBE)]
    assert (result.status, result.detail) == (Status.UNREACHABLE, "connection refused")
    assert _codes(findings) == ["O002"]


def test_a_redirect_chain_is_followed_to_the_file(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/a"] = redirect(server.url("/b"), 301)
    server.routes["/b"] = redirect("/c", 302)
    server.routes["/c"] = redirect(server.url("/real.pth"), 307)
    server.routes["/real.pth"] = serve_file(WEIGHTS)
    models = [_model("net", Weights=server.url("/a"), Metadata={"File Size": len(WEIGHTS)})]
    run, findings = _run(tmp_path, models)
    assert run.results[(server.url("/a"), CheckKind.PROBE)].content_length == len(WEIGHTS)
    assert findings == []
    assert [seen.path for seen in server.seen] == ["/a", "/b", "/c", "/real.pth"]


def test_a_redirect_loop_is_too_many_redirects(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/loop1"] = redirect("/loop2")
    server.routes["/loop2"] = redirect("/loop1")
    run, findings = _run(tmp_path, [_model("net", Weights=server.url("/loop1"))])
    result = run.results[(server.url("/loop1"), CheckKind.PROBE)]
    assert result.status is Status.TOO_MANY_REDIRECTS
    assert _codes(findings) == ["O004"]
    assert len(server.seen) == 11  # the first request and ten redirects, then it stops


def test_head_refused_with_405_falls_back_to_a_ranged_get(
    tmp_path: Path, server: UrlServer
) -> None:
    server.routes["/w.pth"] = serve_file(WEIGHTS, head=False)
    models = [_model("net", Weights=server.url("/w.pth"), Metadata={"File Size": 5})]
    run, findings = _run(tmp_path, models)
    assert [(s.method, s.headers.get("Range")) for s in server.seen] == [
        ("HEAD", None),
        ("GET", "bytes=0-0"),
    ]
    assert run.results[(server.url("/w.pth"), CheckKind.PROBE)].content_length == len(WEIGHTS)
    assert _codes(findings) == ["O005"]  # the size comes from Content-Range


def _hashed_name(body: bytes, good: bool) -> str:
    digest = hashlib.sha256(body).hexdigest()[:8]
    return f"/net-{digest if good else 'deadbeef'}.pth"


@pytest.mark.parametrize("good", [True, False])
def test_download_checks_the_sha256_prefix_in_the_name(
    tmp_path: Path, server: UrlServer, good: bool
) -> None:
    path = _hashed_name(WEIGHTS, good)
    server.routes[path] = serve_file(WEIGHTS)
    run, findings = _run(tmp_path, [_model("net", Weights=server.url(path))], download=True)
    download = run.results[(server.url(path), CheckKind.DOWNLOAD)]
    assert download.sha256 == hashlib.sha256(WEIGHTS).hexdigest()
    assert _codes(findings) == ([] if good else ["O006"])
    if not good:
        assert "deadbeef" in findings[0].message


def test_download_streams_a_large_file_in_bounded_memory(tmp_path: Path, server: UrlServer) -> None:
    import tracemalloc

    body = bytes(range(256)) * (64 * 1024 * 4)  # 64 MiB
    path = _hashed_name(body, True)
    server.routes[path] = serve_file(body)
    index = load(_zoo(tmp_path, [_model("net", Weights=server.url(path))]))
    tracemalloc.start()
    try:
        run = check_urls(index, None, OnlineOptions(http=FAST, download=True))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert run.results[(server.url(path), CheckKind.DOWNLOAD)].content_length == len(body)
    assert peak < 16 << 20  # the file is 64 MiB; chunks of 1 MiB pass through


def test_a_safetensors_checkpoint_is_counted_without_torch(
    tmp_path: Path, server: UrlServer
) -> None:
    header = {
        "conv.weight": {"dtype": "F32", "shape": [8, 3, 3, 3], "data_offsets": [0, 864]},
        "bn.running_mean": {"dtype": "F32", "shape": [8], "data_offsets": [864, 896]},
        "index": {"dtype": "I64", "shape": [4], "data_offsets": [896, 928]},
    }
    text = json.dumps(header).encode()
    body = len(text).to_bytes(8, "little") + text + bytes(928)
    server.routes["/net.safetensors"] = serve_file(body)
    weights = server.url("/net.safetensors")
    right, wrong = [
        _model(n, Weights=weights, Metadata={"Parameters": p})
        for n, p in (("right", 216), ("wrong", 2160))
    ]
    run, findings = _run(tmp_path, [right, wrong], download=True)
    assert run.results[(weights, CheckKind.DOWNLOAD)].checkpoint_parameters == 216
    assert [(f.code, f.model) for f in findings] == [("O007", "wrong")]
    assert len(server.requests_to("/net.safetensors")) == 2  # one HEAD, one download for both


SOURCE = """\
import torch


class ResNet:
    pass


@register_model
def resnet50d(pretrained=False, **kwargs):
    return ResNet()


@register_model
def resnet101d(pretrained=False, **kwargs):
    return ResNet()
"""


@pytest.mark.parametrize(
    ("line", "points_at"),
    [
        (14, None),
        (9, "'def resnet50d(pretrained=False, **kwargs):' (line 9)"),
        (4, "'class ResNet:' (line 4)"),
    ],
)
def test_code_anchor_must_point_at_the_models_definition(
    tmp_path: Path, server: UrlServer, line: int, points_at: str | None
) -> None:
    server.routes["/owner/repo/0123abcd/timm/resnet.py"] = serve_file(SOURCE.encode())
    code = f"https://github.com/owner/repo/blob/0123abcd/timm/resnet.py#L{line}"
    run, findings = _run(tmp_path, [_model("resnet101d", Code=code)], raw_base=server.url(""))
    assert run.results[(code, CheckKind.ANCHOR)].status is Status.OK
    if points_at is None:
        assert findings == []
    else:
        assert _codes(findings) == ["O008"] and findings[0].severity == "warning"
        assert (
            f"#L{line} points at {points_at}, not at a definition of resnet101d"
            in findings[0].message
        )
    # The raw file at the commit stands for github.com's page: one request, to the stand-in.
    assert [seen.path for seen in server.seen] == ["/owner/repo/0123abcd/timm/resnet.py"]


def test_code_at_a_missing_file_is_not_found(tmp_path: Path, server: UrlServer) -> None:
    code = "https://github.com/owner/repo/blob/0123abcd/timm/gone.py#L3"
    _, findings = _run(tmp_path, [_model("resnet101d", Code=code)], raw_base=server.url(""))
    assert _codes(findings) == ["O001"] and "gone.py: HTTP 404" in findings[0].message


def test_anchors_into_one_file_read_it_once(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/owner/repo/0123abcd/timm/resnet.py"] = serve_file(SOURCE.encode())
    base = "https://github.com/owner/repo/blob/0123abcd/timm/resnet.py"
    models = [_model("resnet50d", Code=f"{base}#L9"), _model("resnet101d", Code=f"{base}#L14")]
    _, findings = _run(tmp_path, models, raw_base=server.url(""))
    assert findings == [] and len(server.seen) == 1


def test_an_anchor_past_the_end_of_the_file_says_so(tmp_path: Path, server: UrlServer) -> None:
    server.routes["/owner/repo/0123abcd/timm/resnet.py"] = serve_file(SOURCE.encode())
    code = "https://github.com/owner/repo/blob/0123abcd/timm/resnet.py#L400"
    _, findings = _run(tmp_path, [_model("resnet101d", Code=code)], raw_base=server.url(""))
    assert _codes(findings) == ["O008"]
    assert "line 400, past the end of the file (15 lines)" in findings[0].message


@pytest.mark.skipif(
    importlib.util.find_spec("torch") is not None, reason="torch is installed: it counts"
)
def test_without_torch_a_torch_file_is_hashed_and_its_count_left_out(
    tmp_path: Path, server: UrlServer
) -> None:
    path = _hashed_name(WEIGHTS, True)
    server.routes[path] = serve_file(WEIGHTS)
    model = _model("net", Weights=server.url(path), Metadata={"Parameters": 5})
    run, findings = _run(tmp_path, [model], download=True)
    download = run.results[(server.url(path), CheckKind.DOWNLOAD)]
    assert download.checkpoint_parameters is None
    assert (
        download.checkpoint_note is not None
        and "torch is not installed" in download.checkpoint_note
    )
    assert findings == []


@pytest.mark.parametrize("kind", [CheckKind.PROBE, CheckKind.DOWNLOAD])
@pytest.mark.parametrize("failed", [status for status in Status if status is not Status.OK])
def test_every_failure_of_a_weights_url_is_one_finding(
    tmp_path: Path, kind: CheckKind, failed: Status
) -> None:
    from modelindex.online.results import UrlResult
    from modelindex.online.targets import url_targets

    url = "https://example.org/w-12345678.pth"
    index = load(_zoo(tmp_path, [_model("net", Weights=url, Metadata={"File Size": 10})]))
    results = {(url, kind): UrlResult(url, kind, failed, "what happened")}
    if kind is CheckKind.DOWNLOAD:
        results[(url, CheckKind.PROBE)] = UrlResult(url, CheckKind.PROBE, Status.OK)
    run = OnlineRun(url_targets(index), results, requested=len(results))
    findings = validate(index, Settings(select=("O",)), run).findings
    code = {
        Status.NOT_FOUND: "O001",
        Status.UNREACHABLE: "O002",
        Status.TIMEOUT: "O002",
        Status.SERVER_ERROR: "O003",
        Status.TOO_MANY_REDIRECTS: "O004",
        Status.FAILED: "M001",  # a bug of ours, whatever the settings select
    }[failed]
    what = "Download of " if kind is CheckKind.DOWNLOAD else ""
    assert [(f.code, f.message) for f in findings] == [
        (code, f"{what}Weights {url}: {failed.value} (what happened)")
    ]


def test_the_anchor_rule_documents_the_span_it_reads() -> None:
    from modelindex.checks import RULES
    from modelindex.online.anchors import MAX_ANCHOR_SPAN

    assert f"more than {MAX_ANCHOR_SPAN} lines" in " ".join(RULES["O008"].explanation.split())
