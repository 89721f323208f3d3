#!/usr/bin/env python3
"""End-to-end tests of `asr serve` and `asr client` over loopback: results
equal to `asr transcribe` with the server's model, every bad input of issue
13 (each gets a JSON error or a clean close, is logged once, and leaves the
other streams alone), limits, back-pressure, SIGINT, and 1,000
connect/disconnect cycles (leaks: LeakSanitizer in the sanitizer build, the
server's RSS in both). Usage: test_serve.py PATH/TO/asr (run by ctest)."""
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ws_client import Client, Closed  # noqa: E402

ASR = os.path.abspath(sys.argv[1])
ROOT = os.environ.get("ASR_SOURCE_DIR") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
MODEL = "pretrained/en-lstm.gguf"
SAMPLE = "samples/so762_000030116.wav"  # 16 kHz, 3.45 s
SHORT = "samples/fsdd_7_jackson_0.wav"  # 8 kHz, 0.43 s
NO_ENDPOINTS = ["--endpoint-silence-ms", "0", "--max-utterance-ms", "0"]
TMP = tempfile.mkdtemp()
os.environ.pop("ASR_MODEL", None)

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s %s" % (name, detail), file=sys.stderr)


def offline(path):
    return subprocess.run([ASR, "transcribe", "--model", MODEL, path], capture_output=True,
                          text=True, check=True).stdout.strip()


def pcm16(path):
    with wave.open(path) as w:
        assert w.getsampwidth() == 2 and w.getnchannels() == 1
        return w.getframerate(), w.readframes(w.getnframes())


class Server:
    def __init__(self, *args):
        self.log = os.path.join(TMP, "server%d.log" % id(self))
        self.err = open(self.log, "w")
        self.proc = subprocess.Popen([ASR, "serve", "--port", "0", "--model", MODEL, *args],
                                     stderr=self.err, stdout=subprocess.DEVNULL)
        for _ in range(600):
            m = re.search(r"ws://[^ ]*:(\d+)/", self.stderr())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + self.stderr())

    def stderr(self):
        with open(self.log) as f:
            return f.read()

    def rss_kb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def stop(self, sig=signal.SIGINT, timeout=60):
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return "hung"


def stream(port, rate, pcm, frame_bytes=640, config=None, fmt="s16le", path="/", headers=()):
    """Streams pcm in frames, then eof; returns (messages, close code)."""
    c = Client(port, path=path, headers=headers)
    c.json({"config": config or {"sample_rate": rate, "format": fmt}})
    for at in range(0, len(pcm), frame_bytes):
        c.binary(pcm[at:at + frame_bytes])
    c.json({"eof": 1})
    return c.until_closed()


def finals_text(msgs):
    return " ".join(m["text"] for m in msgs if isinstance(m, dict) and m.get("type") == "final")


def error_of(msgs):
    errs = [m["error"] for m in msgs if isinstance(m, dict) and m.get("type") == "error"]
    return errs[0] if len(errs) == 1 else None


def expect_error(name, msgs_code, pattern, code):
    msgs, got_code = msgs_code
    err = error_of(msgs)
    check(name + ": one JSON error", err is not None, repr(msgs))
    check(name + ": the error says why", err is not None and re.search(pattern, err), repr(err))
    check(name + ": close code %d" % code, got_code == code, repr(got_code))
    return err


def bad(port, *send, headers=()):
    """Opens a stream, sends each item (dict: JSON, str: text, bytes: audio),
    and collects what comes back up to the close."""
    c = Client(port, headers=headers)
    try:
        for item in send:
            if isinstance(item, dict):
                c.json(item)
            elif isinstance(item, str):
                c.text(item)
            else:
                c.binary(item)
    except OSError:
        pass
    return c.until_closed()


rate, pcm = pcm16(SAMPLE)
short_rate, short_pcm = pcm16(SHORT)
want = offline(SAMPLE)
want_short = offline(SHORT)

# ---- The CLI
r = subprocess.run([ASR, "serve", "--help"], capture_output=True, text=True)
check("serve --help", r.returncode == 0 and "asr client" in r.stdout and "--max-connections" in r.stdout)
r = subprocess.run([ASR, "--help"], capture_output=True, text=True)
check("asr --help names serve and client", re.search(r"^  serve ", r.stdout, re.M) and
      re.search(r"^  client ", r.stdout, re.M))
for args, what in [(["--port", "70000"], "--port"), (["--frob"], "--frob"),
                   (["--token", "a", "--token-file", "b"], "not both"),
                   (["--token-file", TMP + "/nope"], "nope"),
                   (["--model", "tests/fixtures/parity_bilstm.gguf"], "bidirectional")]:
    r = subprocess.run([ASR, "serve", *args], capture_output=True, text=True, timeout=30)
    check("serve %s: exit 2" % args, r.returncode == 2, r.stderr)
    check("serve %s: says so" % args, what in r.stderr, r.stderr)
r = subprocess.run([ASR, "client", "ws://127.0.0.1:1/", SAMPLE], capture_output=True, text=True)
check("client: no server: exit 1 with a message", r.returncode == 1 and "cannot connect" in r.stderr,
      r.stderr)
r = subprocess.run([ASR, "client", "http://x/", SAMPLE], capture_output=True, text=True)
check("client: not a ws URL", r.returncode == 1 and "not a ws://" in r.stderr, r.stderr)

srv = Server(*NO_ENDPOINTS)
check("listens on loopback without a warning", "warning" not in srv.stderr())

# ---- Results: the same text as `asr transcribe` with the server's model
msgs, code = stream(srv.port, rate, pcm)
check("20 ms frames: same text as transcribe", finals_text(msgs) == want,
      "%r != %r" % (finals_text(msgs), want))
check("clean close after the stats", code == 1000 and msgs[-1]["type"] == "stats", repr(msgs[-1:]))
check("ready first", msgs[0] == {"type": "ready", "sample_rate": rate, "format": "s16le"}, repr(msgs[0]))
partials = [m for m in msgs if m["type"] == "partial"]
check("partials sent", len(partials) > 0)
stable = ""
for p in partials:
    if not p["stable"].startswith(stable):
        check("stable text only grows", False, "%r -> %r" % (stable, p["stable"]))
    stable = p["stable"]
final = [m for m in msgs if m["type"] == "final"][0]
check("final has words with times and confidences",
      " ".join(w["word"] for w in final["words"]) == final["text"] and
      all(0 <= w["start"] <= w["end"] <= 3.5 and 0 <= w["confidence"] <= 1 for w in final["words"]))
check("an endpoint event before the final",
      [m["type"] for m in msgs].index("endpoint") == [m["type"] for m in msgs].index("final") - 1)
msgs, _ = stream(srv.port, rate, pcm, frame_bytes=999)  # odd: samples split between frames
check("odd frame sizes: same text", finals_text(msgs) == want, finals_text(msgs))
msgs, _ = stream(srv.port, short_rate, short_pcm)
check("8 kHz: same text", finals_text(msgs) == want_short, finals_text(msgs))
f32 = b"".join(struct.pack("<f", s / 32768.0) for s in struct.unpack("<%dh" % (len(pcm) // 2), pcm))
msgs, _ = stream(srv.port, rate, f32, frame_bytes=1280, fmt="f32le")
check("f32le: same text", finals_text(msgs) == want, finals_text(msgs))
msgs, _ = stream(srv.port, rate, pcm, config={"sample_rate": rate, "partials": False})
check("partials off", finals_text(msgs) == want and not any(m["type"] == "partial" for m in msgs))
msgs, _ = stream(srv.port, short_rate, short_pcm,
                 config={"sample_rate": short_rate, "words": ["one", "two", "three"]})
check("a words list limits the words", finals_text(msgs) in ("one", "two", "three"), finals_text(msgs))
msgs, _ = stream(srv.port, short_rate, short_pcm,
                 config={"sample_rate": short_rate, "hotwords": ["seven:3", {"word": "eleven", "boost": 2}]})
check("hotwords accepted", msgs[0]["type"] == "ready" and finals_text(msgs), repr(msgs[:1]))
r = subprocess.run([ASR, "client", "--speed", "0", "ws://127.0.0.1:%d/" % srv.port, SAMPLE],
                   capture_output=True, text=True, timeout=60)
check("asr client: same text", r.returncode == 0 and r.stdout.strip() == want, r.stdout + r.stderr)
t0 = time.monotonic()
r = subprocess.run([ASR, "client", "--json", "ws://127.0.0.1:%d/" % srv.port, SHORT],
                   capture_output=True, text=True, timeout=60)
check("asr client at real time takes the audio's time", time.monotonic() - t0 >= 0.4)
check("asr client --json writes the messages", r.returncode == 0 and '"type":"final"' in r.stdout)

# ---- The page
with socket.create_connection(("127.0.0.1", srv.port)) as s:
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    page = b""
    while True:
        got = s.recv(65536)
        if not got:
            break
        page += got
check("GET / serves the page", page.startswith(b"HTTP/1.1 200") and b"AudioWorklet" in page and
      b"getUserMedia" in page)
check("the page needs nothing from elsewhere", not re.search(rb"<script[^>]+src=|<link[^>]+href=|https?://[a-z]", page.split(b"\r\n\r\n", 1)[1]))
with socket.create_connection(("127.0.0.1", srv.port)) as s:
    s.sendall(b"GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check("other paths: 404", s.recv(100).startswith(b"HTTP/1.1 404"))

# ---- Bad input, while a good stream goes on at real time beside them
good = {}


def good_stream():
    c = Client(srv.port)
    c.json({"config": {"sample_rate": rate}})
    for at in range(0, len(pcm), 640):
        c.binary(pcm[at:at + 640])
        time.sleep(0.004)
    c.json({"eof": 1})
    good["result"] = c.until_closed()


beside = threading.Thread(target=good_stream)
beside.start()
cfg = {"config": {"sample_rate": 16000}}
expect_error("text where audio belongs", bad(srv.port, cfg, "hello"), r"not valid JSON", 1007)
expect_error("JSON where audio belongs", bad(srv.port, cfg, pcm[:640], {"config": {}}),
             r"second config.*binary audio", 1003)
expect_error("audio before config", bad(srv.port, pcm[:640]), r"audio before the config", 1003)
expect_error("eof before config", bad(srv.port, {"eof": 1}), r"before the config", 1008)
expect_error("malformed JSON", bad(srv.port, '{"config": {"sample_rate": 16000'), r"not valid JSON", 1007)
expect_error("deeply nested JSON", bad(srv.port, "[" * 5000 + "]" * 5000), r"not valid JSON", 1007)
expect_error("huge JSON", bad(srv.port, '{"config": {"words": ["%s"]}}' % ("a" * 300000)),
             r"more than 262144 bytes", 1009)
expect_error("unknown field", bad(srv.port, {"config": {"sample_rate": 16000, "colour": 1}}),
             r'unknown field "colour"', 1007)
expect_error("unknown message", bad(srv.port, {"hello": 1}), r'unknown message "hello"', 1007)
expect_error("not an object", bad(srv.port, "[1, 2]"), r"expected", 1007)
expect_error("rate 0", bad(srv.port, {"config": {"sample_rate": 0}}), r"sample_rate.*1000 to 384000", 1007)
expect_error("rate 1e9", bad(srv.port, {"config": {"sample_rate": 1e9}}), r"sample_rate", 1007)
expect_error("rate as text", bad(srv.port, {"config": {"sample_rate": "16000"}}), r"sample_rate", 1007)
expect_error("bad format", bad(srv.port, {"config": {"format": "mp3"}}), r"s16le.*f32le", 1007)
expect_error("bad words", bad(srv.port, {"config": {"words": [1]}}), r"words", 1007)
expect_error("unspellable word", bad(srv.port, {"config": {"words": ["caf\u00e9!"]}}), r"config", 1007)
expect_error("frame over the limit", bad(srv.port, cfg, b"\0" * 300000), r"more than 262144 bytes", 1009)
nan = struct.pack("<f", float("nan")) * 320
expect_error("NaN samples", bad(srv.port, {"config": {"format": "f32le"}}, nan), r"bad audio", 1007)

# A client that vanishes mid-stream.
c = Client(srv.port)
c.json(cfg)
c.binary(pcm[:32000])
c.drop()
beside.join(60)
msgs, code = good.get("result", ([], None))
check("the stream beside the bad ones: unharmed", finals_text(msgs) == want and code == 1000,
      "%r %r" % (finals_text(msgs), code))
time.sleep(0.5)
log = srv.stderr()
check("a vanished client is logged", "went away mid-stream" in log, log)
for what in ["audio before the config", 'unknown field \\"colour\\"', "bad audio"]:
    n = log.count(what.replace("\\", ""))
    check("logged once: %s" % what, n == 1, "%d times" % n)
check("server alive after the bad input", srv.proc.poll() is None)

# ---- Hundreds of connections at once (the default limit is 100)
socks, results = [], []
for i in range(300):
    socks.append(Client(srv.port))
lock = threading.Lock()


def use(c):
    try:
        c.json({"config": {"sample_rate": short_rate}})
        c.binary(short_pcm)
        c.json({"eof": 1})
    except OSError:
        pass
    r = c.until_closed()
    with lock:
        results.append(r)


threads = [threading.Thread(target=use, args=(c,)) for c in socks]
for t in threads:
    t.start()
for t in threads:
    t.join(120)
served = [m for m, code in results if finals_text(m) == want_short and code == 1000]
full = [m for m, code in results if code == 1013 and error_of(m) and "full" in error_of(m)]
check("300 at once: each served or told the server is full", len(served) + len(full) == 300,
      "%d served, %d full, of %d" % (len(served), len(full), len(results)))
check("300 at once: 100 served", len(served) == 100, "%d" % len(served))
msgs, _ = stream(srv.port, rate, pcm)
check("after the crowd: still the same text", finals_text(msgs) == want)

rc = srv.stop()
check("SIGINT after the crowd: exit 0", rc == 0, "exit %s: %s" % (rc, srv.stderr()[-3000:]))


# ---- 1,000 connect/disconnect cycles: no leaks (LeakSanitizer at exit, RSS here),
# on a fresh server, so that the crowd's heap does not blur the figure
srv = Server(*NO_ENDPOINTS)


def cycle(i):
    c = Client(srv.port)
    if i % 3 == 1:
        c.json({"config": {"sample_rate": 8000}})
        c.binary(short_pcm[:1600])
    if i % 3 == 2:
        c.json({"config": {"sample_rate": 8000}})
        c.drop()
        return
    c.close()
    c.until_closed()


for i in range(100):
    cycle(i)
rss0 = srv.rss_kb()
for i in range(900):
    cycle(i)
time.sleep(0.5)
rss1 = srv.rss_kb()
# AddressSanitizer holds freed memory in quarantine: there LeakSanitizer
# (at the server's exit, below) is the leak check, not RSS.
sanitized = b"libasan" in subprocess.run(["ldd", ASR], capture_output=True).stdout
check("1,000 cycles: RSS grows by less than 8 MB", sanitized or rss1 - rss0 < 8192,
      "%d -> %d kB" % (rss0, rss1))
check("1,000 cycles: the server still serves", finals_text(stream(srv.port, rate, pcm)[0]) == want)
rc = srv.stop()
check("SIGINT: exit 0 (and, sanitized, no leaks)", rc == 0, "exit %s: %s" % (rc, srv.stderr()[-3000:]))

# ---- Limits
lim = Server("--max-connections", "2", "--max-frame-bytes", "4096", "--idle-timeout", "2",
             "--max-utterance-ms", "1000", "-j", "1")
expect_error("--max-frame-bytes", bad(lim.port, cfg, b"\0" * 5000), r"more than 4096 bytes", 1009)
a, b = Client(lim.port), Client(lim.port)
expect_error("--max-connections", bad(lim.port), r"server is full", 1013)
a.close(), b.close()
a.until_closed(), b.until_closed()
t0 = time.monotonic()
idle = bad(lim.port, cfg)
expect_error("--idle-timeout", idle, r"idle for 2 s", 1008)
check("idle: closed after about 2 s", 1.5 < time.monotonic() - t0 < 8, "%.1f s" % (time.monotonic() - t0))
msgs, _ = stream(lim.port, rate, pcm, frame_bytes=4096)
reasons = [m["reason"] for m in msgs if m["type"] == "endpoint"]
check("--max-utterance-ms ends utterances", "max_utterance" in reasons, repr(reasons))

# A client that stops reading: the server stops reading from it too (TCP
# back-pressure) instead of buffering, then closes it after --idle-timeout.
c = Client(lim.port, rcvbuf=4096)
c.json({"config": {"sample_rate": 16000}})
c.sock.settimeout(0.5)
sent, t0 = 0, time.monotonic()
try:
    while time.monotonic() - t0 < 60:
        at = sent % (len(pcm) - 4000) // 2 * 2  # speech, over and over: results pile up
        c.binary(pcm[at:at + 4000])
        sent += 4000
except (socket.timeout, OSError):
    pass
check("a client that does not read is held back", sent < 40_000_000, "%d bytes taken" % sent)
closed_by_server = False
c.sock.settimeout(1)
# Up to 30 s of wall time, not a count of tries: under load (sanitizers, a
# busy machine) the server may take its audio again for a while before its
# results pile up, and each accepted send below only waits 0.2 s.
t1 = time.monotonic()
while time.monotonic() - t1 < 30:
    try:
        c.binary(pcm[4000:8000])
    except socket.timeout:
        continue
    except OSError:
        closed_by_server = True
        break
    time.sleep(0.2)
check("... and closed", closed_by_server)
check("limited server: still serves", finals_text(stream(lim.port, short_rate, short_pcm)[0]) == want_short)
check("limited server: exit 0", lim.stop() == 0, lim.stderr()[-2000:])

# ---- Tokens and a non-loopback address
tok = os.path.join(TMP, "token")
with open(tok, "w") as f:
    f.write("s3cret\n")
sec = Server("--token-file", tok, "--host", "0.0.0.0")
check("0.0.0.0 with a token: no warning", "warning" not in sec.stderr(), sec.stderr())
expect_error("no token", bad(sec.port, cfg), r"wrong or missing token", 1008)
expect_error("wrong token", bad(sec.port, cfg, headers=["Authorization: Bearer nope"]), r"token", 1008)
msgs, _ = stream(sec.port, short_rate, short_pcm, path="/?token=s3cret")
check("token in the URL", finals_text(msgs) == want_short, repr(msgs[:1]))
msgs, _ = stream(sec.port, short_rate, short_pcm, headers=["Authorization: Bearer s3cret"])
check("token in a header", finals_text(msgs) == want_short)
r = subprocess.run([ASR, "client", "--token-file", tok, "--speed", "0",
                    "ws://127.0.0.1:%d/" % sec.port, SHORT], capture_output=True, text=True)
check("asr client --token-file", r.returncode == 0 and r.stdout.strip() == want_short, r.stderr)
r = subprocess.run([ASR, "client", "--token", "bad", "ws://127.0.0.1:%d/" % sec.port, SHORT],
                   capture_output=True, text=True)
check("asr client, wrong token: exit 1, the server's message", r.returncode == 1 and "token" in r.stderr,
      "exit %d, stderr %r" % (r.returncode, r.stderr))
check("token server: exit 0", sec.stop(signal.SIGTERM) == 0)
warn = Server("--host", "0.0.0.0")
check("0.0.0.0 without a token: a warning", "warning" in warn.stderr() and "--token" in warn.stderr())
warn.stop()

# ---- SIGINT mid-stream: the open stream gets its final, then the server exits 0
srv = Server(*NO_ENDPOINTS)
c = Client(srv.port)
c.json({"config": {"sample_rate": rate}})
for at in range(0, len(pcm), 640):
    c.binary(pcm[at:at + 640])
c.recv()  # ready: the stream is open
time.sleep(0.5)
srv.proc.send_signal(signal.SIGINT)
msgs, code = c.until_closed()
check("SIGINT: the open stream gets its final", finals_text(msgs) == want, finals_text(msgs))
check("SIGINT: then stats and 'going away'", msgs[-1]["type"] == "stats" and code == 1001, repr(code))
try:
    rc = srv.proc.wait(30)
except subprocess.TimeoutExpired:
    rc = "hung"
check("SIGINT: exit 0", rc == 0, "%s %s" % (rc, srv.stderr()[-2000:]))

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
