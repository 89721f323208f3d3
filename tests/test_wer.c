/* Error counting of `asr eval` on cases worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "wer.h"

static void normalises_like_the_references(void **state) {
    (void)state;
    char *s = wer_normalise("  Hello, WORLD!  It's  2 o'clock-ish ");
    assert_string_equal(s, "hello world it's o'clock ish");
    free(s);
    s = wer_normalise("");
    assert_string_equal(s, "");
    free(s);
}

static void counts_word_edits(void **state) {
    (void)state;
    edit_counts e = wer_count_words("the cat sat on the mat", "the cat sat on mat");
    assert_int_equal(e.deletions, 1);
    assert_int_equal(e.substitutions + e.insertions, 0);
    assert_int_equal(e.ref_len, 6);
    e = wer_count_words("a b c", "a x c d");
    assert_int_equal(e.substitutions, 1);
    assert_int_equal(e.insertions, 1);
    assert_int_equal(e.deletions, 0);
    e = wer_count_words("one two", "");
    assert_int_equal(e.deletions, 2);
    e = wer_count_words("", "extra words");
    assert_int_equal(e.insertions, 2);
    assert_int_equal(e.ref_len, 0);
    e = wer_count_words("same words here", "same words here");
    assert_int_equal(e.substitutions + e.deletions + e.insertions, 0);
}

static void counts_character_edits(void **state) {
    (void)state;
    edit_counts e = wer_count_chars("kitten", "sitting"); /* the textbook 3 */
    assert_int_equal(e.substitutions + e.deletions + e.insertions, 3);
    assert_int_equal(e.ref_len, 6);
    e = wer_count_chars("ab cd", "abcd");
    assert_int_equal(e.deletions, 1);
    assert_int_equal(e.ref_len, 5);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalises_like_the_references),
        cmocka_unit_test(counts_word_edits),
        cmocka_unit_test(counts_character_edits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
