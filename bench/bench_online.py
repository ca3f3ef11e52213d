"""Time ``modelindex check-urls`` on 1,000 URLs served by a local server that answers in 50 ms.

Usage: ``python bench/bench_online.py [--urls 1000] [--delay 0.05] [--repeat 3]``

The server runs in its own process (a ThreadingHTTPServer on 127.0.0.1) and counts the
requests it answers. Each figure is a whole ``python -m modelindex check-urls`` process:

1. Cold: a fresh URL cache, so every URL is asked (target 5 s for 1,000 URLs at 50 ms).
   Baselines in the same run: the floor that the per-host limit sets (URLs x delay / limit),
   and ``python -m modelindex validate`` offline on the same zoo.
2. Rerun: the same command again, served from the cache it just wrote (target 0.5 s and zero
   requests). Baseline: ``validate`` offline on the same zoo.

Times are medians of N runs (cold runs: N fresh caches). Exit status 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
TARGET_COLD_SECONDS = 5.0
TARGET_RERUN_SECONDS = 0.5
FILE_SIZE = 102_400
PER_HOST = 16  # modelindex's default


def serve(port_queue: multiprocessing.Queue, counter, delay: float) -> None:  # type: ignore[no-untyped-def]
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            with counter.get_lock():
                counter.value += 1
            time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Length", str(FILE_SIZE))
            self.send_header("ETag", f'"{self.path}"')
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.request_queue_size = 256
    port_queue.put(httpd.server_address[1])
    httpd.serve_forever()


def write_zoo(folder: Path, port: int, urls: int) -> Path:
    models = [
        {
            "Name": f"model{number:04d}",
            "Weights": f"http://127.0.0.1:{port}/weights/model{number:04d}.pth",
            "Metadata": {"File Size": FILE_SIZE, "Parameters": 25_000},
            "Results": [
                {
                    "Task": "Image Classification",
                    "Dataset": "ImageNet",
                    "Metrics": {"Top 1 Accuracy": 75.0},
                }
            ],
        }
        for number in range(urls)
    ]
    path = folder / "model-index.yml"
    path.write_text(yaml.safe_dump({"Models": models}, sort_keys=False), encoding="utf-8")
    return path


def timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    return time.perf_counter() - start, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--urls", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    port_queue, counter = context.Queue(), context.Value("i", 0)
    server = context.Process(target=serve, args=(port_queue, counter, args.delay), daemon=True)
    server.start()
    port = port_queue.get(timeout=30)
    try:
        with tempfile.TemporaryDirectory() as folder:
            zoo = write_zoo(Path(folder), port, args.urls)
            validate = [sys.executable, "-m", "modelindex", "validate", str(zoo)]
            offline = statistics.median(timed(validate)[0] for _ in range(args.repeat))
            cold_times, rerun_times, cold_requests, rerun_requests = [], [], [], []
            for attempt in range(args.repeat):
                cache = Path(folder) / f"urls-{attempt}.sqlite"
                command = [*validate[:3], "check-urls", str(zoo), "--url-cache", str(cache)]
                before = counter.value
                seconds, done = timed(command)
                assert done.returncode == 0, done.stderr[-2000:]
                cold_times.append(seconds)
                cold_requests.append(counter.value - before)
                before = counter.value
                seconds, done = timed(command)
                assert done.returncode == 0, done.stderr[-2000:]
                rerun_times.append(seconds)
                rerun_requests.append(counter.value - before)
    finally:
        server.terminate()

    cold, rerun = statistics.median(cold_times), statistics.median(rerun_times)
    floor = args.urls * args.delay / PER_HOST
    print(f"{args.urls} URLs, server delay {args.delay * 1000:.0f} ms, median of {args.repeat}")
    print(
        f"cold:  {cold:6.2f} s  (target {TARGET_COLD_SECONDS:g} s; "
        f"{cold / floor:.2f} x the per-host floor {floor:.2f} s; "
        f"{cold / offline:.1f} x offline validate {offline:.2f} s); requests {cold_requests}"
    )
    print(
        f"rerun: {rerun:6.2f} s  (target {TARGET_RERUN_SECONDS:g} s; "
        f"{rerun / offline:.2f} x offline validate); requests {rerun_requests}"
    )
    print(
        f"verdict: cold {'met' if cold <= TARGET_COLD_SECONDS else 'MISSED'}, "
        f"rerun {'met' if rerun <= TARGET_RERUN_SECONDS else 'MISSED'}, "
        f"rerun requests {'zero' if not any(rerun_requests) else 'NOT ZERO'}"
    )


if __name__ == "__main__":
    main()
