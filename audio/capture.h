/* Microphone capture through PortAudio into a lock-free ring buffer.
 *
 * The PortAudio callback only copies samples (mixing channels to mono when
 * a device insists on more than one) into an asr_ring; what does not fit is
 * dropped and counted there, never waited for. Everything else (choosing
 * the device, recognizing) happens on the caller's threads. Errors come back
 * as asr_status with a message in asr_last_error(); nothing is printed. */
#ifndef ASR_CAPTURE_H
#define ASR_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "asr.h"
#include "ring_buffer.h"

/* Starts PortAudio. ALSA's and JACK's messages about devices that are not
 * there (they print a lot of them while devices are enumerated) are
 * silenced unless verbose is set. Pair with asr_capture_terminate(). */
asr_status asr_capture_init(int verbose);
void asr_capture_terminate(void);

typedef struct {
    int index;            /* what asr_capture_find() and --device take */
    const char *name;     /* owned by PortAudio until asr_capture_terminate() */
    const char *host_api; /* "ALSA", "JACK Audio Connection Kit", "OSS" ... */
    int max_channels;     /* input channels */
    double default_rate;  /* the device's own rate */
    int is_default;       /* the system's default input */
} asr_capture_device;

/* Number of devices, inputs or not; indices run from 0 to count - 1. */
int asr_capture_device_count(void);
/* Fills *out and returns 1 when device index exists and has inputs. */
int asr_capture_device_get(int index, asr_capture_device *out);

/* Picks an input device: spec NULL is the default input (else the first
 * input there is), digits are an index, anything else a case-insensitive
 * part of a name (an exact name wins; several matches are an error).
 * ASR_ERR_IO when there is no input device at all, ASR_ERR_ARG when spec
 * matches none or several. */
asr_status asr_capture_find(const char *spec, int *index);

typedef struct {
    int device;
    int sample_rate;   /* 0: the device's own rate (resampling happens later) */
    size_t max_frames; /* stop after this many frames; 0: run until stopped */
    int lose_after_ms; /* test hook: abort after this much audio, as an
                          unplugged device would; 0: off */
} asr_capture_config;

typedef struct asr_capture asr_capture;

/* Opens the device; samples will go to ring, which must outlive the
 * capture. ASR_ERR_IO: busy or failing device; ASR_ERR_UNSUPPORTED: a rate
 * the device refuses. */
asr_capture *asr_capture_open(const asr_capture_config *config, asr_ring *ring);
int asr_capture_rate(const asr_capture *c);
int asr_capture_channels(const asr_capture *c);
asr_status asr_capture_start(asr_capture *c);
/* Stops capturing (waiting for the callback to return) and closes the ring. */
void asr_capture_stop(asr_capture *c);
/* Stops if needed and frees; accepts NULL. */
void asr_capture_close(asr_capture *c);

typedef enum {
    ASR_CAPTURE_RUNNING,
    ASR_CAPTURE_ENDED, /* max_frames reached or asr_capture_stop() called */
    ASR_CAPTURE_LOST   /* the device stopped on its own (unplugged, failed) or
                          delivered nothing for several seconds */
} asr_capture_state;

/* Checks on the device; call every few tens of milliseconds. LOST closes
 * the ring, so that the reader drains what was heard and stops. */
asr_capture_state asr_capture_poll(asr_capture *c);
/* Frames taken so far, and overflows the driver reported (samples lost
 * before they reached the callback). */
uint64_t asr_capture_frames(const asr_capture *c);
uint64_t asr_capture_device_overflows(const asr_capture *c);

#endif
