"""The Python package over libasr: results as the CLI gives them, the input
forms, threads, and bad input as exceptions (never a crash).

Run: /usr/bin/python3 -m pytest python/tests (ctest sets ASR_LIBRARY to the
built library and ASR_CLI to the built command)."""
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import asr

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SAMPLES = os.path.join(ROOT, "samples")
WAV = os.path.join(SAMPLES, "so762_000030116.wav")
DIGIT = os.path.join(SAMPLES, "fsdd_7_jackson_0.wav")  # 8 kHz: resampled
PRETRAINED = os.path.join(ROOT, "pretrained")
LSTM = os.path.join(PRETRAINED, "en-lstm.gguf")
LM_FILE = os.path.join(PRETRAINED, "en-3gram.lmbin")
CLI = os.environ.get("ASR_CLI", os.path.join(ROOT, "build", "asr"))
# Child interpreters import the same package, from wherever it was found.
PACKAGE_PATH = os.path.dirname(os.path.dirname(os.path.abspath(asr.__file__)))


@pytest.fixture(scope="module")
def model():
    with asr.Model(LSTM) as m:
        yield m


@pytest.fixture(scope="module")
def lm():
    with asr.LM(LM_FILE) as l:
        yield l


def cli(*args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASR_")}
    return subprocess.run([CLI, *args], capture_output=True, text=True, check=True,
                          env=env).stdout.strip()


def decode(model, samples, rate, chunk=None, **kw):
    with asr.Stream(model, **kw) as s:
        step = chunk or len(samples)
        for at in range(0, len(samples), step):
            s.accept_waveform(rate, samples[at:at + step])
        return s.finish()


def test_version_matches_header():
    header = open(os.path.join(ROOT, "include", "asr.h")).read()
    major = header.split("#define ASR_VERSION_MAJOR ")[1].split()[0]
    assert asr.version.split(".")[0] == major
    assert asr.version == asr.__version__


# transcribe() decodes the whole file as one utterance; the CLI decodes from
# 600 ms before the first sound its segmenter hears. The two agree where that
# cut changes nothing. so762_000030116 has 0.84 s before its first word, and
# the file model (with its blank penalty) hears a near-tie at the end of it
# both ways ("pet shop" from the whole file, "pressure" from the cut one), so
# that pair is left out; the streaming model decodes it the same both ways.
@pytest.mark.parametrize("wav,model", [
    ("so762_000030116.wav", "en-lstm-phones.gguf"),
    ("so762_000240031.wav", None), ("so762_000240031.wav", "en-lstm-phones.gguf"),
    ("fsdd_7_jackson_0.wav", None), ("fsdd_7_jackson_0.wav", "en-lstm-phones.gguf")])
def test_transcribe_is_the_cli(wav, model):
    path = os.path.join(SAMPLES, wav)
    model_path = os.path.join(PRETRAINED, model) if model else None
    r = asr.transcribe(path, model=model_path)
    assert str(r) == r.text == cli("transcribe", *(["--model", model_path] if model else []), path)
    assert r.text  # these samples are not silent


def test_transcribe_options_take_effect(model, lm):
    # Not compared with the CLI: `asr transcribe` cuts files into utterances
    # at pauses (cli/transcript.c), transcribe() decodes a file as one.
    samples, rate = asr.read_audio(WAV)
    no_lm = asr.transcribe(WAV, model=LSTM, lm=False).text
    assert no_lm == decode(model, samples, rate).text
    wide = asr.transcribe(WAV, model=LSTM, beam=16).text
    assert wide == decode(model, samples, rate, lm=lm, beam=16).text
    assert no_lm != wide


def test_result_words_times_confidences(model, lm):
    samples, rate = asr.read_audio(WAV)
    r = decode(model, samples, rate, lm=lm)
    assert [w.word for w in r.words] == r.text.split()
    assert abs(r.audio_seconds - len(samples) / rate) < 0.01
    for a, b in zip(r.words, r.words[1:]):
        assert a.end <= b.start
    for w in r.words:
        assert 0 <= w.start < w.end <= r.audio_seconds + 0.05
        assert 0 <= w.confidence <= 1


def test_lm_weight_and_blank_penalty_default_to_the_models(model, lm):
    # en-lstm's file names neither: the engine's defaults
    assert (model.info.lm_alpha, model.info.blank_penalty) == (0.8, 0)
    with asr.Model(os.path.join(PRETRAINED, "en-lstm-phones.gguf")) as phones:
        # tuned on the dev set, in the file
        assert (phones.info.lm_alpha, phones.info.blank_penalty) == (0.7, 1.5)
        with asr.Dict() as d:
            with asr.Stream(phones, lm=lm, dict=d) as s:
                assert (s.lm_alpha, s.blank_penalty) == (0.7, 1.5)
            with asr.Stream(phones, lm=lm, dict=d, alpha=0.5, blank_penalty=0) as s:
                assert (s.lm_alpha, s.blank_penalty) == (0.5, 0)
    with asr.Stream(model, lm=lm, blank_penalty=2.5) as s:
        assert (s.lm_alpha, s.blank_penalty) == (0.8, 2.5)
    for bad in (-1, 21, float("nan")):
        with pytest.raises(ValueError, match="blank_penalty"):
            asr.Stream(model, blank_penalty=bad)


def test_beam_prune(model, lm):
    with asr.Stream(model, lm=lm) as s:
        assert s.beam_prune == -10  # the library's default
    with asr.Stream(model, lm=lm, beam_prune=-4) as s:
        assert s.beam_prune == -4
    for bad in (0.5, -101, float("nan")):
        with pytest.raises(ValueError, match="beam_prune"):
            asr.Stream(model, beam_prune=bad)


def test_beam_defaults_to_the_librarys(model, lm):
    with asr.Stream(model) as s:
        assert s.beam == 8
    with asr.Stream(model, lm=lm) as s:
        assert s.beam == 128
    with asr.Stream(model, lm=lm, beam=3) as s:
        assert s.beam == 3
    with asr.Model(os.path.join(PRETRAINED, "en-bilstm.gguf")) as bi:
        with asr.Stream(bi, lm=lm) as s:
            assert s.beam == 256  # a whole utterance at once: a wider beam costs only time


def test_input_forms_agree(model):
    samples, rate = asr.read_audio(DIGIT)  # 16-bit WAV: exact as int16
    pcm = np.round(samples * 32768).astype("<i2")
    want = decode(model, samples, rate).text
    assert want == "seven"
    assert decode(model, samples.astype(np.float64), rate).text == want
    assert decode(model, pcm.tobytes(), rate).text == want
    assert decode(model, bytearray(pcm.tobytes()), rate).text == want
    assert decode(model, pcm, rate).text == want
    assert decode(model, samples.tolist(), rate).text == want
    # Any chunking gives the same result.
    assert decode(model, samples, rate, chunk=333).text == want


def test_partials_grow_into_the_result(model, lm):
    samples, rate = asr.read_audio(WAV)
    seen = []
    with asr.Stream(model, lm=lm) as s:
        for at in range(0, len(samples), rate // 5):
            s.accept_waveform(rate, samples[at:at + rate // 5])
            p = s.partial()
            seen.append(p)
            assert str(p) == p.stable + p.unstable
        final = s.finish()
    stables = [p.stable for p in seen]
    for a, b in zip(stables, stables[1:]):
        assert b.startswith(a)  # the stable part is never rewritten
    assert any(str(p) for p in seen)
    assert final.text.startswith(stables[-1].strip())


def test_word_list_and_hotwords(model):
    samples, rate = asr.read_audio(DIGIT)
    r = decode(model, samples, rate, words=["one", "two", "three"])
    assert r.text and set(r.text.split()) <= {"one", "two", "three"}
    assert decode(model, samples, rate, hotwords={"seven": 5.0}).text == "seven"


def test_reset_and_reuse(model):
    samples, rate = asr.read_audio(DIGIT)
    with asr.Stream(model) as s:
        s.accept_waveform(rate, samples)
        first = s.finish().text
        with pytest.raises(asr.AsrError):
            s.accept_waveform(rate, samples)  # audio after finish
        s.reset()
        s.accept_waveform(rate, samples)
        assert s.finish().text == first
        assert not s.is_endpoint()


def test_two_threads_share_one_model(model, lm):
    files = [WAV, os.path.join(SAMPLES, "so762_000240031.wav")]
    audio = [asr.read_audio(f) for f in files]
    want = [decode(model, x, r, lm=lm).text for x, r in audio]
    got, errors = {}, []

    def work(i):
        try:
            for _ in range(3):
                x, r = audio[i]
                got.setdefault(i, set()).add(decode(model, x, r, chunk=1600, lm=lm).text)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert got == {0: {want[0]}, 1: {want[1]}}


def test_gil_released_while_decoding(lm):
    # While one long call runs in the engine, Python code keeps running.
    samples, rate = asr.read_audio(WAV)
    long = np.tile(samples, 8)
    with asr.Model(os.path.join(PRETRAINED, "en-bilstm.gguf")) as bi, \
            asr.Stream(bi, lm=lm) as s:
        s.accept_waveform(rate, long)
        done = threading.Event()
        t = threading.Thread(target=lambda: (s.finish(), done.set()))
        ticks = 0
        t0 = time.monotonic()
        t.start()
        while not done.is_set():
            ticks += 1
        t.join()
        busy = time.monotonic() - t0
    # A held GIL would let this loop run only between the engine's calls.
    assert busy > 0.05 and ticks > 10000, (busy, ticks)


def test_engine_errors_carry_the_message(tmp_path):
    with pytest.raises(asr.AsrError, match="none.gguf"):
        asr.Model(str(tmp_path / "none.gguf"))
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(asr.AsrError) as e:
        asr.Model(bad)
    assert "bad.gguf" in str(e.value) and "GGUF" in str(e.value)
    with pytest.raises(asr.AsrError, match="none.wav"):
        asr.transcribe(str(tmp_path / "none.wav"))
    with pytest.raises(asr.AsrError):
        asr.LM(LSTM)  # a model is not an LM


def test_bad_samples(model):
    with asr.Stream(model) as s:
        with pytest.raises(TypeError, match="dtype int32"):
            s.accept_waveform(16000, np.zeros(100, np.int32))
        with pytest.raises(TypeError, match="dtype complex"):
            s.accept_waveform(16000, np.zeros(100, np.complex64))
        with pytest.raises(ValueError, match="not contiguous"):
            s.accept_waveform(16000, np.zeros(200, np.float32)[::2])
        with pytest.raises(ValueError, match="1-D"):
            s.accept_waveform(16000, np.zeros((2, 100), np.float32))
        with pytest.raises(ValueError, match="whole number of 16-bit"):
            s.accept_waveform(16000, b"\x00\x01\x02")
        with pytest.raises(TypeError, match="str"):
            s.accept_waveform(16000, [0.0, "x"])
        with pytest.raises(TypeError, match="numpy array"):
            s.accept_waveform(16000, "samples")
        with pytest.raises(TypeError, match="sample_rate"):
            s.accept_waveform(16000.0, np.zeros(100, np.float32))
        with pytest.raises(asr.AsrError, match="rate"):
            s.accept_waveform(5, np.zeros(100, np.float32))
        x = np.zeros(1000, np.float32)
        x[500] = np.nan
        with pytest.raises(asr.AsrError, match="NaN|Inf|finite") as e:
            s.accept_waveform(16000, x)
        assert e.value.status
        # Nothing of the bad calls was used: the stream still works.
        s.accept_waveform(16000, np.zeros(1600, np.float32))
        assert s.finish().text == ""


def test_bad_arguments(model):
    with pytest.raises(TypeError, match="Model"):
        asr.Model(42)
    with pytest.raises(TypeError, match="asr.Model"):
        asr.Stream("en-lstm.gguf")
    with pytest.raises(TypeError, match="asr.LM"):
        asr.Stream(model, lm="en-3gram.lmbin")
    with pytest.raises(TypeError, match="beam"):
        asr.Stream(model, beam="wide")
    with pytest.raises(ValueError, match="beam"):
        asr.Stream(model, beam=0)
    with pytest.raises(ValueError, match="alpha"):
        asr.Stream(model, alpha=-0.5)
    with pytest.raises(asr.AsrError):
        asr.Stream(model, words=["c3po!"])


def test_closed_stream(model):
    s = asr.Stream(model)
    s.close()
    s.close()  # twice is fine
    for call in (lambda: s.accept_waveform(16000, [0.0]), s.finish, s.partial, s.result,
                 s.reset, s.is_endpoint):
        with pytest.raises(asr.AsrError, match="closed"):
            call()


def test_closed_model_still_used_by_a_stream():
    m = asr.Model(LSTM)
    s = asr.Stream(m)
    s.accept_waveform(16000, np.zeros(1600, np.float32))
    m.close()  # freed only when the stream goes; until then: errors, no crash
    with pytest.raises(asr.AsrError, match="Model was closed"):
        s.accept_waveform(16000, np.zeros(1600, np.float32))
    with pytest.raises(asr.AsrError, match="Model was closed"):
        s.finish()
    with pytest.raises(asr.AsrError, match="was closed"):
        asr.Stream(m)
    s.close()
    assert m.closed and m._ptr is None


def test_closed_lm_still_used_by_a_stream(model):
    lm = asr.LM(LM_FILE)
    s = asr.Stream(model, lm=lm)
    lm.close()
    with pytest.raises(asr.AsrError, match="LM was closed"):
        s.partial()
    s.close()
    assert lm._ptr is None


def test_no_lm_found_warns(tmp_path, monkeypatch):
    monkeypatch.setenv("ASR_MODEL", LSTM)
    monkeypatch.setenv("ASR_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(asr._lib, "_loaded_path", lambda: str(tmp_path / "lib" / "libasr.so"))
    with pytest.warns(UserWarning, match="no word LM found"):
        r = asr.transcribe(DIGIT)
    assert r.text == cli("transcribe", "--model", LSTM, "--no-lm", DIGIT)
    with pytest.raises(asr.AsrError, match="no word LM found: looked in " + str(tmp_path)):
        asr.LM()


def test_other_major_version_refused(tmp_path):
    src = tmp_path / "fake.c"
    src.write_text('const char *asr_version(void) { return "1.0.0"; }\n')
    lib = tmp_path / "libasr.so.1"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    env = dict(os.environ, ASR_LIBRARY=str(lib), PYTHONPATH=PACKAGE_PATH)
    p = subprocess.run([sys.executable, "-c", "import asr"], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path))
    assert p.returncode != 0
    assert "ImportError" in p.stderr and "libasr 1.0.0" in p.stderr
    assert "needs major version 0" in p.stderr


def test_missing_library_refused(tmp_path):
    env = dict(os.environ, ASR_LIBRARY=str(tmp_path / "libasr.so.0"), PYTHONPATH=PACKAGE_PATH)
    p = subprocess.run([sys.executable, "-c", "import asr"], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path))
    assert p.returncode != 0 and "libasr not found" in p.stderr


def test_example_streams_a_file():
    example = os.path.join(ROOT, "python", "examples", "stream_file.py")
    p = subprocess.run([sys.executable, example, WAV], capture_output=True, text=True,
                       check=True)
    lines = p.stdout.splitlines()
    final = [l for l in lines if l.startswith("final: ")]
    assert len(final) == 1 and final[0] != "final: "
    assert sum(" s  " in l for l in lines) > 10  # one partial per 200 ms chunk
