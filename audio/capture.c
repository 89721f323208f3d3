#include "capture.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <portaudio.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "error.h"

#ifdef ASR_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif
#ifdef ASR_HAVE_JACK
#include <jack/jack.h>
#endif

/* Frames mixed to mono at a time when a device gives more than one channel. */
enum { MIX_FRAMES = 256 };
/* A running device that delivers nothing for this long is taken as lost. */
#define WATCHDOG_SECONDS 5.0

struct asr_capture {
    PaStream *stream;
    asr_ring *ring;
    char name[256];
    int rate, channels;
    double default_rate;
    size_t max_frames;
    uint64_t lose_after; /* frames; 0 = off */
    atomic_uint_least64_t frames;
    atomic_uint_least64_t device_overflows;
    atomic_int completed;      /* max_frames reached */
    atomic_int stop_requested; /* asr_capture_stop called */
    atomic_int lost;
    int started;
    /* Watchdog, on the polling thread. */
    uint64_t seen_frames;
    double seen_at;
    float mix[MIX_FRAMES]; /* callback's scratch */
};

static int verbose_audio;

/* ---- Keeping the sound stack quiet --------------------------------------- */

#ifdef ASR_HAVE_ALSA
static void quiet_alsa(const char *file, int line, const char *function, int err, const char *fmt,
                       ...) {
    (void)file, (void)line, (void)function, (void)err, (void)fmt;
}
#endif
#ifdef ASR_HAVE_JACK
static void quiet_jack(const char *message) {
    (void)message;
}
#endif

/* PortAudio itself prints "Expression ... failed" lines for devices it
 * merely probes; stderr is pointed at /dev/null around the calls that probe
 * (made before any other thread of ours prints). */
static int quiet_begin(void) {
    if (verbose_audio) return -1;
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved >= 0 && null >= 0) dup2(null, STDERR_FILENO);
    if (null >= 0) close(null);
    return saved;
}

static void quiet_end(int saved) {
    if (saved < 0) return;
    dup2(saved, STDERR_FILENO);
    close(saved);
}

asr_status asr_capture_init(int verbose) {
    verbose_audio = verbose;
    if (!verbose) {
#ifdef ASR_HAVE_ALSA
        snd_lib_error_set_handler(quiet_alsa);
#endif
#ifdef ASR_HAVE_JACK
        jack_set_error_function(quiet_jack);
        jack_set_info_function(quiet_jack);
#endif
    }
    int saved = quiet_begin();
    PaError err = Pa_Initialize();
    quiet_end(saved);
    if (err != paNoError)
        return asr_error(ASR_ERR_IO, "cannot start audio input (PortAudio): %s",
                         Pa_GetErrorText(err));
    return ASR_OK;
}

void asr_capture_terminate(void) {
    int saved = quiet_begin();
    Pa_Terminate();
    quiet_end(saved);
}

/* ---- Devices --------------------------------------------------------------- */

int asr_capture_device_count(void) {
    int n = Pa_GetDeviceCount();
    return n > 0 ? n : 0;
}

int asr_capture_device_get(int index, asr_capture_device *out) {
    if (index < 0 || index >= asr_capture_device_count()) return 0;
    const PaDeviceInfo *info = Pa_GetDeviceInfo(index);
    if (!info || info->maxInputChannels < 1) return 0;
    const PaHostApiInfo *api = Pa_GetHostApiInfo(info->hostApi);
    *out = (asr_capture_device){
        .index = index,
        .name = info->name ? info->name : "?",
        .host_api = api && api->name ? api->name : "?",
        .max_channels = info->maxInputChannels,
        .default_rate = info->defaultSampleRate,
        .is_default = index == Pa_GetDefaultInputDevice(),
    };
    return 1;
}

static int all_digits(const char *s) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

asr_status asr_capture_find(const char *spec, int *index) {
    int n = asr_capture_device_count(), first_input = -1, inputs = 0;
    asr_capture_device d;
    for (int i = 0; i < n; i++)
        if (asr_capture_device_get(i, &d)) {
            inputs++;
            if (first_input < 0) first_input = i;
        }
    if (inputs == 0)
        return asr_error(ASR_ERR_IO,
                         "no audio input device found; try --list-devices, or --input FILE / '-'");
    if (!spec) {
        int def = Pa_GetDefaultInputDevice();
        *index = asr_capture_device_get(def, &d) ? def : first_input;
        return ASR_OK;
    }
    if (all_digits(spec)) {
        long i = strtol(spec, NULL, 10);
        if (i >= n || !asr_capture_device_get((int)i, &d))
            return asr_error(ASR_ERR_ARG, "there is no input device %s (see --list-devices)", spec);
        *index = (int)i;
        return ASR_OK;
    }
    int found = -1, matches = 0;
    char list[512] = "";
    for (int i = 0; i < n; i++) {
        if (!asr_capture_device_get(i, &d)) continue;
        if (strcasecmp(d.name, spec) == 0) {
            *index = i;
            return ASR_OK;
        }
        if (strcasestr(d.name, spec)) {
            found = i;
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%d \"%s\"", matches ? ", " : "", i, d.name);
            matches++;
        }
    }
    if (matches == 0)
        return asr_error(ASR_ERR_ARG, "no input device's name contains '%s' (see --list-devices)",
                         spec);
    if (matches > 1)
        return asr_error(ASR_ERR_ARG, "'%s' matches several input devices: %s; give its index",
                         spec, list);
    *index = found;
    return ASR_OK;
}

/* ---- The stream ------------------------------------------------------------ */

static asr_status device_error(PaError err, const char *doing, const asr_capture *c) {
    if (err == paDeviceUnavailable)
        return asr_error(ASR_ERR_IO,
                         "audio device \"%s\" is busy or unavailable (is another program using "
                         "it?)",
                         c->name);
    if (err == paInvalidSampleRate)
        return asr_error(ASR_ERR_UNSUPPORTED,
                         "audio device \"%s\" does not support %d Hz (its own rate is %.0f Hz)",
                         c->name, c->rate, c->default_rate);
    if (err == paUnanticipatedHostError) {
        const PaHostErrorInfo *host = Pa_GetLastHostErrorInfo();
        /* ALSA reports errno values, negated. */
        if (host && host->hostApiType == paALSA && host->errorCode == -EBUSY)
            return device_error(paDeviceUnavailable, doing, c);
        return asr_error(ASR_ERR_IO, "cannot %s audio device \"%s\": %s", doing, c->name,
                         host && host->errorText && *host->errorText ? host->errorText
                                                                     : Pa_GetErrorText(err));
    }
    return asr_error(ASR_ERR_IO, "cannot %s audio device \"%s\": %s", doing, c->name,
                     Pa_GetErrorText(err));
}

/* Runs on PortAudio's thread: no locks, no allocation, no waiting. */
static int on_audio(const void *input, void *output, unsigned long n_frames,
                    const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags, void *arg) {
    (void)output, (void)time;
    asr_capture *c = arg;
    if (flags & paInputOverflow)
        atomic_fetch_add_explicit(&c->device_overflows, 1, memory_order_relaxed);
    uint64_t done = atomic_load_explicit(&c->frames, memory_order_relaxed);
    size_t take = n_frames;
    int last = 0;
    if (c->max_frames && done + take >= c->max_frames) {
        take = (size_t)(c->max_frames - done);
        last = 1;
    }
    const float *in = input;
    if (in && c->channels == 1) {
        asr_ring_write(c->ring, in, take);
    } else if (in) {
        for (size_t at = 0; at < take; at += MIX_FRAMES) {
            size_t m = take - at < MIX_FRAMES ? take - at : MIX_FRAMES;
            for (size_t i = 0; i < m; i++) {
                float sum = 0;
                for (int ch = 0; ch < c->channels; ch++)
                    sum += in[(at + i) * (size_t)c->channels + (size_t)ch];
                c->mix[i] = sum / (float)c->channels;
            }
            asr_ring_write(c->ring, c->mix, m);
        }
    }
    atomic_store_explicit(&c->frames, done + take, memory_order_relaxed);
    if (last) {
        atomic_store(&c->completed, 1);
        asr_ring_close(c->ring);
        return paComplete;
    }
    if (c->lose_after && done + take >= c->lose_after) return paAbort;
    return paContinue;
}

/* PortAudio calls this once the stream has become inactive, for whatever
 * reason: telling "we stopped it" from "it stopped" is how a lost device is
 * noticed. */
static void on_finished(void *arg) {
    asr_capture *c = arg;
    if (!atomic_load(&c->completed) && !atomic_load(&c->stop_requested)) atomic_store(&c->lost, 1);
    asr_ring_close(c->ring);
}

asr_capture *asr_capture_open(const asr_capture_config *config, asr_ring *ring) {
    const PaDeviceInfo *info = Pa_GetDeviceInfo(config->device);
    if (!info || info->maxInputChannels < 1)
        return asr_error_null(ASR_ERR_ARG, "there is no input device %d", config->device);
    asr_capture *c = calloc(1, sizeof *c);
    if (!c) return asr_error_null(ASR_ERR_NOMEM, "out of memory");
    snprintf(c->name, sizeof c->name, "%s", info->name ? info->name : "?");
    c->ring = ring;
    c->default_rate = info->defaultSampleRate;
    c->max_frames = config->max_frames;
    c->rate = config->sample_rate > 0 ? config->sample_rate : (int)lround(info->defaultSampleRate);
    c->lose_after = (uint64_t)config->lose_after_ms * (uint64_t)c->rate / 1000;
    if (c->rate < 1) c->rate = 48000; /* a driver that does not say */

    PaStreamParameters in = {
        .device = config->device,
        .channelCount = 1,
        .sampleFormat = paFloat32,
        .suggestedLatency = info->defaultHighInputLatency,
    };
    int saved = quiet_begin();
    PaError err = Pa_IsFormatSupported(&in, NULL, c->rate);
    /* Some hardware only does stereo; the callback then mixes. */
    if (err == paInvalidChannelCount && info->maxInputChannels >= 2) {
        in.channelCount = 2;
        err = Pa_IsFormatSupported(&in, NULL, c->rate);
    }
    c->channels = in.channelCount;
    if (err == paNoError)
        err = Pa_OpenStream(&c->stream, &in, NULL, c->rate, paFramesPerBufferUnspecified, paNoFlag,
                            on_audio, c);
    quiet_end(saved);
    if (err != paNoError) {
        device_error(err, "open", c);
        free(c);
        return NULL;
    }
    Pa_SetStreamFinishedCallback(c->stream, on_finished);
    return c;
}

int asr_capture_rate(const asr_capture *c) {
    return c->rate;
}

int asr_capture_channels(const asr_capture *c) {
    return c->channels;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

asr_status asr_capture_start(asr_capture *c) {
    int saved = quiet_begin();
    PaError err = Pa_StartStream(c->stream);
    quiet_end(saved);
    if (err != paNoError) return device_error(err, "start", c);
    c->started = 1;
    c->seen_at = now_seconds();
    return ASR_OK;
}

void asr_capture_stop(asr_capture *c) {
    if (!c || !c->stream) return;
    atomic_store(&c->stop_requested, 1);
    if (c->started && Pa_IsStreamStopped(c->stream) == 0) Pa_StopStream(c->stream);
    asr_ring_close(c->ring);
}

void asr_capture_close(asr_capture *c) {
    if (!c) return;
    asr_capture_stop(c);
    Pa_CloseStream(c->stream);
    free(c);
}

asr_capture_state asr_capture_poll(asr_capture *c) {
    if (atomic_load(&c->lost)) return ASR_CAPTURE_LOST;
    if (atomic_load(&c->completed) || atomic_load(&c->stop_requested)) return ASR_CAPTURE_ENDED;
    /* Should the finished callback not come, an inactive stream tells too. */
    if (c->started && Pa_IsStreamActive(c->stream) == 0) {
        if (atomic_load(&c->completed)) return ASR_CAPTURE_ENDED;
        atomic_store(&c->lost, 1);
    } else {
        uint64_t frames = asr_capture_frames(c);
        double t = now_seconds();
        if (frames != c->seen_frames) {
            c->seen_frames = frames;
            c->seen_at = t;
        } else if (t - c->seen_at > WATCHDOG_SECONDS) {
            atomic_store(&c->lost, 1);
        }
    }
    if (!atomic_load(&c->lost)) return ASR_CAPTURE_RUNNING;
    asr_ring_close(c->ring);
    return ASR_CAPTURE_LOST;
}

uint64_t asr_capture_frames(const asr_capture *c) {
    return atomic_load_explicit(&c->frames, memory_order_relaxed);
}

uint64_t asr_capture_device_overflows(const asr_capture *c) {
    return atomic_load_explicit(&c->device_overflows, memory_order_relaxed);
}
