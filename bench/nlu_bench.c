/* NLU bench: median time to classify one message of the demo test set with the demo model,
 * and the time to train on 10,000 examples made by resampling the demo training set with
 * small perturbations (typos, dropped words, case, fillers). Ends with one line
 * `classify_us=N train_10k_s=N` (both rounded up; the training figure is wall time, the line
 * before also gives its CPU time) that bench/bench-bot.sh reads.
 * usage: nlu_bench [TRAIN.csv [TEST.csv]] (defaults: data/demo/intents.csv, intents_test.csv) */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bot/nlu.h"

#define ROUNDS  50    /* passes over the test set; each message's median is over these */
#define TRAIN_N 10000 /* examples for the training figure */

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double now_s(void)
{
    return clock_s(CLOCK_MONOTONIC);
}

static int load_csv(const char *path, struct nlu_dataset *d)
{
    char *buf = NULL;
    size_t len = 0;
    struct parley_err err = {0};
    nlu_dataset_init(d);
    if (nlu_read_file(path, &buf, &len, &err) != 0 || nlu_csv_parse(path, buf, len, d, &err) != 0) {
        fprintf(stderr, "nlu_bench: %s\n", err.message);
        free(buf);
        return -1;
    }
    free(buf);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A perturbed copy of text into out (at most NLU_MAX_TEXT bytes). */
static size_t perturb(const char *text, char *out)
{
    static const char *const fillers[] = {"",        "",    "hi ",        "please ",
                                          "hello, ", "um ", "quick one: "};
    size_t o = (size_t)snprintf(out, 64, "%s", fillers[next_rand() % 7]);
    size_t len = strlen(text);
    for (size_t i = 0; i < len && o < NLU_MAX_TEXT - 16; i++) {
        unsigned r = (unsigned)(next_rand() % 100);
        char c = text[i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        bool next_letter = i + 1 < len && ((text[i + 1] >= 'a' && text[i + 1] <= 'z') ||
                                           (text[i + 1] >= 'A' && text[i + 1] <= 'Z'));
        if (r < 2 && letter) continue;        /* drop a letter */
        if (r < 4 && letter && next_letter) { /* swap two letters */
            out[o++] = text[i + 1];
            out[o++] = c;
            i++;
            continue;
        }
        if (r < 6 && c >= 'a' && c <= 'z') c = (char)(c - 32); /* shouting */
        out[o++] = c;
    }
    if (next_rand() % 4 == 0) o += (size_t)snprintf(out + o, 32, " thanks");
    out[o] = '\0';
    return o;
}

int main(int argc, char **argv)
{
    const char *train_path = argc > 1 ? argv[1] : "data/demo/intents.csv";
    const char *test_path = argc > 2 ? argv[2] : "data/demo/intents_test.csv";
    struct nlu_dataset train, test;
    if (load_csv(train_path, &train) != 0 || load_csv(test_path, &test) != 0) return 1;
    struct parley_err err = {0};
    struct nlu_model *m = NULL;
    if (nlu_train(&train, NULL, &m, NULL, &err) != 0) {
        fprintf(stderr, "nlu_bench: %s\n", err.message);
        return 1;
    }

    /* classification: per message, the median of ROUNDS timed calls; then the median and
     * p99 over messages */
    double *per = malloc(test.n * sizeof(double)), rounds[ROUNDS];
    volatile double sink = 0;
    for (size_t i = 0; i < test.n; i++) {
        const char *t = test.items[i].text;
        size_t len = strlen(t);
        for (int k = 0; k < ROUNDS; k++) {
            struct nlu_result r;
            double t0 = now_s();
            nlu_predict(m, t, len, &r);
            rounds[k] = now_s() - t0;
            sink += r.top[0].p;
        }
        qsort(rounds, ROUNDS, sizeof(double), cmp_double);
        per[i] = rounds[ROUNDS / 2] * 1e6;
    }
    qsort(per, test.n, sizeof(double), cmp_double);
    double classify_median = per[test.n / 2], classify_p99 = per[(size_t)(0.99 * (test.n - 1))];
    nlu_model_free(m);

    /* training on 10,000 resampled, perturbed examples */
    struct nlu_dataset big;
    nlu_dataset_init(&big);
    char buf[NLU_MAX_TEXT + 64];
    for (size_t i = 0; i < TRAIN_N; i++) {
        const struct nlu_example *e = &train.items[next_rand() % train.n];
        size_t len = perturb(e->text, buf);
        if (nlu_dataset_add(&big, buf, len, e->label, strlen(e->label), 0, &err) != 0) {
            fprintf(stderr, "nlu_bench: %s\n", err.message);
            return 1;
        }
    }
    struct nlu_train_report rep = {0};
    double t0 = now_s(), cpu0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
    if (nlu_train(&big, NULL, &m, &rep, &err) != 0) {
        fprintf(stderr, "nlu_bench: %s\n", err.message);
        return 1;
    }
    double train_s = now_s() - t0, train_cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    nlu_model_free(m);

    printf("nlu-bench: classify median %.2f us, p99 %.2f us over %zu test messages (x%d)\n",
           classify_median, classify_p99, test.n, ROUNDS);
    printf("nlu-bench: train %zu examples, %zu labels, %zu features: %.2f s wall, %.2f s CPU "
           "(one thread; incl. the validation fit for the threshold; wall > CPU means the "
           "machine is busy)\n",
           rep.examples, rep.labels, rep.features, train_s, train_cpu);
    printf("classify_us=%.0f train_10k_s=%.0f\n", ceil(classify_median), ceil(train_s));
    free(per);
    nlu_dataset_free(&big);
    nlu_dataset_free(&train);
    nlu_dataset_free(&test);
    return sink < 0;
}
