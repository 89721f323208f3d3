#!/usr/bin/env python3
"""Load benchmark of `asr serve` (not a test): N clients at once, each
streaming real speech at real time (20 ms frames) over loopback.

Latency of a message = when it arrived - when the audio it is about had
been sent. A partial's "time" and an endpoint's "time" are seconds of audio
fed when it was made; at real time that audio was sent at start + time.
The final of the last utterance is timed from the {"eof": 1}.

Usage: serve_load.py ASR WAV [N ...]   (16-bit mono WAV; default N = 1 8 32 64)
Prints one TSV row per N: partial and final latency p50/p99 (ms), server CPU
per stream (% of one core), peak server RSS (MB), and whether every stream
got the same finals as a lone stream."""
import os
import re
import subprocess
import sys
import threading
import time
import wave

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from ws_client import Client, Closed  # noqa: E402

FRAME_MS = 20


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024.0


def client(port, rate, pcm, start_at, out):
    c = Client(port, timeout=120)
    c.json({"config": {"sample_rate": rate}})
    msgs = []

    def reader():
        try:
            while True:
                m = c.recv()
                msgs.append((time.monotonic(), m))
        except (Closed, OSError):
            pass

    r = threading.Thread(target=reader)
    r.start()
    frame = rate * FRAME_MS // 1000 * 2
    while time.monotonic() < start_at:
        time.sleep(0.001)
    t0 = time.monotonic()
    for k, at in enumerate(range(0, len(pcm), frame)):
        due = t0 + (k + 1) * FRAME_MS / 1000.0  # a microphone hands over audio once spoken
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        c.binary(pcm[at:at + frame])
    eof_at = time.monotonic()
    c.json({"eof": 1})
    r.join(120)
    partial, final, texts = [], [], []
    pending_endpoint = None
    for t, m in msgs:
        if m.get("type") == "partial":
            partial.append(t - (t0 + m["time"]))
        elif m.get("type") == "endpoint":
            pending_endpoint = eof_at if m["reason"] == "end_of_stream" else t0 + m["time"]
        elif m.get("type") == "final":
            final.append(t - pending_endpoint)
            texts.append(m["text"])
    out.append((partial, final, texts))


def run(asr, port, pid, rate, pcm, n, reference):
    out = []
    start_at = time.monotonic() + 1.0
    threads = [threading.Thread(target=client, args=(port, rate, pcm, start_at, out)) for _ in range(n)]
    for t in threads:
        t.start()
    while time.monotonic() < start_at:
        time.sleep(0.01)
    cpu0, peak = cpu_seconds(pid), 0.0
    while any(t.is_alive() for t in threads):
        peak = max(peak, rss_mb(pid))
        time.sleep(0.1)
    cpu = cpu_seconds(pid) - cpu0
    audio_s = len(pcm) / 2 / rate
    partial = [x for p, _, _ in out for x in p]
    final = [x for _, f, _ in out for x in f]
    same = all(texts == reference for _, _, texts in out) if reference is not None else True
    return {
        "n": n, "streams_ok": len(out), "partial_p50": 1000 * pct(partial, 50),
        "partial_p99": 1000 * pct(partial, 99), "final_p50": 1000 * pct(final, 50),
        "final_p99": 1000 * pct(final, 99), "finals": len(final),
        "cpu_per_stream": 100.0 * cpu / audio_s / n, "rss_mb": peak, "same_text": same,
        "texts": out[0][2] if out else [],
    }


def main():
    asr, wav = sys.argv[1], sys.argv[2]
    ns = [int(x) for x in sys.argv[3:]] or [1, 8, 32, 64]
    with wave.open(wav) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1, "16-bit mono WAV expected"
        rate, pcm = w.getframerate(), w.readframes(w.getnframes())
    jobs = os.environ.get("ASR_SERVE_JOBS", str(os.cpu_count()))
    log = open("/tmp/asr_serve_load.log", "w")
    srv = subprocess.Popen([asr, "serve", "--port", "0", "-j", jobs, "--max-connections", "1000"],
                           stderr=log, stdout=subprocess.DEVNULL)
    try:
        port = None
        for _ in range(300):
            with open("/tmp/asr_serve_load.log") as f:
                m = re.search(r"ws://[^ ]*:(\d+)/", f.read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.05)
        if port is None:
            sys.exit("serve_load: the server did not start")
        idle_rss = rss_mb(srv.pid)
        print("# %s, %.1f s of speech per stream, -j %s, server RSS idle %.1f MB" %
              (os.path.basename(wav), len(pcm) / 2 / rate, jobs, idle_rss))
        print("n\tpartial_p50_ms\tpartial_p99_ms\tfinal_p50_ms\tfinal_p99_ms\tfinals\t"
              "cpu_per_stream_pct\tserver_rss_mb\tsame_text")
        reference = None
        for n in ns:
            r = run(asr, port, srv.pid, rate, pcm, n, reference)
            if reference is None:
                reference = r["texts"]
            print("%d\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%.2f\t%.1f\t%s" % (
                n, r["partial_p50"], r["partial_p99"], r["final_p50"], r["final_p99"], r["finals"],
                r["cpu_per_stream"], r["rss_mb"], "yes" if r["same_text"] else "no"), flush=True)
    finally:
        srv.send_signal(2)
        srv.wait(60)


if __name__ == "__main__":
    main()
