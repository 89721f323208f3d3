/* asr serve's text messages (cli/serve_protocol.c): what a config gives,
 * and the reasons a bad one is refused with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "serve.h"

static serve_message_kind parse(const char *text, serve_config *c, char *error) {
    memset(c, 0, sizeof *c);
    error[0] = '\0';
    return serve_parse_message(text, strlen(text), c, error, 256);
}

/* Refused, with a reason that contains `why`. */
static void refused(const char *text, const char *why) {
    serve_config c;
    char error[256];
    assert_int_equal(parse(text, &c, error), MSG_BAD);
    if (!strstr(error, why)) fail_msg("%s: \"%s\" lacks \"%s\"", text, error, why);
    assert_null(c.words);
    assert_null(c.hotwords);
}

static void test_full_config(void **state) {
    (void)state;
    serve_config c;
    char error[256];
    assert_int_equal(parse("{\"config\": {\"sample_rate\": 44100, \"format\": \"f32le\", "
                           "\"partials\": false, \"words\": [\"Yes\", \"no\"], "
                           "\"hotwords\": [\"kubernetes:8\", \"asr\", {\"word\": \"Ogg\", "
                           "\"boost\": -2.5}]}}",
                           &c, error),
                     MSG_CONFIG);
    assert_int_equal(c.sample_rate, 44100);
    assert_int_equal(c.format, SAMPLE_F32LE);
    assert_int_equal(c.partials, 0);
    assert_int_equal(c.n_words, 2);
    assert_string_equal(c.words[0], "yes");
    assert_int_equal(c.n_hotwords, 3);
    assert_string_equal(c.hotwords[0].word, "kubernetes");
    assert_float_equal(c.hotwords[0].boost, 8.0f, 1e-6f);
    assert_float_equal(c.hotwords[1].boost, 5.0f, 1e-6f); /* the default boost */
    assert_string_equal(c.hotwords[2].word, "ogg");
    assert_float_equal(c.hotwords[2].boost, -2.5f, 1e-6f);
    serve_config_free(&c);
}

static void test_defaults_and_eof(void **state) {
    (void)state;
    serve_config c;
    char error[256];
    assert_int_equal(parse("{\"config\": {}}", &c, error), MSG_CONFIG);
    assert_int_equal(c.sample_rate, 16000);
    assert_int_equal(c.format, SAMPLE_S16LE);
    assert_int_equal(c.partials, 1);
    serve_config_free(&c);
    assert_int_equal(parse("{\"eof\": 1}", &c, error), MSG_EOF);
}

static void test_refusals(void **state) {
    (void)state;
    refused("{\"config\": ", "not valid JSON");
    refused("[1, 2]", "expected {\"config\"");
    refused("{\"config\": {}, \"eof\": 1}", "expected {\"config\"");
    refused("{\"hello\": 1}", "unknown message \"hello\"");
    refused("{\"config\": 5}", "must be an object");
    refused("{\"config\": {\"colour\": 1}}", "unknown field \"colour\"");
    refused("{\"config\": {\"sample_rate\": 999}}", "sample_rate");
    refused("{\"config\": {\"sample_rate\": 16000.5}}", "whole number");
    refused("{\"config\": {\"format\": \"mp3\"}}", "\"format\" must be");
    refused("{\"config\": {\"partials\": 1}}", "boolean");
    refused("{\"config\": {\"words\": []}}", "empty list");
    refused("{\"config\": {\"words\": [\"a\", 3]}}", "non-empty strings");
    refused("{\"config\": {\"words\": [\"a\"], \"phrase_list\": [\"b\"]}}",
            "give \"words\" or \"phrase_list\"");
    refused("{\"config\": {\"hotwords\": [\"a:b\"]}}", "boost is not a number");
    refused("{\"config\": {\"hotwords\": [\"two words\"]}}", "one word");
    refused("{\"config\": {\"hotwords\": [\"a:1000\"]}}", "+-100");
    refused("{\"config\": {\"hotwords\": [{\"boost\": 2}]}}", "needs \"word\"");
    refused("{\"config\": {\"hotwords\": [{\"word\": \"a\", \"colour\": 2}]}}", "\"colour\"");
    refused("{\"config\": {\"hotwords\": [7]}}", "strings or objects");
}

/* Found by tests/fuzz/fuzz_serve_message.c: a second "hotwords" list was
 * counted on into the first one's array, past its end. */
static void test_hotwords_twice(void **state) {
    (void)state;
    refused("{\"config\": {\"hotwords\": [\"a\", \"b\", \"c\"], \"hotwords\": [\"d\"]}}",
            "\"hotwords\" given twice");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_defaults_and_eof),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_hotwords_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
