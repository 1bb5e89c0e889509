/* libFuzzer target for sentiment_score: arbitrary bytes as a customer message. The scores stay
 * in range (compound in [-1, 1], proportions summing to 1 or all 0), distress and its cue agree,
 * scoring is deterministic, and the trend stays between its inputs. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "bot/sentiment.h"

static void must(int ok)
{
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sentiment s, again;
    sentiment_score((const char *)data, size, &s);
    must(isfinite(s.compound) && s.compound >= -1.0 && s.compound <= 1.0);
    must(s.pos >= 0 && s.neu >= 0 && s.neg >= 0);
    double sum = s.pos + s.neu + s.neg;
    must(sum == 0 || fabs(sum - 1.0) < 1e-9);
    must(s.distress == (s.distress_cue != NULL));
    sentiment_score((const char *)data, size, &again);
    must(again.compound == s.compound && again.distress_cue == s.distress_cue);
    double t = sentiment_trend(0.2, s.compound);
    must(t >= fmin(0.2, s.compound) - 1e-12 && t <= fmax(0.2, s.compound) + 1e-12);
    return 0;
}
