// SPDX-License-Identifier: MIT
/*
 * faasd-image list: the shipped profiles, one line each, as names only (for
 * completion) or as JSON; --show PROFILE prints what a profile resolves to
 * after extends, defaults, FAASD_IMAGE_SET and --set, with where each value
 * came from; --schema prints the key reference that docs/profiles.md holds.
 * Everything printed goes to stdout; errors are the loader's one line.
 */
#include "cli-profile.h"
#include "cli.h"
#include "commands.h"
#include "log.h"
#include "profile.h"
#include "util.h"

/* Options only this command has; ids far from the shared ones in cli.h. */
enum {
	OPT_LIST_NAMES = 0x1000,
	OPT_LIST_SHOW,
	OPT_LIST_SCHEMA,
};

static const struct cli_option options[] = {
	{"names", 0, NULL, "print only the names", OPT_LIST_NAMES, NULL},
	{"json", 0, NULL, "print JSON on stdout", OPT_JSON, NULL},
	{"show", 0, "PROFILE", "print the profile as it resolves (extends, defaults, --set)",
	 OPT_LIST_SHOW, "profile"},
	{"set", 's', "KEY=VALUE", "with --show: override a profile key (repeatable)", OPT_SET,
	 NULL},
	{"schema", 0, NULL, "print every profile key as a Markdown table", OPT_LIST_SCHEMA, NULL},
	CLI_OPTIONS_END,
};

struct list_args {
	bool names, json, schema;
	struct profile_args profile;
};

static int handle(int id, const char *arg, void *userdata)
{
	struct list_args *a = userdata;

	switch (id) {
	case OPT_LIST_NAMES:
		a->names = true;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	case OPT_LIST_SCHEMA:
		a->schema = true;
		break;
	case OPT_LIST_SHOW:
		a->profile.profile = arg;
		break;
	default:
		profile_args_option(&a->profile, id, arg);
		break;
	}
	return 0;
}

static void outputs_joined(const struct profile *p, struct strbuf *sb, bool json)
{
	bool first = true;

	for (unsigned bit = 1; bit <= OUTPUT_SEED; bit <<= 1) {
		if (!(p->outputs & bit))
			continue;
		strbuf_adds(sb, first ? "" : json ? ", " : ",");
		if (json)
			json_escape(sb, output_name((enum output)bit));
		else
			strbuf_adds(sb, output_name((enum output)bit));
		first = false;
	}
}

static void print_table(struct profile **ps, size_t n)
{
	size_t w_name = 4, w_arch = 4, w_board = 5, w_out = 7;
	struct strbuf *outs = xcalloc(n ? n : 1, sizeof(*outs));

	for (size_t i = 0; i < n; i++) {
		outputs_joined(ps[i], &outs[i], false);
		if (strlen(ps[i]->name) > w_name)
			w_name = strlen(ps[i]->name);
		if (strlen(arch_name(ps[i]->arch)) > w_arch)
			w_arch = strlen(arch_name(ps[i]->arch));
		if (strlen(board_name(ps[i]->board)) > w_board)
			w_board = strlen(board_name(ps[i]->board));
		if (outs[i].len > w_out)
			w_out = outs[i].len;
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int)w_name, "NAME", (int)w_arch, "ARCH",
	       (int)w_board, "BOARD", (int)w_out, "OUTPUTS", "DESCRIPTION");
	for (size_t i = 0; i < n; i++) {
		printf("%-*s  %-*s  %-*s  %-*s  %s\n", (int)w_name, ps[i]->name, (int)w_arch,
		       arch_name(ps[i]->arch), (int)w_board, board_name(ps[i]->board),
		       (int)w_out, outs[i].buf, ps[i]->description ? ps[i]->description : "");
		strbuf_release(&outs[i]);
	}
	free(outs);
}

static void print_json_list(struct profile **ps, size_t n)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "[");
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(&sb, i ? ",\n {\"name\": " : "\n {\"name\": ");
		json_escape(&sb, ps[i]->name);
		strbuf_addf(&sb, ", \"arch\": \"%s\", \"board\": \"%s\", \"outputs\": [",
			    arch_name(ps[i]->arch), board_name(ps[i]->board));
		outputs_joined(ps[i], &sb, true);
		strbuf_adds(&sb, "], \"description\": ");
		json_escape(&sb, ps[i]->description ? ps[i]->description : "");
		strbuf_adds(&sb, ", \"path\": ");
		json_escape(&sb, ps[i]->path);
		strbuf_adds(&sb, "}");
	}
	strbuf_adds(&sb, n ? "\n]\n" : "]\n");
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
}

static int list_profiles(const struct list_args *a)
{
	_cleanup_strv_free_ char **names = profile_list_shipped();
	size_t n = strv_length(names), loaded = 0;
	struct profile **ps;
	int r = EXIT_OK;

	if (a->names) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", names[i]);
		return EXIT_OK;
	}

	ps = xcalloc(n ? n : 1, sizeof(*ps));
	for (; loaded < n; loaded++) {
		if (profile_load_flags(names[loaded], NULL, PROFILE_IGNORE_ENVIRONMENT,
				       &ps[loaded]) < 0) {
			r = EXIT_PROFILE;
			break;
		}
	}
	if (r == EXIT_OK && a->json)
		print_json_list(ps, n);
	else if (r == EXIT_OK)
		print_table(ps, n);
	for (size_t i = 0; i < loaded; i++)
		profile_free(ps[i]);
	free(ps);
	return r;
}

/* ---- --show: the merged tree as YAML with origins, or as JSON ---- */

static void indent_to(struct strbuf *sb, unsigned indent)
{
	for (unsigned i = 0; i < indent; i++)
		strbuf_addc(sb, ' ');
}

static bool plain_is_safe(const struct node *n)
{
	if (!n->plain || n->value_len == 0 || strlen(n->value) != n->value_len)
		return false;
	return !strpbrk(n->value, "\n\t\r#") && n->value[0] != '*' && n->value[0] != '&';
}

static void yaml_scalar(struct strbuf *sb, const struct node *n)
{
	if (plain_is_safe(n)) {
		strbuf_adds(sb, n->value);
		return;
	}
	strbuf_addc(sb, '"');
	for (size_t i = 0; i < n->value_len; i++) {
		unsigned char c = (unsigned char)n->value[i];

		if (c == '"' || c == '\\')
			strbuf_addf(sb, "\\%c", c);
		else if (c == '\n')
			strbuf_adds(sb, "\\n");
		else if (c == '\t')
			strbuf_adds(sb, "\\t");
		else if (c < 0x20 || c == 0x7f)
			strbuf_addf(sb, "\\x%02x", c);
		else
			strbuf_addc(sb, (char)c);
	}
	strbuf_addc(sb, '"');
}

static void origin_comment(struct strbuf *sb, const struct node *n)
{
	if (!n->file)
		return;
	if (n->line)
		strbuf_addf(sb, "  # %s:%u", n->file, n->line);
	else
		strbuf_addf(sb, "  # %s", n->file);
}

static void yaml_node(struct strbuf *sb, const struct node *n, unsigned indent, const char *key,
		      bool inline_first);

/*
 * The value after "key:" or "-": inline for scalars and empty collections.
 * Items of a list carry no origin of their own: the list's is on its key.
 */
static void yaml_value(struct strbuf *sb, const struct node *n, unsigned indent, const char *key,
		       bool in_list)
{
	if (key && profile_key_is_secret(key) && n->kind == NODE_SCALAR) {
		strbuf_adds(sb, " '********'  # secret, not shown\n");
		return;
	}
	if (n->kind == NODE_SCALAR || n->n == 0) {
		strbuf_addc(sb, ' ');
		if (n->kind == NODE_SCALAR)
			yaml_scalar(sb, n);
		else
			strbuf_adds(sb, n->kind == NODE_MAP ? "{}" : "[]");
		if (!in_list)
			origin_comment(sb, n);
		strbuf_addc(sb, '\n');
		return;
	}
	if (in_list && n->kind == NODE_MAP) {
		strbuf_addc(sb, ' ');
		yaml_node(sb, n, indent + 2, key, true);
		return;
	}
	if (n->kind == NODE_SEQ && !in_list)
		origin_comment(sb, n);
	strbuf_addc(sb, '\n');
	yaml_node(sb, n, indent + 2, key, false);
}

static void yaml_node(struct strbuf *sb, const struct node *n, unsigned indent, const char *key,
		      bool inline_first)
{
	for (size_t i = 0; i < n->n; i++) {
		_cleanup_free_ char *child = NULL;

		if (!(inline_first && i == 0))
			indent_to(sb, indent);
		if (n->kind == NODE_MAP) {
			child = key ? xasprintf("%s.%s", key, n->keys[i]) : xstrdup(n->keys[i]);
			strbuf_addf(sb, "%s:", n->keys[i]);
			yaml_value(sb, n->items[i], indent, child, false);
			continue;
		}
		child = xasprintf("%s.%zu", key ? key : "", i);
		strbuf_adds(sb, "-");
		yaml_value(sb, n->items[i], indent, child, true);
	}
}

static bool json_literal(const struct node *n)
{
	static const char *const literals[] = {"true", "false", "null"};
	size_t digits = strspn(n->value, "0123456789");

	if (!n->plain)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(literals); i++)
		if (streq(n->value, literals[i]))
			return true;
	return digits > 0 && digits == n->value_len && (n->value[0] != '0' || digits == 1);
}

static void json_node(struct strbuf *sb, const struct node *n, const char *key)
{
	if (n->kind == NODE_SCALAR) {
		if (key && profile_key_is_secret(key))
			strbuf_adds(sb, "\"********\"");
		else if (json_literal(n))
			strbuf_adds(sb, n->value);
		else
			json_escape(sb, n->value);
		return;
	}
	strbuf_adds(sb, n->kind == NODE_MAP ? "{" : "[");
	for (size_t i = 0; i < n->n; i++) {
		_cleanup_free_ char *child = NULL;

		strbuf_adds(sb, i ? ", " : "");
		if (n->kind == NODE_MAP) {
			json_escape(sb, n->keys[i]);
			strbuf_adds(sb, ": ");
			child = key ? xasprintf("%s.%s", key, n->keys[i]) : xstrdup(n->keys[i]);
		} else {
			child = xasprintf("%s.%zu", key ? key : "", i);
		}
		json_node(sb, n->items[i], child);
	}
	strbuf_adds(sb, n->kind == NODE_MAP ? "}" : "]");
}

static int show_profile(const struct list_args *a)
{
	struct profile *p = NULL;
	struct strbuf sb = STRBUF_INIT;

	if (profile_args_load(&a->profile, &p) < 0)
		return EXIT_PROFILE;

	if (a->json) {
		json_node(&sb, p->tree, NULL);
		strbuf_addc(&sb, '\n');
	} else {
		strbuf_addf(&sb, "# profile '%s' as it resolves, from '%s'\n", p->name, p->path);
		yaml_node(&sb, p->tree, 0, NULL, false);
	}
	fputs(sb.buf, stdout);
	strbuf_release(&sb);
	profile_free(p);
	return EXIT_OK;
}

static int run(const struct cli_command *self, int argc, char **argv)
{
	struct list_args a = {.profile = PROFILE_ARGS_INIT};
	int first = cli_parse(self, argc, argv, handle, &a), r;

	if (first < 0) {
		profile_args_release(&a.profile);
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	}
	if (first < argc) {
		log_error("'list' takes no operands; to see one profile use --show '%s'",
			  argv[first]);
		profile_args_release(&a.profile);
		return EXIT_USAGE;
	}
	if (a.profile.sets && !a.profile.profile) {
		log_error("'--set' applies to --show PROFILE only");
		profile_args_release(&a.profile);
		return EXIT_USAGE;
	}

	if (a.schema) {
		profile_print_schema(stdout);
		r = EXIT_OK;
	} else if (a.profile.profile) {
		r = show_profile(&a);
	} else {
		r = list_profiles(&a);
	}
	profile_args_release(&a.profile);
	return r;
}

const struct cli_command command_list = {
	.name = "list",
	.args = NULL,
	.summary = "List the shipped profiles, one line each.",
	.description = "--show PROFILE prints a profile as it resolves after extends, the "
		       "built-in defaults,\nFAASD_IMAGE_SET and --set, each value with where it "
		       "came from. Secrets are masked.",
	.options = options,
	.run = run,
};
