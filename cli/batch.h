/* Transcribing many files on a few threads that share one model. Each file
 * is read block by block, resampled as it comes, cut into utterances
 * (cli/segmenter.h) and each utterance decoded: memory does not grow with
 * the length of a file. */
#ifndef ASR_CLI_BATCH_H
#define ASR_CLI_BATCH_H

#include "asr.h"
#include "audio.h"
#include "transcript.h"

typedef struct {
    const char *path;
    transcript t; /* the utterances, when the file was read */
    char *text;   /* all words joined, NULL when the file failed */
    char *error;  /* "path: problem" when the file failed */
    double audio_seconds;
} batch_item;

typedef struct {
    const asr_model *model;
    asr_stream_params params; /* endpoint_* also set the segments' pauses and length */
    /* The model whose endpoints cut the segments: unidirectional; NULL cuts
     * every params.endpoint_max_utterance_ms. */
    const asr_model *detector;
    int threads; /* files at a time */
    /* Raw PCM read from "-": */
    asr_pcm_format pcm_format;
    int pcm_rate, pcm_channels;
    int progress; /* a progress line on stderr when it is a terminal */
    /* Called on the calling thread, in the order of the paths, as soon as
     * each file is done; the item is freed after it returns. */
    void (*on_done)(const batch_item *item, int index, void *ctx);
    void *ctx;
} batch_options;

void batch_run(const batch_options *opt, char **paths, int n_paths);

/* Sets o->detector for o->model: the model itself when it is streaming,
 * else the streaming model at path (--segment-model), else
 * $ASR_SEGMENT_MODEL or en-lstm.gguf found as data files are; *loaded is
 * what the caller frees. Without one, a warning, and fixed-length cuts.
 * 0 (after printing why) when path is given but unusable. */
int batch_find_detector(batch_options *o, const char *path, asr_model **loaded);

#endif
