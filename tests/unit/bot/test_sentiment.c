/* Unit tests for src/bot/sentiment.c: the VADER rules (lexicon from the npm package, negation,
 * boosters and dampeners, ALL-CAPS emphasis, "but", punctuation, normalisation), the published
 * VADER reference scores, distress cues on normalised text, bounds and the trend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bot/sentiment.h"

static double compound(const char *text)
{
    struct sentiment s;
    sentiment_score(text, strlen(text), &s);
    return s.compound;
}

static const char *cue(const char *text)
{
    struct sentiment s;
    sentiment_score(text, strlen(text), &s);
    assert_true(s.distress == (s.distress_cue != NULL));
    return s.distress_cue;
}

static void lexicon_comes_from_the_package(void **state)
{
    (void)state;
    /* values of vader_lexicon.txt as published */
    assert_true(fabs(sentiment_word_valence("good") - 1.9) < 1e-6);
    assert_true(fabs(sentiment_word_valence("sad") - (-2.1)) < 1e-6);
    assert_true(fabs(sentiment_word_valence(":)") - 2.0) < 1e-6);
    assert_true(sentiment_word_valence("meter") == 0.0);
    assert_true(sentiment_word_valence("overcharged") < -1.0); /* our domain table */
}

/* Scores VADER's own README gives for its examples (to 4 places). */
static void matches_vader_reference_scores(void **state)
{
    (void)state;
    struct {
        const char *text;
        double compound;
    } ref[] = {
        {"VADER is smart, handsome, and funny.", 0.8316},
        {"VADER is smart, handsome, and funny!", 0.8439},
        {"VADER is very smart, handsome, and funny.", 0.8545},
        {"VADER is VERY SMART, handsome, and FUNNY.", 0.9227},
        {"VADER is not smart, handsome, nor funny.", -0.7424},
        {"The book was good.", 0.4404},
        {"The book was kind of good.", 0.3832},
        {"The plot was good, but the characters are uncompelling and the dialog is not great.",
         -0.7042},
        {"At least it isn't a horrible book.", 0.431},
        {"Today SUX!", -0.5461},
    };
    for (size_t i = 0; i < sizeof(ref) / sizeof(ref[0]); i++) {
        double c = compound(ref[i].text);
        if (fabs(c - ref[i].compound) > 0.0001)
            fail_msg("'%s': %.4f, VADER says %.4f", ref[i].text, c, ref[i].compound);
    }
}

static void negation_flips_and_dampens(void **state)
{
    (void)state;
    double good = compound("the adviser was helpful");
    double not_good = compound("the adviser was not helpful");
    double never = compound("the adviser was never helpful");
    double contraction = compound("the adviser wasn't helpful");
    double curly = compound("the adviser wasn\xE2\x80\x99t helpful");
    assert_true(good > 0.05);
    assert_true(not_good < -0.05);
    assert_true(never < -0.05);
    assert_true(contraction < -0.05);
    assert_true(fabs(curly - contraction) < 1e-9); /* a curly apostrophe is an apostrophe */
    assert_true(fabs(not_good) < fabs(good));      /* N_SCALAR -0.74 */
    assert_true(compound("no problem at all, thanks") > 0.05);
}

static void boosters_and_dampeners(void **state)
{
    (void)state;
    double plain = compound("the service was bad");
    double very = compound("the service was very bad");
    double slightly = compound("the service was slightly bad");
    assert_true(very < plain);
    assert_true(slightly > plain);
    assert_true(slightly < 0);
    assert_true(compound("extremely happy with the engineer") >
                compound("happy with the engineer"));
}

static void capitals_and_exclamations_add_emphasis(void **state)
{
    (void)state;
    double calm = compound("this is terrible");
    double shout = compound("this is TERRIBLE");
    double bang = compound("this is terrible!!!");
    assert_true(shout < calm);
    assert_true(bang < calm);
    /* all capitals everywhere is not emphasis (nothing to differ from) */
    assert_true(fabs(compound("THIS IS TERRIBLE") - calm) < 1e-9);
    /* more than four exclamation marks add nothing more */
    assert_true(fabs(compound("terrible!!!!") - compound("terrible!!!!!!!!")) < 1e-9);
}

static void but_shifts_the_weight(void **state)
{
    (void)state;
    /* what follows "but" counts more: a positive opening with a negative ending is negative */
    assert_true(compound("the engineer was lovely but my bill is still wrong") < 0);
    assert_true(compound("my bill was wrong but the adviser fixed it brilliantly") > 0);
}

static void range_and_neutral(void **state)
{
    (void)state;
    struct sentiment s;
    sentiment_score("", 0, &s);
    assert_true(s.compound == 0 && s.pos == 0 && s.neu == 0 && s.neg == 0 && !s.distress);
    sentiment_score(NULL, 10, &s);
    assert_true(s.compound == 0);
    sentiment_score("my meter reading is 12345", 25, &s);
    assert_true(s.compound == 0 && fabs(s.neu - 1.0) < 1e-9);
    assert_string_equal(sentiment_label(s.compound), "neutral");
    assert_string_equal(sentiment_label(0.05), "positive");
    assert_string_equal(sentiment_label(-0.05), "negative");
    sentiment_score("awful awful awful awful awful awful awful awful awful awful!!!!", 63, &s);
    assert_true(s.compound >= -1.0 && s.compound < -0.95);
    assert_true(fabs(s.pos + s.neu + s.neg - 1.0) < 1e-9);
}

static void distress_cues_on_normalised_text(void **state)
{
    (void)state;
    assert_string_equal(cue("I CAN'T COPE with this any more"), "cannot_cope");
    assert_string_equal(cue("i cant cope"), "cannot_cope");
    assert_string_equal(cue("I can\xE2\x80\x99t cope"), "cannot_cope");
    assert_string_equal(cue("I'm at the end of my tether."), "cannot_cope");
    assert_string_equal(cue("I'm desperate, please"), "desperate");
    assert_string_equal(cue("There's no money for food until Friday"), "financial_hardship");
    assert_string_equal(cue("My mum passed away last week"), "bereavement");
    assert_string_equal(cue("my husband died in March"), "bereavement");
    assert_string_equal(cue("the funeral is on Tuesday"), "bereavement");
    assert_string_equal(cue("some days I want to end it all"), "self_harm");
    /* the most severe cue wins */
    assert_string_equal(cue("since my wife passed away I can't cope"), "bereavement");
    assert_string_equal(cue("I can't cope, I want to kill myself"), "self_harm");
    /* whole words only, and the exclusions */
    assert_null(cue("the studied approach"));
    assert_null(cue("my phone battery died"));
    assert_null(cue("I can cope with a small increase"));
    assert_null(cue("please send me my bill"));
}

static void long_input_is_bounded(void **state)
{
    (void)state;
    size_t n = SENTIMENT_MAX_BYTES * 4;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    for (size_t i = 0; i + 5 <= n; i += 5) memcpy(big + i, "bad! ", 5);
    big[n] = '\0';
    struct sentiment s;
    sentiment_score(big, n, &s);
    assert_true(s.compound < -0.9);
    /* a cue after the first SENTIMENT_MAX_BYTES bytes is not read */
    memcpy(big + n - 20, " passed away       ", 19);
    sentiment_score(big, n, &s);
    assert_null(s.distress_cue);
    /* one enormous word */
    memset(big, 'x', n);
    sentiment_score(big, n, &s);
    assert_true(s.compound == 0);
    free(big);
}

static void trend_moves_towards_new_scores(void **state)
{
    (void)state;
    double t = 0;
    t = sentiment_trend(t, -0.8);
    assert_true(fabs(t - (-0.4)) < 1e-9);
    t = sentiment_trend(t, -0.8);
    assert_true(fabs(t - (-0.6)) < 1e-9);
    t = sentiment_trend(t, 0.6);
    assert_true(fabs(t - 0.0) < 1e-9);
    assert_true(sentiment_trend(0.3, NAN) == 0.3);
    assert_true(sentiment_trend(NAN, 0.5) == 0.25);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lexicon_comes_from_the_package),
        cmocka_unit_test(matches_vader_reference_scores),
        cmocka_unit_test(negation_flips_and_dampens),
        cmocka_unit_test(boosters_and_dampeners),
        cmocka_unit_test(capitals_and_exclamations_add_emphasis),
        cmocka_unit_test(but_shifts_the_weight),
        cmocka_unit_test(range_and_neutral),
        cmocka_unit_test(distress_cues_on_normalised_text),
        cmocka_unit_test(long_input_is_bounded),
        cmocka_unit_test(trend_moves_towards_new_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
