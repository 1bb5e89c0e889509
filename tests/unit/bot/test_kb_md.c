/* Unit tests for the knowledge-base import format (src/bot/kb_md.c: front matter, title,
 * body, errors with file and line), Markdown rendering in safe mode and the evaluation CSV
 * reader (src/bot/eval_csv.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "bot/eval_csv.h"
#include "bot/kb_md.h"

static int parse(const char *text, struct kb_article *k, struct arena *a, struct parley_err *err)
{
    memset(k, 0, sizeof(*k));
    return kb_md_parse("kb/x.md", text, strlen(text), k, a, err);
}

static void parses_front_matter_title_and_body(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct parley_err err = {0};
    struct kb_article k;
    const char *doc = "---\r\ntags: billing, payments , \r\nstatus: draft\r\n---\r\n\r\n"
                      "# Paying your bill ##\r\n\r\n\r\nYou can pay **online**.\r\n\r\n";
    assert_int_equal(parse(doc, &k, &a, &err), 0);
    assert_string_equal(k.title, "Paying your bill");
    assert_string_equal(k.body, "You can pay **online**.");
    assert_int_equal(k.n_tags, 2);
    assert_string_equal(k.tags[0], "billing");
    assert_string_equal(k.tags[1], "payments");
    assert_int_equal(k.status, KB_DRAFT);
    /* no front matter; a "# " inside a code fence is not the title; "## " is not either */
    assert_int_equal(
        parse("Intro\n## Section\n```\n# not me\n```\n# Real title\nBody\n", &k, &a, &err), 0);
    assert_string_equal(k.title, "Real title");
    assert_string_equal(k.body, "Body");
    assert_int_equal(k.status, KB_PUBLISHED);
    assert_int_equal(k.n_tags, 0);
    arena_free(&a);
}

static void errors_name_file_and_line(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct parley_err err = {0};
    struct kb_article k;
    struct {
        const char *text, *message;
    } cases[] = {
        {"No heading here\nat all\n", "kb/x.md:2: no title"},
        {"", "kb/x.md:1: no title"},
        {"# Title\n\n\n", "kb/x.md:1: the article has no body"},
        {"#   \nbody\n", "kb/x.md:1: the title heading is empty"},
        {"---\ntags: a\nsize: 3\n---\n# T\nB\n", "kb/x.md:3: unknown front matter key"},
        {"---\nstatus: live\n---\n# T\nB\n", "kb/x.md:2: status must be published or draft"},
        {"---\ntags a b\n---\n# T\nB\n", "kb/x.md:2: expected 'key: value'"},
        {"---\ntags: a\n# T\nB\n", "kb/x.md:1: the front matter opened here is never closed"},
        {"# T\nok\nbad \xff byte\n", "kb/x.md:3: not valid UTF-8"},
        {"---\ntags: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\n---\n# T\nB", "kb/x.md:2: too many tags"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(cases[i].text, &k, &a, &err), PARLEY_EINVAL);
        if (strncmp(err.message, cases[i].message, strlen(cases[i].message)) != 0)
            fail_msg("case %zu: '%s', want '%s…'", i, err.message, cases[i].message);
    }
    /* an embedded NUL is refused too */
    assert_int_equal(kb_md_parse("n.md", "# T\nA\0B", 7, &k, &a, &err), PARLEY_EINVAL);
    arena_free(&a);
}

static void renders_safely_and_extracts_text(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct parley_err err = {0};
    const char *html, *text;
    const char *md = "Call **105** in a [power cut](https://www.powercut105.com).\n\n"
                     "<script>alert(1)</script>\n\n[bad](javascript:alert(1))\n\n"
                     "- one\n- two\n\n```\ncode line\n```\n";
    assert_int_equal(kb_md_render(md, strlen(md), &html, &text, &a, &err), 0);
    assert_non_null(strstr(html, "<strong>105</strong>"));
    assert_non_null(strstr(html, "<a href=\"https://www.powercut105.com\">power cut</a>"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "javascript:"));
    assert_string_equal(text, "Call 105 in a power cut.\nbad\none\ntwo\ncode line");
    arena_free(&a);
}

static void csv_reads_named_columns(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a);
    struct parley_err err = {0};
    struct eval_row *rows;
    size_t n;
    const char *csv = "\xEF\xBB\xBFid,label,text\r\n1,positive,\"thanks, \"\"great\"\"\"\r\n\r\n"
                      "2,negative,\"two\nlines\"\n3,neutral,plain\n";
    assert_int_equal(
        eval_csv_parse("f.csv", csv, strlen(csv), "text", "label", &rows, &n, &a, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].a, "thanks, \"great\"");
    assert_string_equal(rows[0].b, "positive");
    assert_int_equal(rows[0].line, 2);
    assert_string_equal(rows[1].a, "two\nlines");
    assert_int_equal(rows[1].line, 4);
    assert_int_equal(rows[2].line, 6);
    struct {
        const char *csv, *message;
    } bad[] = {
        {"", "f.csv:1: the file is empty"},
        {"query,slug\nx,y\n", "f.csv:1: the header must name the columns text and label"},
        {"text,label\n\"open,x\n", "f.csv:2: a quoted field is never closed"},
        {"text,label\nab\"c,x\n", "f.csv:2: a quote inside an unquoted field"},
        {"text,label\n\"a\"b,x\n", "f.csv:2: text after a closing quote"},
        {"text,label\nonly\n", "f.csv:2: this row has fewer columns"},
        {"text,label\n\xc3,x\n", "f.csv:2: not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(eval_csv_parse("f.csv", bad[i].csv, strlen(bad[i].csv), "text", "label",
                                        &rows, &n, &a, &err),
                         PARLEY_EINVAL);
        if (strncmp(err.message, bad[i].message, strlen(bad[i].message)) != 0)
            fail_msg("case %zu: '%s', want '%s…'", i, err.message, bad[i].message);
    }
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_front_matter_title_and_body),
        cmocka_unit_test(errors_name_file_and_line),
        cmocka_unit_test(renders_safely_and_extracts_text),
        cmocka_unit_test(csv_reads_named_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
