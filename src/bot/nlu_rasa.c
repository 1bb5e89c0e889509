/* Rasa NLU training data (YAML, through libyaml's document loader): `nlu:` holds a list of
 * `- intent: NAME` items whose `examples: |` block lists `- example` lines. Entity markup is
 * reduced to its text; synonyms, regexes and lookups are skipped. Errors name file and line. */
#include "nlu_int.h"

#include <stdio.h>
#include <string.h>
#include <yaml.h>

#define RASA_MAX_FILE (16 << 20)

struct rasa {
    const char *name;
    yaml_document_t *doc;
    struct nlu_dataset *d;
    struct parley_err *err;
};

static int rasa_fail(struct rasa *r, int line, const char *what)
{
    const char *name = r->name;
    size_t nlen = strlen(name);
    if (nlen > 120) name += nlen - 120;
    return parley_fail(r->err, PARLEY_EINVAL, "yaml", "%s:%d: %s", name, line, what);
}

static int line_of(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

static bool scalar_is(const yaml_node_t *n, const char *s)
{
    return n != NULL && n->type == YAML_SCALAR_NODE && n->data.scalar.length == strlen(s) &&
           memcmp(n->data.scalar.value, s, n->data.scalar.length) == 0;
}

/* The value of key in a mapping node, or NULL. */
static yaml_node_t *map_get(struct rasa *r, const yaml_node_t *map, const char *key)
{
    if (map == NULL || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
        if (scalar_is(yaml_document_get_node(r->doc, p->key), key))
            return yaml_document_get_node(r->doc, p->value);
    return NULL;
}

/* Copies an example without entity markup: "[Leeds](city)" and "[Leeds]{"entity":…}" → "Leeds". */
static size_t strip_entities(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '[') {
            const char *close = memchr(s + i + 1, ']', n - i - 1);
            if (close != NULL) {
                size_t after = (size_t)(close - s) + 1;
                char want = after < n ? (s[after] == '(' ? ')' : s[after] == '{' ? '}' : 0) : 0;
                const char *end = want ? memchr(s + after + 1, want, n - after - 1) : NULL;
                if (end != NULL && memchr(s + i + 1, '[', (size_t)(close - s) - i - 1) == NULL) {
                    size_t tl = (size_t)(close - s) - i - 1;
                    memcpy(out + o, s + i + 1, tl);
                    o += tl;
                    i = (size_t)(end - s);
                    continue;
                }
            }
        }
        out[o++] = s[i];
    }
    return o;
}

static int add_examples(struct rasa *r, const char *intent, size_t intent_len,
                        const yaml_node_t *ex)
{
    if (ex == NULL) return 0;
    if (ex->type != YAML_SCALAR_NODE)
        return rasa_fail(r, line_of(ex), "`examples` must be a block of `- example` lines");
    const char *s = (const char *)ex->data.scalar.value;
    size_t len = ex->data.scalar.length;
    bool block = ex->data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                 ex->data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
    int line = line_of(ex) + (block ? 1 : 0);
    char buf[NLU_MAX_TEXT + 1];
    for (size_t i = 0; i < len; line++) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len;
        const char *l = s + i;
        size_t ll = end - i;
        i = end + 1;
        while (ll > 0 && (*l == ' ' || *l == '\t')) l++, ll--;
        while (ll > 0 && (l[ll - 1] == ' ' || l[ll - 1] == '\t' || l[ll - 1] == '\r')) ll--;
        if (ll == 0) continue;
        if (l[0] != '-' || (ll > 1 && l[1] != ' ' && l[1] != '\t'))
            return rasa_fail(r, line, "expected an example line starting with `- `");
        l++, ll--;
        if (ll > NLU_MAX_TEXT) return rasa_fail(r, line, "an example over 2000 bytes");
        size_t tl = strip_entities(l, ll, buf);
        struct parley_err e = {0};
        int rc = nlu_dataset_add(r->d, buf, tl, intent, intent_len, line, &e);
        if (rc == PARLEY_ENOMEM || rc == PARLEY_ETOOBIG) {
            if (r->err != NULL) *r->err = e;
            return rc;
        }
        if (rc != 0) return rasa_fail(r, line, e.message);
    }
    return 0;
}

static int walk(struct rasa *r)
{
    yaml_node_t *root = yaml_document_get_root_node(r->doc);
    if (root == NULL) return rasa_fail(r, 1, "the file is empty; it needs an `nlu:` list");
    if (root->type != YAML_MAPPING_NODE)
        return rasa_fail(r, line_of(root), "the top level must be a mapping with `nlu:`");
    yaml_node_t *nlu = map_get(r, root, "nlu");
    if (nlu == NULL) return rasa_fail(r, line_of(root), "there is no `nlu:` key");
    if (nlu->type != YAML_SEQUENCE_NODE)
        return rasa_fail(r, line_of(nlu), "`nlu:` must be a list of `- intent:` items");
    for (yaml_node_item_t *it = nlu->data.sequence.items.start; it < nlu->data.sequence.items.top;
         it++) {
        yaml_node_t *item = yaml_document_get_node(r->doc, *it);
        if (item == NULL || item->type != YAML_MAPPING_NODE)
            return rasa_fail(r, item ? line_of(item) : 1, "each `nlu:` item must be a mapping");
        yaml_node_t *intent = map_get(r, item, "intent");
        if (intent == NULL) continue; /* synonym, regex, lookup */
        if (intent->type != YAML_SCALAR_NODE ||
            !nlu_label_valid((const char *)intent->data.scalar.value, intent->data.scalar.length))
            return rasa_fail(r, line_of(intent),
                             "the intent name must be 1-64 characters of a-z, A-Z, 0-9, _ - . : /");
        int rc = add_examples(r, (const char *)intent->data.scalar.value,
                              intent->data.scalar.length, map_get(r, item, "examples"));
        if (rc != 0) return rc;
    }
    return 0;
}

int nlu_rasa_parse(const char *name, const char *buf, size_t len, struct nlu_dataset *d,
                   struct parley_err *err)
{
    struct rasa r = {.name = name, .d = d, .err = err};
    if (len > RASA_MAX_FILE)
        return parley_fail(err, PARLEY_ETOOBIG, "yaml", "%s is over %d MiB", name,
                           RASA_MAX_FILE >> 20);
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return parley_fail(err, PARLEY_ENOMEM, NULL, "out of memory starting the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int rc;
    if (!yaml_parser_load(&parser, &doc)) {
        char what[200];
        snprintf(what, sizeof(what), "YAML error: %s",
                 parser.problem != NULL ? parser.problem : "cannot parse");
        r.err = err;
        rc = rasa_fail(&r, (int)parser.problem_mark.line + 1, what);
        yaml_parser_delete(&parser);
        return rc;
    }
    r.doc = &doc;
    rc = walk(&r);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}
