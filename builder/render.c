// SPDX-License-Identifier: MIT
/*
 * Rendering of cloud-init user-data from templates/. A template is YAML,
 * read by yaml-parse into a node tree; the render context is a mapping of
 * names to nodes built here from the profile and the lock; every scalar of
 * the template that reads exactly "{{ name }}" is replaced by a copy of the
 * context's node, so a value of the user's can never become YAML syntax.
 * The expanded tree goes out through emit.c. Shell scripts stay files in
 * templates/ and take their parameters from an env file whose values are
 * single-quoted by shell_quote(). Provider rules (sizes, gzip, base64) and
 * MIME multipart are at the end of this file.
 */
#include <errno.h>
#include <zlib.h>

#include "emit.h"
#include "log.h"
#include "paths.h"
#include "render.h"
#include "verify.h"
#include "yaml-parse.h"

#define TEMPLATE_MAX_FILE (256 * 1024)

int shell_quote(const char *s, size_t len, struct strbuf *out)
{
	if (memchr(s, '\0', len))
		return -EINVAL;
	strbuf_addc(out, '\'');
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\'')
			strbuf_adds(out, "'\\''");
		else
			strbuf_addc(out, s[i]);
	}
	strbuf_addc(out, '\'');
	return 0;
}

/* Adds "NAME='value'\n"; value NULL adds "NAME=''". */
static int env_add(struct strbuf *env, const char *name, const char *value)
{
	int r;

	strbuf_addf(env, "%s=", name);
	r = shell_quote(value ? value : "", value ? strlen(value) : 0, env);
	if (r < 0)
		return log_error_errno(r, "value of '%s' holds a NUL byte", name);
	strbuf_addc(env, '\n');
	return 0;
}

/* RFC 1123 host name: labels of letters, digits and '-', at most 63 each, 253 in all. */
static bool hostname_valid(const char *s)
{
	size_t label = 0, len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c == '-' && label > 0)))
			return false;
		if (++label > 63)
			return false;
	}
	return label > 0 && s[len - 1] != '-';
}

/*
 * A template file as carried in user-data: without its full-line comments
 * (the "#!" line stays), since providers cap user-data at 16 KiB and the
 * commented original is in templates/.
 */
static struct node *file_without_comments(const char *text, size_t len)
{
	struct strbuf sb = STRBUF_INIT;
	struct node *n;
	size_t pos = 0;

	while (pos < len) {
		const char *eol = memchr(text + pos, '\n', len - pos);
		size_t end = eol ? (size_t)(eol - text) + 1 : len, i = pos;

		while (i < end && text[i] == ' ')
			i++;
		if (i == end || text[i] != '#' || (pos == 0 && str_starts_with(text, "#!")))
			strbuf_add(&sb, text + pos, end - pos);
		pos = end;
	}
	n = value_string_len(sb.buf ? sb.buf : "", sb.len);
	strbuf_release(&sb);
	return n;
}

/* The mirror rule of docs/artifacts.md: MIRROR/REPO/PATH-AFTER-REPO; raw files under REPO/raw/. */
static char *mirror_url(const char *mirror, const char *url)
{
	static const char *const hosts[] = {"https://github.com/",
					    "https://raw.githubusercontent.com/"};
	size_t mlen = strlen(mirror);

	while (mlen > 0 && mirror[mlen - 1] == '/')
		mlen--;
	for (size_t i = 0; i < ARRAY_SIZE(hosts); i++) {
		const char *rest, *slash;

		if (!str_starts_with(url, hosts[i]))
			continue;
		rest = url + strlen(hosts[i]);
		slash = strchr(rest, '/');
		if (!slash)
			break;
		rest = slash + 1; /* drop the owner */
		if (i == 1) {
			slash = strchr(rest, '/');
			if (!slash)
				break;
			return xasprintf("%.*s/%.*s/raw%s", (int)mlen, mirror,
					 (int)(slash - rest), rest, slash);
		}
		return xasprintf("%.*s/%s", (int)mlen, mirror, rest);
	}
	return xstrdup(url);
}

struct render_ctx {
	const struct profile *p;
	const struct lock *l;
	enum render_kind kind;
	struct node *vars; /* name -> node */
};

static const char *const arches[] = {"amd64", "arm64"};

/* The locked artifact of a component, with its sha256, or a clear error. */
static int locked(const struct render_ctx *c, const char *component, const char *version,
		  const char *arch, const struct lock_artifact **ret)
{
	const struct lock_artifact *a;

	if (!c->l)
		return log_error_errno(-ENOENT, "rendering needs the artifacts lock");
	if (!version)
		return log_error_errno(-EINVAL, "profile '%s': %s has no version to pin",
				       c->p->name, component);
	a = lock_find(c->l, component, version, arch);
	if (!a)
		return log_error_errno(-ENOENT, "artifact '%s' %s (%s) is not in '%s'",
				       component, version, arch, c->l->path);
	if (!a->sha256)
		return log_error_errno(-ENOENT,
				       "artifact '%s' %s (%s) is not yet locked (no sha256) "
				       "in '%s'; "
				       "run 'faasd-image lock' where it can be downloaded",
				       component, version, arch, c->l->path);
	*ret = a;
	return 0;
}

/* NAME_amd64/NAME_arm64 URL and sha256 lines of one component. */
static int env_artifact(const struct render_ctx *c, struct strbuf *env, const char *var,
			const char *component, const struct component *comp, bool per_arch)
{
	for (size_t i = 0; i < (per_arch ? ARRAY_SIZE(arches) : 1); i++) {
		const struct lock_artifact *a;
		_cleanup_free_ char *url = NULL, *url_name = NULL, *sha_name = NULL;
		int r = locked(c, component, comp->version, arches[i], &a);

		if (r < 0)
			return r;
		url = c->p->artifacts_mirror ? mirror_url(c->p->artifacts_mirror, a->url)
					     : xstrdup(a->url);
		url_name = per_arch ? xasprintf("%s_URL_%s", var, arches[i])
				    : xasprintf("%s_URL", var);
		sha_name = per_arch ? xasprintf("%s_SHA256_%s", var, arches[i])
				    : xasprintf("%s_SHA256", var);
		r = env_add(env, url_name, url);
		if (r == 0)
			r = env_add(env, sha_name, a->sha256);
		if (r < 0)
			return r;
	}
	return 0;
}

static int env_component(const struct render_ctx *c, struct strbuf *env, const char *var,
			 const char *component, const struct component *comp)
{
	_cleanup_free_ char *source_var = xasprintf("%s_SOURCE", var);
	int r = env_add(env, source_var, source_name(comp->source));

	if (r < 0 || comp->source != SOURCE_UPSTREAM)
		return r;
	return env_artifact(c, env, var, component, comp, true);
}

/* The parameters of install-faasd.sh: every URL and sha256, both architectures. */
static int build_install_env(const struct render_ctx *c, struct strbuf *env)
{
	const struct profile *p = c->p;
	struct component faasd_files = {SOURCE_UPSTREAM, p->faasd.version};
	int r;

	if (p->faasd.source != SOURCE_UPSTREAM)
		return log_error_errno(-EINVAL, "profile '%s': install at first boot needs "
				       "faasd.source upstream", p->name);

	strbuf_adds(env, "# Written by faasd-image render; read by "
			 "/usr/libexec/faasd-image/install-faasd.\n");
	r = env_add(env, "ALLOW_HTTP", p->allow_http ? "1" : "0");
	if (r == 0)
		r = env_add(env, "FAASD_VERSION", p->faasd.version);
	if (r == 0)
		r = env_component(c, env, "CONTAINERD", COMPONENT_CONTAINERD, &p->containerd);
	if (r == 0)
		r = env_component(c, env, "RUNC", COMPONENT_RUNC, &p->runc);
	if (r == 0)
		r = env_component(c, env, "CNI", COMPONENT_CNI, &p->cni);
	if (r == 0)
		r = env_component(c, env, "FAASD", COMPONENT_FAASD, &p->faasd);
	if (r == 0)
		r = env_component(c, env, "FAAS_CLI", COMPONENT_FAAS_CLI, &p->faas_cli);
	if (r == 0)
		r = env_artifact(c, env, "COMPOSE", COMPONENT_FAASD_COMPOSE, &faasd_files, false);
	if (r == 0)
		r = env_artifact(c, env, "PROMETHEUS", COMPONENT_FAASD_PROMETHEUS, &faasd_files,
				 false);
	if (r == 0)
		r = env_artifact(c, env, "RESOLV", COMPONENT_FAASD_RESOLV, &faasd_files, false);
	return r;
}

static struct node *write_file_node(const char *path, const char *content, size_t len,
				    const char *permissions, const char *owner)
{
	struct node *m = node_new_map();

	node_map_set(m, "path", value_string(path));
	if (utf8_valid(content, len) && !memchr(content, '\0', len)) {
		node_map_set(m, "content", value_string_len(content, len));
	} else {
		struct strbuf b64 = STRBUF_INIT;

		base64_encode(content, len, &b64);
		node_map_set(m, "encoding", value_string("b64"));
		node_map_set(m, "content", value_string_len(b64.buf ? b64.buf : "", b64.len));
		strbuf_release(&b64);
	}
	if (owner)
		node_map_set(m, "owner", value_string(owner));
	if (permissions)
		node_map_set(m, "permissions", value_string(permissions));
	return m;
}

static struct node *users_node(const struct profile *p)
{
	struct node *seq = node_new_seq();

	/* Keep the image's default user (multipass and providers put their key there). */
	node_seq_append(seq, value_string("default"));
	for (size_t i = 0; i < p->n_users; i++) {
		const struct user *u = &p->users[i];
		struct node *m = node_new_map();

		node_map_set(m, "name", value_string(u->name));
		if (u->groups && u->groups[0])
			node_map_set(m, "groups", value_strv(u->groups));
		if (u->sudo)
			node_map_set(m, "sudo", value_string(u->sudo));
		if (u->shell)
			node_map_set(m, "shell", value_string(u->shell));
		if (u->passwd)
			node_map_set(m, "passwd", value_string(u->passwd));
		if (u->lock_passwd >= 0)
			node_map_set(m, "lock_passwd", value_bool(u->lock_passwd));
		if (u->ssh_authorized_keys && u->ssh_authorized_keys[0])
			node_map_set(m, "ssh_authorized_keys", value_strv(u->ssh_authorized_keys));
		node_seq_append(seq, m);
	}
	return seq;
}

static struct node *packages_node(const struct render_ctx *c)
{
	static const char *const base[] = {"iptables", "bridge-utils", "curl", "ca-certificates"};
	const struct profile *p = c->p;
	char **v = NULL;
	struct node *n;

	if (c->kind == RENDER_INSTALL) {
		for (size_t i = 0; i < ARRAY_SIZE(base); i++)
			strv_push(&v, base[i]);
		if (p->containerd.source == SOURCE_DISTRO)
			strv_push(&v, "containerd");
		if (p->runc.source == SOURCE_DISTRO)
			strv_push(&v, "runc");
		if (p->cni.source == SOURCE_DISTRO)
			strv_push(&v, "containernetworking-plugins");
	}
	for (size_t i = 0; p->packages && p->packages[i]; i++)
		if (!strv_contains(v, p->packages[i]))
			strv_push(&v, p->packages[i]);
	n = v ? value_strv(v) : NULL;
	strv_free(v);
	return n;
}

static struct node *sysctl_text(const struct profile *p)
{
	struct strbuf sb = STRBUF_INIT;
	struct node *n;
	size_t len;
	char *s;

	strbuf_adds(&sb, "# faasd: containers reach the network through the host\n");
	if (!p->sysctl_keys || !p->sysctl_keys[0])
		strbuf_adds(&sb, "net.ipv4.conf.all.forwarding = 1\n");
	for (size_t i = 0; p->sysctl_keys && p->sysctl_keys[i]; i++)
		strbuf_addf(&sb, "%s = %s\n", p->sysctl_keys[i],
			    p->sysctl_values && p->sysctl_values[i] ? p->sysctl_values[i] : "");
	s = strbuf_detach(&sb, &len);
	n = value_string_len(s, len);
	free(s);
	return n;
}

static struct node *modules_text(const struct profile *p)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len;
	char *s;
	struct node *n;

	strbuf_adds(&sb, "# faasd: overlay snapshots and bridged container traffic\n");
	if (!p->modules || !p->modules[0])
		strbuf_adds(&sb, "overlay\nbr_netfilter\n");
	for (size_t i = 0; p->modules && p->modules[i]; i++)
		strbuf_addf(&sb, "%s\n", p->modules[i]);
	s = strbuf_detach(&sb, &len);
	n = value_string_len(s, len);
	free(s);
	return n;
}

static struct node *final_message(const struct profile *p)
{
	const char *host = p->hostname ? p->hostname : "HOST";
	_cleanup_free_ char *who = NULL, *msg = NULL;

	if (p->n_users)
		who = xasprintf("'ssh %s@%s'", p->users[0].name, host);
	else
		who = xasprintf("'ssh USER@%s' (USER: the image's default user, e.g. debian "
				"or ubuntu)", host);
	/* cloud-init's own first sentence stays: faasd-image test waits for it. */
	msg = xasprintf("Cloud-init v. ${VERSION} finished at ${TIMESTAMP}. Datasource "
			"${DATASOURCE}.  Up ${UPTIME} seconds. faasd-image: log in with %s, then: "
			"sudo cat /var/lib/faasd/secrets/basic-auth-password | "
			"faas-cli login --password-stdin",
			who);
	return value_string(msg);
}

static struct node *file_seq_from_profile(const struct profile *p)
{
	struct node *seq;

	if (!p->n_write_files)
		return NULL;
	seq = node_new_seq();
	for (size_t i = 0; i < p->n_write_files; i++) {
		const struct write_file *w = &p->write_files[i];

		node_seq_append(seq, write_file_node(w->path, w->content ? w->content : "",
						     w->content ? w->content_len : 0,
						     w->permissions, w->owner));
	}
	return seq;
}

static void ctx_set(struct render_ctx *c, const char *name, struct node *value)
{
	if (value)
		node_map_set(c->vars, name, value);
}

/* The containerd unit of the upstream tarball's install: written by us, not copied. */
static int containerd_unit(struct render_ctx *c)
{
	_cleanup_free_ char *path = data_path("templates/containerd.service");
	_cleanup_free_ char *text = NULL;
	struct node *unit;
	size_t len;
	int r;

	if (c->p->containerd.source != SOURCE_UPSTREAM)
		return 0;
	r = read_file(path, TEMPLATE_MAX_FILE, &text, &len);
	if (r < 0)
		return log_error_errno(r, "cannot read '%s': %s", path, strerror(-r));
	unit = file_without_comments(text, len);
	ctx_set(c, "containerd_unit", write_file_node("/etc/systemd/system/containerd.service",
						      unit->value, unit->value_len, "0644", NULL));
	node_free(unit);
	return 0;
}

/* The baked image's first-boot fetch reads a mirror's faasd URL from /etc/faasd-image/faasd-url. */
static int faasd_url_file(struct render_ctx *c)
{
	const struct profile *p = c->p;
	const struct lock_artifact *a;
	_cleanup_free_ char *line = NULL, *url = NULL;
	int r;

	if (!p->artifacts_mirror || !c->l)
		return 0;
	r = locked(c, COMPONENT_FAASD, p->faasd.version, arch_name(p->arch), &a);
	if (r < 0)
		return r;
	url = mirror_url(p->artifacts_mirror, a->url);
	line = xasprintf("%s\n", url);
	ctx_set(c, "faasd_url_file", write_file_node("/etc/faasd-image/faasd-url", line,
						     strlen(line), "0644", "root:root"));
	return 0;
}

/* What only the install path carries: install.env, kernel settings, containerd's unit. */
static int install_context(struct render_ctx *c)
{
	struct strbuf env = STRBUF_INIT;
	int r;

	r = build_install_env(c, &env);
	if (r == 0)
		ctx_set(c, "install_env", value_string_len(env.buf, env.len));
	strbuf_release(&env);
	if (r < 0)
		return r;
	ctx_set(c, "sysctl_conf", sysctl_text(c->p));
	ctx_set(c, "modules_conf", modules_text(c->p));
	return containerd_unit(c);
}

static int build_context(struct render_ctx *c)
{
	const struct profile *p = c->p;

	if (p->hostname && !hostname_valid(p->hostname))
		return log_error_errno(-EINVAL, "profile '%s': hostname is not a valid host name "
				       "(letters, digits, '-' and '.', at most 253 characters)",
				       p->name);
	c->vars = node_new_map();
	if (p->hostname)
		ctx_set(c, "hostname", value_string(p->hostname));
	if (p->timezone)
		ctx_set(c, "timezone", value_string(p->timezone));
	if (p->locale)
		ctx_set(c, "locale", value_string(p->locale));
	if (p->n_users)
		ctx_set(c, "users", users_node(p));
	ctx_set(c, "packages", packages_node(c));
	ctx_set(c, "write_files", file_seq_from_profile(p));
	if (p->runcmd && p->runcmd->kind == NODE_SEQ && p->runcmd->n)
		ctx_set(c, "runcmd", node_copy(p->runcmd));
	ctx_set(c, "final_message", final_message(p));

	if (p->faasd_basic_auth_password) {
		struct node *secrets = node_new_seq();
		const char *pw = p->faasd_basic_auth_password;

		node_seq_append(secrets,
				write_file_node("/var/lib/faasd/secrets/basic-auth-password", pw,
						strlen(pw), "0600", "root:root"));
		ctx_set(c, "secret_files", secrets);
	}

	if (c->kind == RENDER_INSTANCE)
		return faasd_url_file(c);
	return install_context(c);
}

/* "{{ name }}" -> name (caller frees), or NULL when s is not a placeholder. */
static char *placeholder_name(const struct node *n)
{
	const char *s, *end;

	if (n->kind != NODE_SCALAR || n->value_len < 5 || !str_starts_with(n->value, "{{") ||
	    !str_ends_with(n->value, "}}"))
		return NULL;
	s = n->value + 2;
	end = n->value + n->value_len - 2;
	while (s < end && *s == ' ')
		s++;
	while (end > s && end[-1] == ' ')
		end--;
	return end > s ? xstrndup(s, (size_t)(end - s)) : NULL;
}

/*
 * The node a placeholder stands for: a copy from the context, the text of
 * a template file for "file NAME", NULL (and 0) when the context has no
 * value; -ENOENT for a file that is missing.
 */
static int placeholder_value(const struct render_ctx *c, const char *name, struct node **ret)
{
	*ret = NULL;
	if (str_starts_with(name, "file ")) {
		const char *file = name + 5;
		_cleanup_free_ char *rel = xasprintf("templates/%s", file);
		_cleanup_free_ char *path = NULL, *text = NULL;
		size_t len;
		int r;

		if (strchr(file, '/') || file[0] == '.')
			return log_error_errno(-EINVAL, "template file name '%s' is not plain",
					       file);
		path = data_path(rel);
		r = read_file(path, TEMPLATE_MAX_FILE, &text, &len);
		if (r < 0)
			return log_error_errno(r, "cannot read '%s': %s", path, strerror(-r));
		*ret = file_without_comments(text, len);
		return 0;
	}
	*ret = node_copy(node_map_get(c->vars, name));
	return 0;
}

/* The names templates may use; a typo in a template is an error, not a silent drop. */
static const char *const known_names[] = {
	"hostname", "timezone",       "locale",       "users",        "packages",
	"write_files", "runcmd",      "final_message", "secret_files", "install_env",
	"sysctl_conf", "modules_conf", "containerd_unit", "faasd_url_file",
};

static bool name_known(const char *name)
{
	if (str_starts_with(name, "file "))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(known_names); i++)
		if (streq(known_names[i], name))
			return true;
	return false;
}

static bool has_placeholder(const struct node *n)
{
	for (size_t i = 0; i < n->n; i++) {
		_cleanup_free_ char *name = placeholder_name(n->items[i]);

		if (name)
			return true;
	}
	return false;
}

struct children {
	struct node **items;
	char **keys;
	size_t n, alloc;
};

static void children_push(struct children *ch, char *key, struct node *item)
{
	if (ch->n == ch->alloc) {
		ch->alloc = ch->alloc ? 2 * ch->alloc : 8;
		ch->items = xrealloc(ch->items, ch->alloc * sizeof(*ch->items));
		ch->keys = xrealloc(ch->keys, ch->alloc * sizeof(*ch->keys));
	}
	ch->items[ch->n] = item;
	ch->keys[ch->n++] = key;
}

static int expand(const struct render_ctx *c, struct node *n, unsigned depth);

/*
 * Replaces the placeholders among n's children: a value the context lacks
 * drops the entry, a sequence put into a sequence is spliced in, and a
 * sequence of the template that only placeholders filled and that came out
 * empty is dropped with its key.
 */
static int expand_children(const struct render_ctx *c, struct node *n, unsigned depth)
{
	struct children ch = {0};
	int r = 0;

	for (size_t i = 0; i < n->n; i++) {
		_cleanup_free_ char *name = placeholder_name(n->items[i]);
		char *key = n->keys ? n->keys[i] : NULL;
		struct node *v = NULL;

		if (r < 0) {
			children_push(&ch, key, n->items[i]);
			continue;
		}
		if (!name) {
			bool fillable = n->items[i]->kind == NODE_SEQ &&
					has_placeholder(n->items[i]);

			r = expand(c, n->items[i], depth + 1);
			if (r == 0 && fillable && n->items[i]->n == 0 && n->kind == NODE_MAP) {
				node_free(n->items[i]);
				free(key);
				continue;
			}
			children_push(&ch, key, n->items[i]);
			continue;
		}
		if (!name_known(name)) {
			r = log_error_errno(-EINVAL, "template '%s':%u: unknown name '%s'",
					    n->items[i]->file ? n->items[i]->file : "?",
					    n->items[i]->line, name);
			children_push(&ch, key, n->items[i]);
			continue;
		}
		r = placeholder_value(c, name, &v);
		node_free(n->items[i]);
		if (!v) {
			free(key);
			continue;
		}
		if (n->kind == NODE_SEQ && v->kind == NODE_SEQ) {
			for (size_t j = 0; j < v->n; j++)
				children_push(&ch, NULL, v->items[j]);
			v->n = 0;
			node_free(v);
			continue;
		}
		children_push(&ch, key, v);
	}
	free(n->items);
	free(n->keys);
	n->items = ch.items;
	n->keys = n->kind == NODE_MAP ? ch.keys : (free(ch.keys), NULL);
	n->n = ch.n;
	return r;
}

static int expand(const struct render_ctx *c, struct node *n, unsigned depth)
{
	if (depth > YAML_MAX_DEPTH)
		return log_error_errno(-EINVAL, "template nested too deeply");
	if (n->kind == NODE_SCALAR)
		return 0;
	return expand_children(c, n, depth);
}

/* The profile's extra cloud-config: mappings merge, sequences append, anything else replaces. */
static void merge_extra(struct node *base, const struct node *top)
{
	for (size_t i = 0; i < top->n; i++) {
		struct node *old = node_map_get(base, top->keys[i]);
		const struct node *item = top->items[i];

		if (old && old->kind == NODE_MAP && item->kind == NODE_MAP) {
			merge_extra(old, item);
		} else if (old && old->kind == NODE_SEQ && item->kind == NODE_SEQ) {
			for (size_t j = 0; j < item->n; j++)
				node_seq_append(old, node_copy(item->items[j]));
		} else {
			node_map_set(base, top->keys[i], node_copy(item));
		}
	}
}

static int load_template(const char *name, struct node **ret)
{
	_cleanup_free_ char *rel = xasprintf("templates/%s", name);
	_cleanup_free_ char *path = data_path(rel);
	struct yaml_error err = {0};
	int r;

	r = yaml_parse_file(path, ret, &err);
	if (r < 0)
		return log_error_errno(r, "template '%s':%u:%u: %s", path, err.line, err.column,
				       err.message);
	if (!*ret || (*ret)->kind != NODE_MAP)
		return log_error_errno(-EINVAL, "template '%s' is not a mapping", path);
	return 0;
}

/* The cloud-config document of p, without MIME. */
static int render_cloud_config(const struct profile *p, const struct lock *l,
			       enum render_kind kind, struct strbuf *out)
{
	struct render_ctx c = {.p = p, .l = l, .kind = kind};
	struct node *root = NULL;
	int r;

	r = build_context(&c);
	if (r == 0)
		r = load_template(kind == RENDER_INSTALL ? "install.yaml" : "instance.yaml", &root);
	if (r == 0)
		r = expand(&c, root, 0);
	if (r == 0 && p->cloud_config && p->cloud_config->kind == NODE_MAP)
		merge_extra(root, p->cloud_config);
	if (r == 0)
		r = emit_document(root, "#cloud-config", out);
	node_free(root);
	node_free(c.vars);
	return r;
}

/* MIME multipart/mixed: the cloud-config, then each script; the boundary is a hash of them all. */
static int render_mime(const struct profile *p, const char *cloud_config, size_t len,
		       struct strbuf *out)
{
	struct sha256_state *h = sha256_new();
	char hex[SHA256_HEX_LEN + 1], boundary[64];

	sha256_update(h, cloud_config, len);
	for (size_t i = 0; i < p->scripts->n; i++) {
		const struct node *s = p->scripts->items[i];

		if (s->kind != NODE_SCALAR || !str_starts_with(s->value, "#!")) {
			sha256_free(h);
			return log_error_errno(-EINVAL, "profile '%s': scripts[%zu] must be text "
					       "starting with '#!'", p->name, i);
		}
		if (!utf8_valid(s->value, s->value_len) || memchr(s->value, '\0', s->value_len)) {
			sha256_free(h);
			return log_error_errno(-EILSEQ, "profile '%s': scripts[%zu] is not UTF-8 "
					       "text", p->name, i);
		}
		sha256_update(h, s->value, s->value_len);
	}
	sha256_finish(h, hex);
	snprintf(boundary, sizeof(boundary), "==faasd-image-%.32s==", hex);

	strbuf_addf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\n"
			 "MIME-Version: 1.0\n\n", boundary);
	strbuf_addf(out, "--%s\nContent-Type: text/cloud-config; charset=\"utf-8\"\n"
			 "MIME-Version: 1.0\n"
			 "Content-Disposition: attachment; filename=\"cloud-config.yaml\"\n\n",
		    boundary);
	strbuf_add(out, cloud_config, len);
	for (size_t i = 0; i < p->scripts->n; i++) {
		const struct node *s = p->scripts->items[i];

		/* The line break before a delimiter belongs to it: add one so parts stay exact. */
		strbuf_addf(out, "\n--%s\nContent-Type: text/x-shellscript; charset=\"utf-8\"\n"
				 "MIME-Version: 1.0\n"
				 "Content-Disposition: attachment; filename=\"script-%zu.sh\"\n\n",
			    boundary, i + 1);
		strbuf_add(out, s->value, s->value_len);
	}
	strbuf_addf(out, "\n--%s--\n", boundary);
	return 0;
}

int render_user_data(const struct profile *p, const struct lock *l, enum render_kind kind,
		     struct strbuf *out)
{
	struct strbuf cc = STRBUF_INIT;
	int r;

	r = render_cloud_config(p, l, kind, &cc);
	if (r == 0 && p->scripts && p->scripts->kind == NODE_SEQ && p->scripts->n)
		r = render_mime(p, cc.buf, cc.len, out);
	else if (r == 0)
		strbuf_add(out, cc.buf, cc.len);
	strbuf_release(&cc);
	return r;
}

int render_meta_data_for(const struct profile *p, const char *user_data, size_t user_data_len,
			 struct strbuf *out)
{
	struct sha256_state *h = sha256_new();
	struct node *root = node_new_map();
	char hex[SHA256_HEX_LEN + 1], id[32];
	int r;

	sha256_update(h, p->name, strlen(p->name) + 1);
	sha256_update(h, p->hostname ? p->hostname : "", p->hostname ? strlen(p->hostname) + 1 : 1);
	sha256_update(h, user_data, user_data_len);
	sha256_finish(h, hex);
	snprintf(id, sizeof(id), "faasd-%.16s", hex);

	node_map_set(root, "instance-id", value_string(id));
	if (p->hostname)
		node_map_set(root, "local-hostname", value_string(p->hostname));
	r = emit_document(root, NULL, out);
	node_free(root);
	return r;
}

int render_meta_data(const struct profile *p, struct strbuf *out)
{
	struct strbuf ud = STRBUF_INIT;
	int r = render_user_data(p, NULL, RENDER_INSTANCE, &ud);

	if (r == 0)
		r = render_meta_data_for(p, ud.buf, ud.len, out);
	strbuf_release(&ud);
	return r;
}

static bool has_network(const struct profile *p)
{
	const struct network *n = &p->network;

	return node_map_get(p->tree, "network") || n->ethernet_dhcp || n->ethernet_address ||
	       n->wifi_ssid;
}

int render_network_config(const struct profile *p, struct strbuf *out)
{
	const struct network *net = &p->network;
	struct node *root, *eths, *eth0;
	int r;

	if (!has_network(p))
		return 0;
	root = node_new_map();
	node_map_set(root, "version", value_uint(2));

	eths = node_new_map();
	eth0 = node_new_map();
	if (net->ethernet_address) {
		struct node *addrs = node_new_seq();

		node_seq_append(addrs, value_string(net->ethernet_address));
		node_map_set(eth0, "addresses", addrs);
		if (net->ethernet_gateway)
			node_map_set(eth0, strchr(net->ethernet_gateway, ':') ? "gateway6"
									      : "gateway4",
				     value_string(net->ethernet_gateway));
	} else {
		node_map_set(eth0, "dhcp4", value_bool(true));
	}
	if (net->nameservers && net->nameservers[0]) {
		struct node *ns = node_new_map();

		node_map_set(ns, "addresses", value_strv(net->nameservers));
		node_map_set(eth0, "nameservers", ns);
	}
	node_map_set(eth0, "optional", value_bool(net->wifi_ssid != NULL));
	node_map_set(eths, "eth0", eth0);
	node_map_set(root, "ethernets", eths);

	if (net->wifi_ssid) {
		struct node *wifis = node_new_map(), *wlan0 = node_new_map();
		struct node *aps = node_new_map(), *ap = node_new_map();

		if (net->wifi_passphrase)
			node_map_set(ap, "password", value_string(net->wifi_passphrase));
		node_map_set(aps, net->wifi_ssid, ap);
		node_map_set(wlan0, "dhcp4", value_bool(true));
		node_map_set(wlan0, "optional", value_bool(true));
		node_map_set(wlan0, "access-points", aps);
		node_map_set(wifis, "wlan0", wlan0);
		node_map_set(root, "wifis", wifis);
	}
	r = emit_document(root, NULL, out);
	node_free(root);
	return r < 0 ? r : 1;
}

/* Providers: limits and encodings as docs/cloud-config.md tabulates them. */
static const struct provider_rule rules[_PROVIDER_MAX] = {
	[PROVIDER_GENERIC] = {"generic", 0, false, false, false},
	[PROVIDER_AWS] = {"aws", 16384, false, true, false},
	[PROVIDER_HETZNER] = {"hetzner", 32768, false, true, true},
	[PROVIDER_DIGITALOCEAN] = {"digitalocean", 65536, false, false, false},
	[PROVIDER_LINODE] = {"linode", 16384, true, false, false},
	[PROVIDER_OPENSTACK] = {"openstack", 65535, true, true, false},
};

const struct provider_rule *provider_rule(enum provider p)
{
	return &rules[p];
}

int provider_from_name(const char *name, enum provider *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		if (streq(rules[i].name, name)) {
			*ret = (enum provider)i;
			return 0;
		}
	}
	return -ENOENT;
}

static size_t base64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void base64_encode(const void *data, size_t len, struct strbuf *out)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		size_t left = len - i;

		if (left > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		strbuf_addc(out, tbl[(v >> 18) & 63]);
		strbuf_addc(out, tbl[(v >> 12) & 63]);
		strbuf_addc(out, left > 1 ? tbl[(v >> 6) & 63] : '=');
		strbuf_addc(out, left > 2 ? tbl[v & 63] : '=');
	}
}

int gzip_buffer(const void *data, size_t len, struct strbuf *out)
{
	z_stream zs = {0};
	unsigned char buf[16384];
	int zr;

	/* windowBits 15 + 16: a gzip wrapper with zlib's empty header (mtime 0, no name). */
	if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return -EIO;
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = buf;
		zs.avail_out = sizeof(buf);
		zr = deflate(&zs, Z_FINISH);
		if (zr == Z_STREAM_ERROR) {
			deflateEnd(&zs);
			return -EIO;
		}
		strbuf_add(out, buf, sizeof(buf) - zs.avail_out);
	} while (zr != Z_STREAM_END);
	deflateEnd(&zs);
	return 0;
}

static size_t counted_size(const struct provider_rule *rule, size_t n)
{
	return rule->limit_base64 ? base64_len(n) : n;
}

int provider_encode(enum provider prov, const char *data, size_t len, char **ret,
		    size_t *ret_len, const char **ret_encoding)
{
	const struct provider_rule *rule = provider_rule(prov);
	struct strbuf gz = STRBUF_INIT, b64 = STRBUF_INIT;
	size_t size = counted_size(rule, len);
	int r;

	if (!rule->limit || size <= rule->limit) {
		*ret = xstrndup(data, len);
		*ret_len = len;
		*ret_encoding = "plain";
		return 0;
	}
	if (!rule->gzip)
		return log_error_errno(-EFBIG, "user-data for %s is %zu bytes%s, over its limit "
				       "of %zu, and %s takes no compressed user-data",
				       rule->name, size, rule->limit_base64 ? " as base64" : "",
				       rule->limit, rule->name);

	r = gzip_buffer(data, len, &gz);
	if (r < 0)
		return log_error_errno(r, "cannot compress the user-data");
	if (rule->base64_output) {
		base64_encode(gz.buf, gz.len, &b64);
		size = b64.len;
	} else {
		size = counted_size(rule, gz.len);
	}
	if (size > rule->limit) {
		strbuf_release(&gz);
		strbuf_release(&b64);
		return log_error_errno(-EFBIG, "user-data for %s is %zu bytes even compressed, "
				       "over its limit of %zu", rule->name, size, rule->limit);
	}
	if (rule->base64_output) {
		*ret = strbuf_detach(&b64, ret_len);
		*ret_encoding = "gzip+base64";
	} else {
		*ret = strbuf_detach(&gz, ret_len);
		*ret_encoding = "gzip";
	}
	strbuf_release(&gz);
	strbuf_release(&b64);
	return 0;
}
