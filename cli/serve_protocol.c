/* asr serve: the client's text messages (a config, the end of the audio)
 * parsed with cJSON, and the server's small fixed messages. Strict: an
 * unknown field is an error, so that a typo is not silently ignored. */
#include <cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio.h"
#include "serve.h"

#define DEFAULT_HOTWORD_BOOST 5.0f

static int fail(char *error, size_t size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error, size, fmt, ap);
    va_end(ap);
    return 0;
}

static char *lower_dup(const char *s) {
    char *d = strdup(s);
    for (char *p = d; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static int parse_words(const cJSON *v, serve_config *c, char *error, size_t size) {
    int n = cJSON_GetArraySize(v);
    if (n == 0) return fail(error, size, "config: \"words\" is an empty list");
    c->words = calloc((size_t)n, sizeof *c->words);
    if (!c->words) return fail(error, size, "out of memory");
    const cJSON *w;
    cJSON_ArrayForEach(w, v) {
        if (!cJSON_IsString(w) || !*w->valuestring)
            return fail(error, size, "config: \"words\" must hold non-empty strings");
        if (!(c->words[c->n_words++] = lower_dup(w->valuestring)))
            return fail(error, size, "out of memory");
    }
    return 1;
}

/* A hotword is "word", "word:boost" or {"word": "...", "boost": B}. */
static int parse_hotword(const cJSON *h, asr_hotword *out, char *error, size_t size) {
    const char *word = NULL;
    double boost = DEFAULT_HOTWORD_BOOST;
    char *colon = NULL, *text = NULL;
    if (cJSON_IsString(h)) {
        text = lower_dup(h->valuestring);
        if (!text) return fail(error, size, "out of memory");
        colon = strrchr(text, ':');
        if (colon) {
            char *end;
            *colon = '\0';
            boost = strtod(colon + 1, &end);
            if (end == colon + 1 || *end) {
                free(text);
                return fail(error, size, "config: hotword '%s': boost is not a number",
                            h->valuestring);
            }
        }
        word = text;
    } else if (cJSON_IsObject(h)) {
        const cJSON *f;
        cJSON_ArrayForEach(f, h) {
            if (!strcmp(f->string, "word") && cJSON_IsString(f))
                word = f->valuestring;
            else if (!strcmp(f->string, "boost") && cJSON_IsNumber(f))
                boost = f->valuedouble;
            else
                return fail(error, size, "config: hotword field \"%s\" is unknown or not %s",
                            f->string, !strcmp(f->string, "boost") ? "a number" : "a string");
        }
        if (!word) return fail(error, size, "config: a hotword object needs \"word\"");
        text = lower_dup(word);
        if (!text) return fail(error, size, "out of memory");
        word = text;
    } else {
        return fail(error, size, "config: \"hotwords\" must hold strings or objects");
    }
    if (!*word || strchr(word, ' ') || !isfinite(boost) || fabs(boost) > 100) {
        free(text);
        return fail(error, size, "config: a hotword must be one word with a boost within +-100");
    }
    *out = (asr_hotword){text, (float)boost};
    return 1;
}

static int parse_hotwords(const cJSON *v, serve_config *c, char *error, size_t size) {
    int n = cJSON_GetArraySize(v);
    c->hotwords = calloc((size_t)n + 1, sizeof *c->hotwords);
    if (!c->hotwords) return fail(error, size, "out of memory");
    const cJSON *h;
    cJSON_ArrayForEach(h, v) {
        if (!parse_hotword(h, &c->hotwords[c->n_hotwords], error, size)) return 0;
        c->n_hotwords++;
    }
    return 1;
}

static int parse_config(const cJSON *cfg, serve_config *c, char *error, size_t size) {
    *c = (serve_config){.sample_rate = 16000, .format = SAMPLE_S16LE, .partials = 1};
    if (!cJSON_IsObject(cfg)) return fail(error, size, "\"config\" must be an object");
    const cJSON *f;
    cJSON_ArrayForEach(f, cfg) {
        const char *k = f->string;
        if (!strcmp(k, "sample_rate")) {
            double r = cJSON_IsNumber(f) ? f->valuedouble : -1;
            if (!(r >= ASR_MIN_RATE && r <= ASR_MAX_RATE && r == floor(r)))
                return fail(error, size,
                            "config: \"sample_rate\" must be a whole number of Hz from %d to %d",
                            ASR_MIN_RATE, ASR_MAX_RATE);
            c->sample_rate = (int)r;
        } else if (!strcmp(k, "format")) {
            if (cJSON_IsString(f) && !strcmp(f->valuestring, "s16le"))
                c->format = SAMPLE_S16LE;
            else if (cJSON_IsString(f) && !strcmp(f->valuestring, "f32le"))
                c->format = SAMPLE_F32LE;
            else
                return fail(error, size, "config: \"format\" must be \"s16le\" or \"f32le\"");
        } else if (!strcmp(k, "partials")) {
            if (!cJSON_IsBool(f))
                return fail(error, size, "config: \"partials\" must be a boolean");
            c->partials = cJSON_IsTrue(f);
        } else if (!strcmp(k, "words") && cJSON_IsBool(f)) {
            /* Vosk's switch for word times: they are always sent here. */
        } else if (!strcmp(k, "words") || !strcmp(k, "phrase_list")) {
            if (!cJSON_IsArray(f))
                return fail(error, size, "config: \"%s\" must be a list of words", k);
            if (c->words) return fail(error, size, "config: give \"words\" or \"phrase_list\"");
            if (!parse_words(f, c, error, size)) return 0;
        } else if (!strcmp(k, "hotwords")) {
            if (!cJSON_IsArray(f)) return fail(error, size, "config: \"hotwords\" must be a list");
            /* A second list would be counted into the first one's array. */
            if (c->hotwords) return fail(error, size, "config: \"hotwords\" given twice");
            if (!parse_hotwords(f, c, error, size)) return 0;
        } else {
            return fail(error, size, "config: unknown field \"%.40s\"", k);
        }
    }
    return 1;
}

serve_message_kind serve_parse_message(const char *text, size_t len, serve_config *config,
                                       char *error, size_t size) {
    cJSON *j = cJSON_ParseWithLength(text, len);
    serve_message_kind kind = MSG_BAD;
    if (!j) {
        const char *at = cJSON_GetErrorPtr();
        fail(error, size, "not valid JSON (at byte %ld)", at ? (long)(at - text) : 0L);
    } else if (!cJSON_IsObject(j) || cJSON_GetArraySize(j) != 1) {
        fail(error, size, "expected {\"config\": {...}} or {\"eof\": 1}");
    } else if (!strcmp(j->child->string, "config")) {
        if (parse_config(j->child, config, error, size))
            kind = MSG_CONFIG;
        else
            serve_config_free(config);
    } else if (!strcmp(j->child->string, "eof")) {
        kind = MSG_EOF;
    } else {
        fail(error, size, "unknown message \"%.40s\": expected \"config\" or \"eof\"",
             j->child->string);
    }
    cJSON_Delete(j);
    return kind;
}

void serve_config_free(serve_config *c) {
    for (size_t i = 0; i < c->n_words; i++)
        free(c->words[i]);
    free(c->words);
    for (size_t i = 0; i < c->n_hotwords; i++)
        free((char *)c->hotwords[i].word);
    free(c->hotwords);
    *c = (serve_config){0};
}

static char *print_and_free(cJSON *j) {
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    return s;
}

char *serve_json_error(const char *message) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "error");
    cJSON_AddStringToObject(j, "error", message);
    return print_and_free(j);
}

char *serve_json_ready(int sample_rate, const char *format) {
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "type", "ready");
    cJSON_AddNumberToObject(j, "sample_rate", sample_rate);
    cJSON_AddStringToObject(j, "format", format);
    return print_and_free(j);
}
