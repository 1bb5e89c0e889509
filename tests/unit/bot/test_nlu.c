/* Unit tests for the NLU (src/bot/nlu_*.c): tokens, the CSV and Rasa readers with their line
 * numbers, training and prediction on a small set, the model format round trip and its
 * validation, and the out-of-scope threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/nlu.h"

/* ---- tokens ---------------------------------------------------------------------------------- */

/* The tokens of text as "a|b|c" (numbers marked with #). */
static const char *tokens_of(const char *text, char *out, size_t cap)
{
    char norm[512];
    struct nlu_token t[64];
    size_t n = nlu_tokenize(text, strlen(text), norm, t, 64);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s%.*s", i ? "|" : "", t[i].number ? "#" : "",
                              (int)t[i].len, norm + t[i].off);
    return out;
}

static void tokenizer_lowercases_splits_and_keeps_numbers(void **state)
{
    char buf[512];
    assert_string_equal(tokens_of("Why is my BILL so high?!", buf, sizeof(buf)),
                        "why|is|my|bill|so|high");
    assert_string_equal(tokens_of("I can't pay, don\xe2\x80\x99t cut me off", buf, sizeof(buf)),
                        "i|cant|pay|dont|cut|me|off");
    assert_string_equal(tokens_of("reading: 12873 at SW1A-1AA", buf, sizeof(buf)),
                        "reading|#12873|at|sw1a|1aa");
    /* Latin letters lower-cased and kept whole; other scripts kept; emoji split */
    assert_string_equal(tokens_of("CAF\xc3\x89 \xc5\x81\xc3\xb3"
                                  "d\xc5\xba \xce\x93\xce\xb5\xce\xb9\xce\xac "
                                  "ok\xf0\x9f\x98\x80yes",
                                  buf, sizeof(buf)),
                        "caf\xc3\xa9|\xc5\x82\xc3\xb3"
                        "d\xc5\xba|\xce\x93\xce\xb5\xce\xb9\xce\xac|ok|yes");
    /* invalid UTF-8 separates words and never leaks into a token */
    assert_string_equal(tokens_of("gas\xff\xfeleak \xc3", buf, sizeof(buf)), "gas|leak");
    assert_string_equal(tokens_of("", buf, sizeof(buf)), "");
    assert_string_equal(tokens_of("  ...  '' ", buf, sizeof(buf)), "");
}

static void tokenizer_respects_max_tokens(void **state)
{
    char norm[64];
    struct nlu_token t[2];
    const char *s = "one two three four";
    assert_int_equal(nlu_tokenize(s, strlen(s), norm, t, 2), 2);
    assert_memory_equal(norm + t[1].off, "two", 3);
}

/* ---- CSV ------------------------------------------------------------------------------------- */

static int parse_csv(const char *text, struct nlu_dataset *d, struct parley_err *err)
{
    nlu_dataset_init(d);
    return nlu_csv_parse("train.csv", text, strlen(text), d, err);
}

static void csv_reads_quotes_crlf_and_extra_columns(void **state)
{
    struct nlu_dataset d;
    struct parley_err err = {0};
    const char *csv = "\xEF\xBB\xBFid,Label,text\r\n"
                      "1,greeting,hello\r\n"
                      "\r\n"
                      "2,billing_question,\"why, oh why, is my \"\"bill\"\" so high\"\r\n"
                      "3,complaint,\"two\nlines\"\r\n"
                      "4,oos,  padded  \r\n";
    assert_int_equal(parse_csv(csv, &d, &err), 0);
    assert_int_equal(d.n, 4);
    assert_string_equal(d.items[0].text, "hello");
    assert_string_equal(d.items[0].label, "greeting");
    assert_int_equal(d.items[0].line, 2);
    assert_string_equal(d.items[1].text, "why, oh why, is my \"bill\" so high");
    assert_int_equal(d.items[1].line, 4);
    assert_string_equal(d.items[2].text, "two\nlines");
    assert_int_equal(d.items[3].line, 7); /* the quoted newline counts */
    assert_string_equal(d.items[3].text, "padded");
    nlu_dataset_free(&d);
}

/* A reader (nlu_csv_parse or nlu_rasa_parse) and inputs it must refuse with a message that
 * starts as expected ("FILE:LINE: what"). */
typedef int (*reader_fn)(const char *name, const char *buf, size_t len, struct nlu_dataset *d,
                         struct parley_err *err);
struct bad_case {
    const char *input, *expect;
};

static void expect_errors(reader_fn parse, const char *name, const struct bad_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct nlu_dataset d;
        nlu_dataset_init(&d);
        struct parley_err err = {0};
        assert_int_equal(parse(name, cases[i].input, strlen(cases[i].input), &d, &err),
                         PARLEY_EINVAL);
        if (strncmp(err.message, cases[i].expect, strlen(cases[i].expect)) != 0)
            fail_msg("case %zu: got '%s', want '%s…'", i, err.message, cases[i].expect);
        nlu_dataset_free(&d);
    }
}

/* Each bad file fails with "train.csv:LINE: …" naming the right line. */
static void csv_errors_name_the_line(void **state)
{
    static const struct bad_case cases[] = {
        {"", "train.csv:1: the file is empty"},
        {"words,label\nhi,greeting\n", "train.csv:1: the header must name"},
        {"text,label\nhi,greeting\nhello\n", "train.csv:3: 1 fields where the header has 2"},
        {"text,label\nhi,greeting\n\"never closed,greeting\n",
         "train.csv:3: a quoted field is never"},
        {"text,label\nhi,greeting\n\"a\"b,greeting\n", "train.csv:3: unexpected character after"},
        {"text,label\nsay \"hi\",greeting\n", "train.csv:2: a quote inside an unquoted field"},
        {"text,label\nhi,greeting\n,greeting\n", "train.csv:3: the text is empty"},
        {"text,label\nhi,bad label!\n", "train.csv:2: the label must be"},
        {"text,label\nhi,greeting\nbad \xc3\x28 utf8,greeting\n",
         "train.csv:3: the text is not valid UTF-8"},
        {"text,label\n\"a\nb\nc\",x\nok,y,z\n", "train.csv:5: 3 fields"},
    };
    expect_errors(nlu_csv_parse, "train.csv", cases, sizeof(cases) / sizeof(cases[0]));
}

static void csv_text_over_the_limit_is_refused(void **state)
{
    size_t n = NLU_MAX_TEXT + 1;
    char *csv = malloc(n + 64);
    int o = snprintf(csv, 64, "text,label\n");
    memset(csv + o, 'a', n);
    snprintf(csv + o + n, 64, ",greeting\n");
    struct nlu_dataset d;
    struct parley_err err = {0};
    assert_int_equal(parse_csv(csv, &d, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "train.csv:2:"));
    nlu_dataset_free(&d);
    free(csv);
}

/* ---- Rasa ------------------------------------------------------------------------------------ */

static void rasa_reads_intents_and_strips_entities(void **state)
{
    const char *yaml = "version: \"3.1\"\n"
                       "nlu:\n"
                       "- intent: power_cut\n"
                       "  examples: |\n"
                       "    - no power in [Leeds](city)\n"
                       "    - outage at [LS1 4AP]{\"entity\": \"postcode\"}\n"
                       "\n"
                       "    - lights are out [again]\n"
                       "- synonym: electricity\n"
                       "  examples: |\n"
                       "    - electric\n"
                       "- intent: greeting\n"
                       "  examples: |\n"
                       "    - hello\n";
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    struct parley_err err = {0};
    assert_int_equal(nlu_rasa_parse("nlu.yml", yaml, strlen(yaml), &d, &err), 0);
    assert_int_equal(d.n, 4);
    assert_string_equal(d.items[0].text, "no power in Leeds");
    assert_string_equal(d.items[0].label, "power_cut");
    assert_int_equal(d.items[0].line, 5);
    assert_string_equal(d.items[1].text, "outage at LS1 4AP");
    assert_string_equal(d.items[2].text, "lights are out [again]");
    assert_int_equal(d.items[2].line, 8);
    assert_string_equal(d.items[3].label, "greeting");
    nlu_dataset_free(&d);
}

static void rasa_errors_name_the_line(void **state)
{
    static const struct bad_case cases[] = {
        {"", "nlu.yml:1: the file is empty"},
        {"version: 3\n", "nlu.yml:1: there is no `nlu:` key"},
        {"nlu: hello\n", "nlu.yml:1: `nlu:` must be a list"},
        {"nlu:\n- intent: a b\n  examples: |\n    - x\n", "nlu.yml:2: the intent name"},
        {"nlu:\n- intent: ok\n  examples: |\n    - fine\n    not a list item\n",
         "nlu.yml:5: expected an example line"},
        {"nlu:\n- intent: ok\n  examples: [1, 2]\n", "nlu.yml:3: `examples` must be"},
        {"nlu:\n- intent: ok\n  examples: |\n   - x\n  - : [\n", "nlu.yml:"},
    };
    expect_errors(nlu_rasa_parse, "nlu.yml", cases, sizeof(cases) / sizeof(cases[0]));
}

/* ---- training and prediction ------------------------------------------------------------------
 */

static const char *const SMALL[][2] = {
    {"I can smell gas in the kitchen", "gas_leak"},
    {"there is a gas leak", "gas_leak"},
    {"gas smell near the meter", "gas_leak"},
    {"strong smell of gas upstairs", "gas_leak"},
    {"I think gas is leaking from the cooker", "gas_leak"},
    {"smells like gas outside", "gas_leak"},
    {"my power is off", "power_cut"},
    {"there is a power cut on my street", "power_cut"},
    {"no electricity in the house", "power_cut"},
    {"the lights have gone out", "power_cut"},
    {"power outage in my area", "power_cut"},
    {"electric has gone off", "power_cut"},
    {"what is my balance", "account_balance"},
    {"how much do I owe you", "account_balance"},
    {"am I in credit", "account_balance"},
    {"check my account balance", "account_balance"},
    {"how much is outstanding", "account_balance"},
    {"tell me my balance please", "account_balance"},
    {"what is the capital of France", "oos"},
    {"tell me a joke", "oos"},
    {"who won the football", "oos"},
    {"how do I bake bread", "oos"},
    {"what's the weather tomorrow", "oos"},
    {"recommend a film", "oos"},
};

static struct nlu_model *train_small(struct nlu_train_report *rep)
{
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    struct parley_err err = {0};
    for (size_t i = 0; i < sizeof(SMALL) / sizeof(SMALL[0]); i++)
        assert_int_equal(nlu_dataset_add(&d, SMALL[i][0], strlen(SMALL[i][0]), SMALL[i][1],
                                         strlen(SMALL[i][1]), 0, &err),
                         0);
    struct nlu_model *m = NULL;
    assert_int_equal(nlu_train(&d, NULL, &m, rep, &err), 0);
    nlu_dataset_free(&d);
    return m;
}

static void predict(const struct nlu_model *m, const char *text, struct nlu_result *r)
{
    assert_int_equal(nlu_predict(m, text, strlen(text), r), 0);
}

static void trains_and_predicts_a_small_set(void **state)
{
    struct nlu_train_report rep;
    struct nlu_model *m = train_small(&rep);
    assert_int_equal(rep.examples, 24);
    assert_int_equal(rep.labels, 4);
    assert_true(rep.features > 100);
    assert_int_equal(rep.validation, 4); /* a fifth of each label of six */
    assert_string_equal(nlu_model_language(m), "english");
    assert_int_equal(nlu_model_examples(m), 24);

    struct nlu_result r;
    predict(m, "I can smell gas!", &r);
    assert_string_equal(r.top[0].label, "gas_leak");
    assert_false(r.out_of_scope);
    assert_int_equal(r.n, 3);
    assert_true(r.top[0].p >= r.top[1].p && r.top[1].p >= r.top[2].p);
    /* unseen inflections reach the same stems; typos share character n-grams */
    predict(m, "LIGHTS went OUT, no electrics", &r);
    assert_string_equal(nlu_result_label(&r), "power_cut");
    predict(m, "whats my acount balanse", &r);
    assert_string_equal(nlu_result_label(&r), "account_balance");
    predict(m, "tell me a funny joke about France", &r);
    assert_true(r.out_of_scope);
    assert_string_equal(nlu_result_label(&r), "oos");
    /* probabilities add up over all labels: the top three of four leave little */
    double sum = r.top[0].p + r.top[1].p + r.top[2].p;
    assert_true(sum > 0.5 && sum <= 1.0 + 1e-9);
    nlu_model_free(m);
}

static void empty_and_garbage_text_is_out_of_scope_or_valid(void **state)
{
    struct nlu_model *m = train_small(NULL);
    struct nlu_result r;
    predict(m, "", &r);
    assert_int_equal(r.n, 3);
    char junk[NLU_MAX_TEXT * 3];
    for (size_t i = 0; i < sizeof(junk); i++) junk[i] = (char)(i * 37 + 11);
    assert_int_equal(nlu_predict(m, junk, sizeof(junk), &r), 0);
    for (int i = 0; i < r.n; i++) assert_true(r.top[i].p >= 0 && r.top[i].p <= 1);
    nlu_model_free(m);
}

static void training_needs_two_labels(void **state)
{
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    struct parley_err err = {0};
    assert_int_equal(nlu_dataset_add(&d, "hello", 5, "greeting", 8, 1, &err), 0);
    assert_int_equal(nlu_dataset_add(&d, "hi", 2, "greeting", 8, 2, &err), 0);
    struct nlu_model *m = NULL;
    assert_int_equal(nlu_train(&d, NULL, &m, NULL, &err), PARLEY_EINVAL);
    assert_null(m);
    assert_non_null(strstr(err.message, "two different labels"));
    nlu_dataset_free(&d);
}

static void two_labels_train_and_predict(void **state)
{
    struct nlu_dataset d;
    nlu_dataset_init(&d);
    struct parley_err err = {0};
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(nlu_dataset_add(&d, SMALL[i][0], strlen(SMALL[i][0]), SMALL[i][1],
                                         strlen(SMALL[i][1]), 0, &err),
                         0);
    struct nlu_model *m = NULL;
    assert_int_equal(nlu_train(&d, NULL, &m, NULL, &err), 0);
    struct nlu_result r;
    predict(m, "gas smell", &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.top[0].label, "gas_leak");
    assert_true(r.top[0].p + r.top[1].p > 0.999 && r.top[0].p + r.top[1].p < 1.001);
    predict(m, "power cut", &r);
    assert_string_equal(r.top[0].label, "power_cut");
    nlu_model_free(m);
    nlu_dataset_free(&d);
}

/* ---- model format ---------------------------------------------------------------------------- */

static void save_load_round_trip_predicts_the_same(void **state)
{
    struct nlu_model *m = train_small(NULL);
    void *buf = NULL;
    size_t len = 0;
    struct parley_err err = {0};
    assert_int_equal(nlu_model_save(m, &buf, &len, &err), 0);
    struct nlu_model *m2 = NULL;
    assert_int_equal(nlu_model_load(buf, len, &m2, &err), 0);
    assert_int_equal(nlu_model_label_count(m2), 4);
    assert_true(nlu_model_threshold(m2) == nlu_model_threshold(m));
    assert_int_equal(nlu_model_trained_at(m2), nlu_model_trained_at(m));
    const char *texts[] = {"gas leak", "no power", "my balance", "bake a cake", ""};
    for (size_t i = 0; i < 5; i++) {
        struct nlu_result a, b;
        predict(m, texts[i], &a);
        predict(m2, texts[i], &b);
        assert_int_equal(a.n, b.n);
        assert_int_equal(a.out_of_scope, b.out_of_scope);
        for (int k = 0; k < a.n; k++) {
            assert_string_equal(a.top[k].label, b.top[k].label);
            assert_true(a.top[k].p == b.top[k].p);
        }
    }
    /* saving the loaded model gives the same bytes */
    void *buf2 = NULL;
    size_t len2 = 0;
    assert_int_equal(nlu_model_save(m2, &buf2, &len2, &err), 0);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    char *labels = nlu_model_labels_json(m2);
    assert_string_equal(labels, "[\"gas_leak\",\"power_cut\",\"account_balance\",\"oos\"]");
    free(labels);
    free(buf2);
    nlu_model_free(m2);
    nlu_model_free(m);
    free(buf);
}

static void load_rejects_damaged_models(void **state)
{
    struct nlu_model *m = train_small(NULL);
    void *buf = NULL;
    size_t len = 0;
    struct parley_err err = {0};
    assert_int_equal(nlu_model_save(m, &buf, &len, &err), 0);
    nlu_model_free(m);
    unsigned char *b = buf;
    struct nlu_model *out = (struct nlu_model *)&err; /* must be reset to NULL */
    /* every truncation fails cleanly */
    for (size_t cut = 0; cut < len; cut += (cut < 200 ? 1 : 997)) {
        assert_int_equal(nlu_model_load(b, cut, &out, &err), PARLEY_EINVAL);
        assert_null(out);
    }
    /* a trailing byte, a bad magic, a newer version, a NaN threshold */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, b, len);
    longer[len] = 0;
    assert_int_equal(nlu_model_load(longer, len + 1, &out, &err), PARLEY_EINVAL);
    free(longer);
    b[0] ^= 1;
    assert_int_equal(nlu_model_load(b, len, &out, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "not a Parley NLU model"));
    b[0] ^= 1;
    b[8] = 2;
    assert_int_equal(nlu_model_load(b, len, &out, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "format version 2"));
    b[8] = 1;
    size_t th = 8 + 4 + 1 + strlen("english") + 2; /* the threshold's offset */
    memset(b + th, 0xff, 8);                       /* NaN */
    assert_int_equal(nlu_model_load(b, len, &out, &err), PARLEY_EINVAL);
    assert_non_null(strstr(err.message, "threshold"));
    free(buf);
}

/* ---- the out-of-scope threshold ---------------------------------------------------------------
 */

static void threshold_decides_out_of_scope(void **state)
{
    struct nlu_train_report rep;
    struct nlu_model *m = train_small(&rep);
    assert_true(rep.threshold >= 0 && rep.threshold <= 0.95);
    void *buf = NULL;
    size_t len = 0;
    struct parley_err err = {0};
    assert_int_equal(nlu_model_save(m, &buf, &len, &err), 0);
    size_t th = 8 + 4 + 1 + strlen("english") + 2;
    struct nlu_result r;
    /* threshold 1: nothing is confident enough; 0: only the oos label is out of scope */
    double one = 1.0, zero = 0.0;
    unsigned char *b = buf;
    memcpy(b + th, &one, 8); /* the format is little-endian, like the machines we build on */
    struct nlu_model *strict = NULL, *lax = NULL;
    assert_int_equal(nlu_model_load(buf, len, &strict, &err), 0);
    predict(strict, "I can smell gas in the kitchen", &r);
    assert_string_equal(r.top[0].label, "gas_leak");
    assert_true(r.out_of_scope);
    memcpy(b + th, &zero, 8);
    assert_int_equal(nlu_model_load(buf, len, &lax, &err), 0);
    predict(lax, "I can smell gas in the kitchen", &r);
    assert_false(r.out_of_scope);
    predict(lax, "what is the capital of France", &r);
    assert_string_equal(r.top[0].label, "oos");
    assert_true(r.out_of_scope);
    nlu_model_free(strict);
    nlu_model_free(lax);
    nlu_model_free(m);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tokenizer_lowercases_splits_and_keeps_numbers),
        cmocka_unit_test(tokenizer_respects_max_tokens),
        cmocka_unit_test(csv_reads_quotes_crlf_and_extra_columns),
        cmocka_unit_test(csv_errors_name_the_line),
        cmocka_unit_test(csv_text_over_the_limit_is_refused),
        cmocka_unit_test(rasa_reads_intents_and_strips_entities),
        cmocka_unit_test(rasa_errors_name_the_line),
        cmocka_unit_test(trains_and_predicts_a_small_set),
        cmocka_unit_test(empty_and_garbage_text_is_out_of_scope_or_valid),
        cmocka_unit_test(training_needs_two_labels),
        cmocka_unit_test(two_labels_train_and_predict),
        cmocka_unit_test(save_load_round_trip_predicts_the_same),
        cmocka_unit_test(load_rejects_damaged_models),
        cmocka_unit_test(threshold_decides_out_of_scope),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
