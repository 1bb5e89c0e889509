/* `parley sentiment score TEXT` (one message as JSON) and `parley sentiment eval --csv FILE`
 * (accuracy and macro F1 over a labelled file; docs/bot-sentiment.md). */
#include "cli.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../bot/eval_csv.h"
#include "../bot/sentiment.h"

int cmd_sentiment_score(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {{"text", false, NULL}};
    const char *text = NULL;
    /* the text may also be the last argument on its own */
    if (argc > 0 && strncmp(argv[argc - 1], "--", 2) != 0 &&
        (argc == 1 || strcmp(argv[argc - 2], "--text") != 0)) {
        text = argv[argc - 1];
        argc--;
    }
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, 1, argc, argv, &status)) return status;
    if (flags[0].value != NULL) {
        if (text != NULL) return cli_usage_error(self, "give the text once");
        text = flags[0].value;
    }
    if (text == NULL) return cli_usage_error(self, "the text to score is required");
    struct sentiment s;
    sentiment_score(text, strlen(text), &s);
    json_t *j = json_pack("{s:f, s:f, s:f, s:f, s:s, s:b, s:s?}", "compound", s.compound, "pos",
                          s.pos, "neu", s.neu, "neg", s.neg, "label", sentiment_label(s.compound),
                          "distress", s.distress, "distress_cue", s.distress_cue);
    char *out = j != NULL ? json_dumps(j, JSON_REAL_PRECISION(4)) : NULL;
    json_decref(j);
    if (out == NULL) {
        cli_error("out of memory");
        return CLI_FAIL;
    }
    printf("%s\n", out);
    free(out);
    return CLI_OK;
}

static const char *const labels[3] = {"negative", "neutral", "positive"};

static int label_index(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, labels[i]) == 0) return i;
    return -1;
}

int cmd_sentiment_eval(const struct cli_command *self, int argc, char **argv)
{
    struct cli_flag flags[] = {{"csv", true, NULL}, {"show-errors", false, NULL}};
    int status = CLI_OK;
    if (!cli_parse_flags(self, flags, 2, argc, argv, &status)) return status;
    const char *path = flags[0].value;
    int show = flags[1].value != NULL ? atoi(flags[1].value) : 0;
    struct arena a;
    arena_init(&a);
    struct parley_err err = {0};
    char *buf;
    size_t len = 0, n = 0;
    struct eval_row *rows = NULL;
    int rc = eval_read_file(path, EVAL_CSV_MAX_FILE, &buf, &len, &a, &err);
    if (rc == 0) rc = eval_csv_parse(path, buf, len, "text", "label", &rows, &n, &a, &err);
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (label_index(rows[i].b) < 0)
            rc = parley_fail(&err, PARLEY_EINVAL, "label",
                             "%s:%d: label '%.40s' is not negative, neutral or positive", path,
                             rows[i].line, rows[i].b);
    if (rc == 0 && n == 0) rc = parley_fail(&err, PARLEY_EINVAL, "csv", "%s: no rows", path);
    if (rc != 0) {
        cli_error("%s", err.message);
        arena_free(&a);
        return rc == PARLEY_EINVAL ? CLI_USAGE : CLI_FAIL;
    }
    long confusion[3][3] = {{0}}; /* [gold][predicted] */
    long correct = 0;
    for (size_t i = 0; i < n; i++) {
        struct sentiment s;
        sentiment_score(rows[i].a, strlen(rows[i].a), &s);
        int gold = label_index(rows[i].b), pred = label_index(sentiment_label(s.compound));
        confusion[gold][pred]++;
        if (gold == pred) {
            correct++;
        } else if (show > 0) {
            show--;
            printf("miss line %d: gold=%s predicted=%s compound=%+.3f  %.80s\n", rows[i].line,
                   labels[gold], labels[pred], s.compound, rows[i].a);
        }
    }
    printf("examples: %zu (compound >= %.2f positive, <= -%.2f negative, else neutral)\n", n,
           SENTIMENT_THRESHOLD, SENTIMENT_THRESHOLD);
    printf("%-10s %9s %9s %9s %8s\n", "label", "precision", "recall", "f1", "support");
    double f1_sum = 0;
    for (int l = 0; l < 3; l++) {
        long tp = confusion[l][l], gold = 0, pred = 0;
        for (int k = 0; k < 3; k++) {
            gold += confusion[l][k];
            pred += confusion[k][l];
        }
        double p = pred > 0 ? (double)tp / (double)pred : 0;
        double r = gold > 0 ? (double)tp / (double)gold : 0;
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0;
        f1_sum += f1;
        printf("%-10s %9.4f %9.4f %9.4f %8ld\n", labels[l], p, r, f1, gold);
    }
    printf("confusion (rows gold, columns predicted: negative neutral positive):\n");
    for (int l = 0; l < 3; l++)
        printf("  %-10s %6ld %6ld %6ld\n", labels[l], confusion[l][0], confusion[l][1],
               confusion[l][2]);
    printf("accuracy: %.4f\n", (double)correct / (double)n);
    printf("macro_f1: %.4f\n", f1_sum / 3.0);
    arena_free(&a);
    return CLI_OK;
}
