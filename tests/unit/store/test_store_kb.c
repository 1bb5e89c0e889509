/* Unit tests for the knowledge base in the store: articles (create, upsert, update, delete,
 * audit), FTS5 search kept in step in the same transaction (stemming, title weight, snippets
 * with highlights and escaping, tenants, drafts) and queries that must never be FTS5 syntax
 * errors. Real SQLite files under /tmp. */
/* the fixture's conversation helpers are not needed here */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "store_fixture.h"

#include "bot/kb_md.h"

static int64_t put_article(struct fixture *f, int64_t tenant, const char *slug, const char *title,
                           const char *body, enum kb_status status, bool upsert, int *rc_out)
{
    struct store_cmd c;
    store_cmd_init(&c, STORE_KB_PUT_ARTICLE);
    c.tenant_id = tenant;
    c.actor = "user:1";
    struct kb_article *k = &c.in.kb_put.article;
    k->slug = slug;
    k->title = title;
    k->body = body;
    k->status = status;
    static const char *tags[] = {"demo"};
    k->tags = tags;
    k->n_tags = 1;
    struct parley_err err;
    assert_int_equal(kb_md_render(body, strlen(body), &k->html, &k->text, &c.arena, &err), 0);
    c.in.kb_put.upsert = upsert;
    int rc = run(f, &c);
    int64_t id = c.result_id;
    if (rc_out != NULL)
        *rc_out = rc;
    else
        assert_int_equal(rc, 0);
    store_cmd_release(&c);
    return id;
}

static size_t search(struct fixture *f, int64_t tenant, const char *q, struct kb_hit **hits)
{
    size_t n = 0;
    struct parley_err err;
    int rc = store_kb_search(f->r, tenant, q, 10, hits, &n, &f->a, &err);
    if (rc != 0) fail_msg("search '%s': %s", q, err.message);
    return n;
}

static void search_stems_and_weights_titles(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t move = put_article(f, t, "moving-home", "Moving home",
                               "Tell us the date you move and give us a final meter reading.",
                               KB_PUBLISHED, false, NULL);
    int64_t bills =
        put_article(f, t, "understanding-your-bill", "Understanding your bill",
                    "Your bill shows what you used and what you paid.", KB_PUBLISHED, false, NULL);
    put_article(f, t, "meter-readings", "Meter readings",
                "Send a reading each month so your bills are not estimated. People moving home "
                "should read the meter too.",
                KB_PUBLISHED, false, NULL);
    struct kb_hit *h;
    /* "moved" and "moving" stem like "move"; the title match ranks first */
    size_t n = search(f, t, "I moved house", &h);
    assert_true(n >= 1);
    assert_int_equal(h[0].article_id, move);
    n = search(f, t, "moving", &h);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].article_id, move);
    assert_true(h[0].score > h[1].score);
    assert_true(h[1].score > 0);
    /* plural and verb forms */
    n = search(f, t, "BILLS", &h);
    assert_true(n >= 1);
    assert_int_equal(h[0].article_id, bills);
    assert_string_equal(h[0].slug, "understanding-your-bill");
    assert_string_equal(h[0].title, "Understanding your bill");
    /* words not in any article: nothing, not an error */
    assert_int_equal(search(f, t, "zebra crossing", &h), 0);
}

static void all_words_first_then_any(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int64_t both = put_article(f, t, "smart-meter-display", "Smart meter display",
                               "If the in-home display is blank, check the smart meter.",
                               KB_PUBLISHED, false, NULL);
    put_article(f, t, "power-cut", "Power cut",
                "A power cut: check the fuse box and the "
                "neighbours, then call 105. The display of an oven clock may flash.",
                KB_PUBLISHED, false, NULL);
    struct kb_hit *h;
    size_t n = search(f, t, "blank display power", &h);
    assert_int_equal(n, 2); /* none has all three words: any of them fills the list */
    n = search(f, t, "smart display", &h);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].article_id, both); /* has both words */
}

static void snippets_highlight_and_escape(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    put_article(f, t, "refunds", "Refunds",
                "We refund a credit balance within 10 days. Write `<b>` & \"quotes\" safely: "
                "<script>alert(1)</script> is raw HTML and never rendered.",
                KB_PUBLISHED, false, NULL);
    struct kb_hit *h;
    size_t n = search(f, t, "credit refund", &h);
    assert_int_equal(n, 1);
    assert_non_null(strstr(h[0].snippet, "<mark>refund</mark>"));
    assert_non_null(strstr(h[0].snippet, "<mark>credit</mark>"));
    assert_non_null(strstr(h[0].snippet, "&lt;b&gt; &amp; &quot;quotes&quot;"));
    assert_null(strstr(h[0].snippet, "<b>"));
    assert_null(strstr(h[0].snippet, "<script"));
    /* the stored HTML (libcmark, safe mode) has no raw HTML either */
    struct kb_article a;
    assert_int_equal(store_kb_get_by_slug(f->r, t, "refunds", &a, &f->a, NULL), 0);
    assert_null(strstr(a.html, "<script"));
    assert_non_null(strstr(a.html, "<code>&lt;b&gt;</code>"));
    assert_null(strstr(a.text, "`")); /* plain text: no Markdown marks */
}

static void unsafe_queries_are_never_errors(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    put_article(f, t, "direct-debit", "Direct Debit", "Change your Direct Debit date or amount.",
                KB_PUBLISHED, false, NULL);
    static const char *const queries[] = {
        "\"",
        "\"\"",
        "direct\"debit",
        "AND",
        "direct AND",
        "OR OR OR",
        "NOT debit",
        "NEAR(direct debit, 2)",
        "title:debit",
        "debit*",
        "^direct",
        "-debit",
        "(direct",
        "debit)",
        "{title}:x",
        "a b c d e f g h i j k l m n o p q r s t u",
        "\xff\xfe debit \xc3",
        "d\xc3\xa9"
        "bit",
        "\xe2\x80\x9c"
        "direct\xe2\x80\x9d",
        "***",
        "+",
        "   ",
        "",
        "the of and",
        "x:y:z",
        "'; DROP TABLE kb_articles; --",
        "\x01\x02",
        "debit\tdirect\ndate",
    };
    struct kb_hit *h;
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) search(f, t, queries[i], &h);
    assert_true(search(f, t, "NEAR(direct debit, 2)", &h) == 1);
    assert_true(search(f, t,
                       "\xe2\x80\x9c"
                       "direct\xe2\x80\x9d",
                       &h) == 1);
    assert_true(search(f, t, "the of and", &h) == 0);
    assert_true(search(f, t, "debit*", &h) == 1);
    /* bounds: a query over KB_MAX_QUERY bytes and a bad limit are refused, naming the field */
    char big[KB_MAX_QUERY + 2];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    size_t n;
    struct parley_err err;
    assert_int_equal(store_kb_search(f->r, t, big, 10, &h, &n, &f->a, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "q");
    assert_int_equal(store_kb_search(f->r, t, "debit", 0, &h, &n, &f->a, &err), PARLEY_EINVAL);
    assert_string_equal(err.field, "limit");
    assert_int_equal(store_kb_search(f->r, t, NULL, 5, &h, &n, &f->a, &err), 0);
    assert_int_equal(n, 0);
}

static void query_builder_quotes_every_word(void **state)
{
    (void)state;
    char out[KB_QUERY_CAP];
    assert_int_equal(kb_fts_query("How do I pay my bill?", 21, KB_MATCH_ALL, out, sizeof(out)), 2);
    assert_string_equal(out, "\"pay\" \"bill\"");
    assert_int_equal(kb_fts_query("Pay\"bill OR pay", 15, KB_MATCH_ANY, out, sizeof(out)), 2);
    assert_string_equal(out, "\"pay\" OR \"bill\""); /* "or" is a stop word; duplicates go */
    assert_int_equal(kb_fts_query("the", 3, KB_MATCH_ALL, out, sizeof(out)), 0);
    assert_string_equal(out, ""); /* only stop words: nothing to search for */
    assert_int_equal(kb_fts_query("!!! ???", 7, KB_MATCH_ALL, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    char many[400] = "";
    for (int i = 0; i < 30; i++) snprintf(many + strlen(many), 20, "w%d ", i);
    assert_int_equal(kb_fts_query(many, strlen(many), KB_MATCH_ANY, out, sizeof(out)),
                     KB_QUERY_MAX_TERMS);
    /* contractions: the clitic goes, a negated auxiliary ("didn't", "won't") goes whole,
     * straight or curly apostrophe; any other apostrophe separates, as in the index */
    const char *c = "I didn\u2019t get it, it's my dad's account and I won't pay O'Brien";
    assert_int_equal(kb_fts_query(c, strlen(c), KB_MATCH_ALL, out, sizeof(out)), 5);
    assert_string_equal(out, "\"dad\" \"account\" \"pay\" \"o\" \"brien\"");
    /* stop words do not use up the word budget: the content words of a long question stay */
    const char *l = "hi there I was just wondering if you could please tell me how I would be "
                    "able to get my refund";
    assert_int_equal(kb_fts_query(l, strlen(l), KB_MATCH_ALL, out, sizeof(out)), 3);
    assert_string_equal(out, "\"wondering\" \"able\" \"refund\"");
    /* a tiny buffer gets whole terms only */
    char small[12];
    assert_int_equal(kb_fts_query("alpha beta", 10, KB_MATCH_ALL, small, sizeof(small)), 1);
    assert_string_equal(small, "\"alpha\"");
}

static void tenants_drafts_and_deletes(void **state)
{
    struct fixture *f = *state;
    int64_t a = new_tenant(f, "acme", NULL), b = new_tenant(f, "globex", NULL);
    int64_t id = put_article(f, a, "tariffs", "Tariffs", "Fixed and variable tariffs explained.",
                             KB_PUBLISHED, false, NULL);
    put_article(f, a, "new-tariff", "New tariff", "A tariff that is not out yet.", KB_DRAFT, false,
                NULL);
    struct kb_hit *h;
    assert_int_equal(search(f, a, "tariff", &h), 1); /* the draft is not searchable */
    assert_int_equal(search(f, b, "tariff", &h), 0); /* nor another tenant's */
    struct kb_article art;
    assert_int_equal(store_kb_get(f->r, b, id, &art, &f->a, NULL), PARLEY_ENOTFOUND);
    assert_int_equal(store_kb_get_by_slug(f->r, b, "tariffs", &art, &f->a, NULL), PARLEY_ENOTFOUND);

    /* publish the draft and retitle it: the index follows in the same commit */
    struct store_cmd c;
    store_cmd_init(&c, STORE_KB_UPDATE_ARTICLE);
    c.tenant_id = a;
    c.actor = "user:1";
    assert_int_equal(store_kb_get_by_slug(f->r, a, "new-tariff", &art, &f->a, NULL), 0);
    c.in.kb_update.article.id = art.id;
    c.in.kb_update.article.status = KB_PUBLISHED;
    c.in.kb_update.article.title = "Green tariff";
    c.in.kb_update.set = KB_SET_STATUS | KB_SET_TITLE;
    assert_int_equal(run(f, &c), 0);
    assert_non_null(strstr(c.result_json, "\"title\":\"Green tariff\""));
    store_cmd_release(&c);
    assert_int_equal(search(f, a, "green", &h), 1);
    assert_int_equal(search(f, a, "tariff", &h), 2);

    /* another tenant cannot update or delete it */
    store_cmd_init(&c, STORE_KB_DELETE_ARTICLE);
    c.tenant_id = b;
    c.in.kb_delete_id = id;
    assert_int_equal(run(f, &c), PARLEY_ENOTFOUND);
    store_cmd_release(&c);
    store_cmd_init(&c, STORE_KB_DELETE_ARTICLE);
    c.tenant_id = a;
    c.actor = "user:1";
    c.in.kb_delete_id = id;
    assert_int_equal(run(f, &c), 0);
    store_cmd_release(&c);
    assert_int_equal(search(f, a, "fixed variable", &h), 0);
    assert_int_equal(store_kb_get(f->r, a, id, &art, &f->a, NULL), PARLEY_ENOTFOUND);

    /* every write is audited */
    struct audit_entry *e;
    size_t n;
    int64_t next;
    struct store_page page = {0, 50};
    struct audit_filter af = {.action = "kb.article.delete"};
    assert_int_equal(store_list_audit(f->r, a, &af, &page, &e, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(e[0].actor, "user:1");
    af.action = "kb.article.create";
    assert_int_equal(store_list_audit(f->r, a, &af, &page, &e, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 2);
}

/* Search ranks the best matches first and joins only those to the articles: when another
 * tenant's and draft articles crowd the best 64, the tenant's own must still be found. */
static void crowded_ranking_still_finds_the_tenants_articles(void **state)
{
    struct fixture *f = *state;
    int64_t a = new_tenant(f, "acme", NULL), b = new_tenant(f, "globex", NULL);
    char slug[32];
    for (int i = 0; i < 70; i++) {
        snprintf(slug, sizeof(slug), "boiler-%d", i);
        put_article(f, b, slug, "Boiler boiler", "Boiler boiler boiler.", KB_PUBLISHED, false,
                    NULL);
    }
    put_article(f, a, "boiler-draft", "Boiler boiler", "Boiler boiler boiler.", KB_DRAFT, false,
                NULL);
    int64_t mine = put_article(f, a, "heating", "Heating help",
                               "If your boiler stops, check the pressure gauge first.",
                               KB_PUBLISHED, false, NULL);
    struct kb_hit *h;
    assert_int_equal(search(f, a, "boiler", &h), 1);
    assert_int_equal(h[0].article_id, mine);
    assert_int_equal(search(f, a, "boiler pressure", &h), 1);
    assert_int_equal(search(f, a, "boiler gauge zebra", &h), 1); /* the OR pass, crowded too */
    assert_int_equal(search(f, b, "boiler", &h), 10);
}

static void upsert_conflicts_and_checks(void **state)
{
    struct fixture *f = *state;
    int64_t t = new_tenant(f, "acme", NULL);
    int rc;
    int64_t id = put_article(f, t, "complaints", "Complaints", "How to complain.", KB_PUBLISHED,
                             false, NULL);
    put_article(f, t, "complaints", "Complaints", "Again.", KB_PUBLISHED, false, &rc);
    assert_int_equal(rc, PARLEY_ECONFLICT);
    /* an import re-runs: same id, new body, searchable by the new words only */
    assert_int_equal(put_article(f, t, "complaints", "Making a complaint",
                                 "Our complaints procedure and the Ombudsman.", KB_PUBLISHED, true,
                                 NULL),
                     id);
    struct kb_hit *h;
    assert_int_equal(search(f, t, "ombudsman", &h), 1);
    assert_int_equal(search(f, t, "COMPLAINT", &h), 1); /* complaints → complaint */
    assert_string_equal(h[0].title, "Making a complaint");
    /* bad fields */
    put_article(f, t, "Bad Slug", "T", "B", KB_PUBLISHED, false, &rc);
    assert_int_equal(rc, PARLEY_EINVAL);
    put_article(f, t, "ok", "   ", "B", KB_PUBLISHED, false, &rc);
    assert_int_equal(rc, PARLEY_EINVAL);
    put_article(f, t, "ok", "T", "B", (enum kb_status)7, false, &rc);
    assert_int_equal(rc, PARLEY_EINVAL);
    /* renaming onto a taken slug */
    int64_t other =
        put_article(f, t, "refunds", "Refunds", "Money back.", KB_PUBLISHED, false, NULL);
    struct store_cmd c;
    store_cmd_init(&c, STORE_KB_UPDATE_ARTICLE);
    c.tenant_id = t;
    c.in.kb_update.article.id = other;
    c.in.kb_update.article.slug = "complaints";
    c.in.kb_update.set = KB_SET_SLUG;
    assert_int_equal(run(f, &c), PARLEY_ECONFLICT);
    assert_string_equal(c.err.field, "slug");
    store_cmd_release(&c);
    /* list pages, oldest first, without bodies */
    struct kb_article *list;
    size_t n;
    int64_t next;
    struct store_page page = {0, 1};
    struct kb_filter all = {-1};
    assert_int_equal(store_kb_list(f->r, t, &all, &page, &list, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, id);
    assert_null(list[0].body);
    assert_true(next != 0);
    page.after = next;
    assert_int_equal(store_kb_list(f->r, t, &all, &page, &list, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].id, other);
    assert_int_equal(next, 0);
    struct kb_filter drafts = {KB_DRAFT};
    page = (struct store_page){0, 10};
    assert_int_equal(store_kb_list(f->r, t, &drafts, &page, &list, &n, &next, &f->a, NULL), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(search_stems_and_weights_titles, setup, teardown),
        cmocka_unit_test_setup_teardown(all_words_first_then_any, setup, teardown),
        cmocka_unit_test_setup_teardown(snippets_highlight_and_escape, setup, teardown),
        cmocka_unit_test_setup_teardown(unsafe_queries_are_never_errors, setup, teardown),
        cmocka_unit_test(query_builder_quotes_every_word),
        cmocka_unit_test_setup_teardown(tenants_drafts_and_deletes, setup, teardown),
        cmocka_unit_test_setup_teardown(crowded_ranking_still_finds_the_tenants_articles, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(upsert_conflicts_and_checks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
