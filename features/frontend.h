/* Kaldi-compatible MFCC front end (the public part is in asr.h).
 * Not named features.h: with -Ifeatures that would shadow glibc's
 * <features.h>, which every libc header includes. */
#ifndef ASR_FRONTEND_H
#define ASR_FRONTEND_H

#include "asr.h"

/* Per-frame MFCC computer: fixed tables (window, mel bank, DCT, lifter)
 * built once from a config. */
typedef struct asr_mfcc asr_mfcc;

/* Uses the MFCC fields of config; NULL (asr_last_error set) if they are bad. */
asr_mfcc *asr_mfcc_new(const asr_feature_config *config);
void asr_mfcc_free(asr_mfcc *m);
int asr_mfcc_frame_length(const asr_mfcc *m); /* samples per frame */
int asr_mfcc_frame_shift(const asr_mfcc *m);  /* samples between frames */
/* One frame of frame_length samples on the int16 scale (Kaldi's) ->
 * num_ceps coefficients. */
void asr_mfcc_compute(asr_mfcc *m, const float *frame, float *ceps);

/* Extractor calls beyond the public ones, for the stream. */
/* Forgets all audio and state so that a new utterance can start; the
 * config (and CMVN prior) stays. */
void asr_feature_extractor_reset(asr_feature_extractor *fe);
/* Steps ready to be read. */
size_t asr_feature_extractor_available(const asr_feature_extractor *fe);

#endif
