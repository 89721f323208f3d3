/* Transcribing many files on a few threads that share one model. */
#ifndef ASR_CLI_BATCH_H
#define ASR_CLI_BATCH_H

#include "asr.h"

typedef struct {
    const char *path;
    char *text;  /* the transcript, NULL when the file failed */
    char *json;  /* json_result() of it when asked for, else NULL */
    char *error; /* "path: problem" when the file failed */
    double audio_seconds;
} batch_item;

typedef struct {
    const asr_model *model;
    asr_stream_params params;
    int threads;  /* files at a time */
    int pcm_rate; /* rate of raw PCM read from "-" */
    int json;     /* fill batch_item.json */
    /* Called on the calling thread, in the order of the paths, as soon as
     * each file is done; the item is freed after it returns. */
    void (*on_done)(const batch_item *item, int index, void *ctx);
    void *ctx;
} batch_options;

void batch_run(const batch_options *opt, char **paths, int n_paths);

#endif
