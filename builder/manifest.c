// SPDX-License-Identifier: MIT
/*
 * manifest.json and SHA256SUMS, and the JSON writer behind every JSON
 * document of the build. The manifest is built as a node tree and written
 * with sorted keys, so that two builds of the same inputs give the same
 * bytes. Runtime secrets a profile may carry (passwords, Wi-Fi
 * passphrases) are replaced by "(redacted)": they belong to user-data,
 * never to a file that travels with an image.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>

#include "log.h"
#include "manifest.h"
#include "plan.h"
#include "run.h"
#include "util.h"
#include "verify.h"

#ifndef VERSION
#define VERSION "0.0.0"
#endif

struct node *json_string(const char *s)
{
	return node_new_scalar(s ? s : "", s ? strlen(s) : 0, false);
}

struct node *json_number(uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return node_new_scalar(buf, strlen(buf), true);
}

struct node *json_boolean(bool b)
{
	return node_new_scalar(b ? "true" : "false", b ? 4 : 5, true);
}

struct node *json_null(void)
{
	return node_new_scalar("null", 4, true);
}

struct node *json_strv(char *const *v)
{
	struct node *seq = node_new_seq();

	for (; v && *v; v++)
		node_seq_append(seq, json_string(*v));
	return seq;
}

static bool json_number_text(const char *s)
{
	const char *p = s;

	if (*p == '-')
		p++;
	if (!isdigit((unsigned char)*p) || (p[0] == '0' && isdigit((unsigned char)p[1])))
		return false;
	while (isdigit((unsigned char)*p))
		p++;
	if (*p == '.') {
		if (!isdigit((unsigned char)*++p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

static void json_write_string(const char *s, size_t len, struct strbuf *out)
{
	strbuf_addc(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			strbuf_addc(out, '\\');
			strbuf_addc(out, (char)c);
		} else if (c == '\n') {
			strbuf_adds(out, "\\n");
		} else if (c == '\t') {
			strbuf_adds(out, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			strbuf_addf(out, "\\u%04x", c);
		} else {
			strbuf_addc(out, (char)c);
		}
	}
	strbuf_addc(out, '"');
}

static const char *const *sort_keys_base;

static int compare_key_index(const void *a, const void *b)
{
	return strcmp(sort_keys_base[*(const size_t *)a], sort_keys_base[*(const size_t *)b]);
}

void json_write(const struct node *n, struct strbuf *out)
{
	_cleanup_free_ size_t *order = NULL;

	if (!n) {
		strbuf_adds(out, "null");
		return;
	}
	switch (n->kind) {
	case NODE_SCALAR:
		if (n->plain && (streq(n->value, "true") || streq(n->value, "false") ||
				 streq(n->value, "null") || json_number_text(n->value)))
			strbuf_adds(out, n->value);
		else
			json_write_string(n->value, n->value_len, out);
		return;
	case NODE_SEQ:
		strbuf_addc(out, '[');
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				strbuf_addc(out, ',');
			json_write(n->items[i], out);
		}
		strbuf_addc(out, ']');
		return;
	case NODE_MAP:
		order = xcalloc(n->n, sizeof(*order));
		for (size_t i = 0; i < n->n; i++)
			order[i] = i;
		sort_keys_base = (const char *const *)n->keys;
		qsort(order, n->n, sizeof(*order), compare_key_index);
		strbuf_addc(out, '{');
		for (size_t i = 0; i < n->n; i++) {
			if (i)
				strbuf_addc(out, ',');
			json_write_string(n->keys[order[i]], strlen(n->keys[order[i]]), out);
			strbuf_addc(out, ':');
			json_write(n->items[order[i]], out);
		}
		strbuf_addc(out, '}');
		return;
	}
}

void package_list_release(struct package_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].name);
		free(l->items[i].version);
		free(l->items[i].arch);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static bool secret_key(const char *key)
{
	return strstr(key, "password") || strstr(key, "passphrase") || streq(key, "passwd");
}

/* Replaces every scalar under a secret-looking key by "(redacted)". */
static void redact(struct node *n)
{
	if (!n || n->kind == NODE_SCALAR)
		return;
	for (size_t i = 0; i < n->n; i++) {
		if (n->kind == NODE_MAP && secret_key(n->keys[i]) &&
		    n->items[i]->kind == NODE_SCALAR) {
			node_free(n->items[i]);
			n->items[i] = json_string("(redacted)");
			continue;
		}
		redact(n->items[i]);
	}
}

static struct node *manifest_packages(const struct package_list *l)
{
	struct node *seq = node_new_seq();

	for (size_t i = 0; l && i < l->n; i++) {
		struct node *m = node_new_map();

		node_map_set(m, "name", json_string(l->items[i].name));
		node_map_set(m, "version", json_string(l->items[i].version));
		node_map_set(m, "arch", json_string(l->items[i].arch));
		node_seq_append(seq, m);
	}
	return seq;
}

static struct node *manifest_outputs(const struct manifest_output *o, size_t n)
{
	struct node *seq = node_new_seq();

	for (size_t i = 0; i < n; i++) {
		struct node *m = node_new_map();

		node_map_set(m, "name", json_string(o[i].name));
		node_map_set(m, "size", json_number(o[i].size));
		node_map_set(m, "sha256", json_string(o[i].sha256));
		node_seq_append(seq, m);
	}
	return seq;
}

static struct node *manifest_tree(const struct plan *plan, const struct package_list *packages,
				  const struct manifest_output *outputs, size_t n_outputs)
{
	struct node *root = node_new_map(), *profile = node_new_map(), *tool = node_new_map();
	struct node *base = node_new_map(), *settings;

	settings = plan->profile->tree ? node_copy(plan->profile->tree) : node_new_map();
	redact(settings);
	node_map_set(profile, "name", json_string(plan->name));
	node_map_set(profile, "settings", settings);
	node_map_set(tool, "name", json_string("faasd-image"));
	node_map_set(tool, "version", json_string(VERSION));
	node_map_set(base, "kind", json_string(base_kind_name(plan->base.kind)));
	node_map_set(base, "suite", json_string(plan->base.suite));
	node_map_set(base, "arch", json_string(plan->base.arch));
	node_map_set(base, "variant", json_string(plan->base.variant));
	node_map_set(base, "components", json_strv(plan->base.components));

	node_map_set(root, "profile", profile);
	node_map_set(root, "tool", tool);
	node_map_set(root, "base", base);
	node_map_set(root, "delivery", json_string(delivery_name(plan->profile->delivery)));
	node_map_set(root, "source_date_epoch", json_number(plan->source_date_epoch));
	node_map_set(root, "artifacts", plan_json_artifacts(plan));
	node_map_set(root, "packages", manifest_packages(packages));
	node_map_set(root, "outputs", manifest_outputs(outputs, n_outputs));
	return root;
}

static int compare_outputs(const void *a, const void *b)
{
	return strcmp(((const struct manifest_output *)a)->name,
		      ((const struct manifest_output *)b)->name);
}

static int write_output_file(const char *path, const struct strbuf *sb)
{
	_cleanup_free_ char *tmp = temp_name_for(path);
	int r;

	temp_register(tmp);
	r = write_file_atomic(tmp, sb->buf, sb->len, 0644);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	temp_unregister(tmp);
	if (r < 0) {
		unlink(tmp);
		return log_error_errno(r, "cannot write '%s': %s", path, strerror(-r));
	}
	return 0;
}

int manifest_write(const struct plan *plan, const struct package_list *packages,
		   const struct manifest_output *outputs, size_t n_outputs)
{
	_cleanup_free_ struct manifest_output *sorted = NULL;
	_cleanup_free_ char *manifest_path = path_join(plan->out_dir, "manifest.json");
	_cleanup_free_ char *sums_path = path_join(plan->out_dir, "SHA256SUMS");
	struct strbuf json = STRBUF_INIT, sums = STRBUF_INIT;
	struct manifest_output self = {.name = "manifest.json"};
	struct node *tree;
	int r;

	sorted = xcalloc(n_outputs + 1, sizeof(*sorted));
	memcpy(sorted, outputs, n_outputs * sizeof(*sorted));
	qsort(sorted, n_outputs, sizeof(*sorted), compare_outputs);

	tree = manifest_tree(plan, packages, sorted, n_outputs);
	json_write(tree, &json);
	strbuf_addc(&json, '\n');
	node_free(tree);

	r = write_output_file(manifest_path, &json);
	if (r == 0) {
		self.size = json.len;
		sha256_buffer(json.buf, json.len, self.sha256);
		sorted[n_outputs] = self;
		qsort(sorted, n_outputs + 1, sizeof(*sorted), compare_outputs);
		for (size_t i = 0; i < n_outputs + 1; i++)
			strbuf_addf(&sums, "%s  %s\n", sorted[i].sha256, sorted[i].name);
		r = write_output_file(sums_path, &sums);
	}
	strbuf_release(&json);
	strbuf_release(&sums);
	return r;
}
