// SPDX-License-Identifier: MIT
/*
 * Making the plan of a build from a profile and the lock. Everything the
 * later stages do is decided here, from validated values only, so that a
 * dry run shows the whole build and two builds of the same inputs do the
 * same thing. No file is read and nothing is fetched: where a file's
 * content is generated (sysctls, the faasd fetch settings, cloud-init's
 * datasource list) the text is made here; where it is a template or an
 * artifact, only its name is recorded.
 */
#include <errno.h>
#include <inttypes.h>

#include "board-rpi.h"
#include "log.h"
#include "manifest.h"
#include "plan.h"
#include "util.h"

/* The members of the upstream tarballs that faasd needs (REFERENCE.md). */
static const char *const containerd_members[] = {
	"bin/containerd", "bin/containerd-shim-runc-v2", "bin/ctr", NULL,
};
static const char *const cni_members[] = {
	"bridge", "host-local", "firewall", "loopback", NULL,
};

/* What every image needs, whatever the profile says (TESTBED.md, REFERENCE.md). */
static const char *const base_packages[] = {
	"systemd-sysv", "systemd-resolved", "udev", "dbus", "kmod", "cloud-init",
	"openssh-server", "ca-certificates", "iproute2", "curl", "e2fsprogs", "iptables",
	"bridge-utils", "sudo",
};

static void add_file(struct plan *p, enum plan_file_kind kind, const char *path, mode_t mode,
		     const char *source, int artifact)
{
	struct plan_file *f;

	p->files = xrealloc(p->files, (p->n_files + 1) * sizeof(*p->files));
	f = &p->files[p->n_files++];
	f->kind = kind;
	f->path = xstrdup(path);
	f->mode = mode;
	f->source = source ? xstrdup(source) : NULL;
	f->artifact = artifact;
	f->members = NULL;
}

static void add_archive(struct plan *p, const char *dir, int artifact,
			const char *const *members)
{
	add_file(p, PLAN_FILE_ARCHIVE, dir, 0755, NULL, artifact);
	p->files[p->n_files - 1].members = strv_copy((char *const *)members);
}

static void add_text(struct plan *p, const char *path, mode_t mode, char *content_owned)
{
	add_file(p, PLAN_FILE_TEXT, path, mode, content_owned, -1);
	free(content_owned);
}

static void add_template(struct plan *p, const char *path, mode_t mode, const char *name)
{
	add_file(p, PLAN_FILE_TEMPLATE, path, mode, name, -1);
}

static void add_unit(struct plan *p, const char *unit)
{
	if (!strv_contains(p->units, unit))
		strv_push(&p->units, unit);
}

/* Finds a pinned artifact and adds it to the plan; returns its index or a negative errno. */
static int need_artifact(struct plan *p, const char *component, const char *version,
			 const char *arch, bool baked)
{
	const struct lock_artifact *a;

	if (str_empty(version))
		return log_error_errno(-EINVAL, "profile '%s': %s from upstream needs a version",
				       p->name, component);

	a = lock_find(p->lock, component, version, arch);
	if (!a)
		return log_error_errno(-ENOENT, "lock '%s' has no %s %s for %s; add it with "
				       "'faasd-image lock'", p->lock->path, component, version,
				       arch);
	if (!a->sha256)
		return log_error_errno(-ENOKEY, "lock '%s': %s %s (%s) has no sha256 pinned; "
				       "pin it with 'faasd-image lock --update' before building",
				       p->lock->path, component, version, a->arch);

	for (size_t i = 0; i < p->n_artifacts; i++)
		if (p->artifacts[i].lock == a) {
			p->artifacts[i].baked |= baked;
			return (int)i;
		}
	p->artifacts = xrealloc(p->artifacts, (p->n_artifacts + 1) * sizeof(*p->artifacts));
	p->artifacts[p->n_artifacts] = (struct plan_artifact){.lock = a, .baked = baked};
	return (int)p->n_artifacts++;
}

static void plan_base(struct plan *p, const struct profile *prof)
{
	const char *kernel = prof->arch == ARCH_ARM64 ? "linux-image-arm64"
						      : "linux-image-cloud-amd64";

	p->base.kind = prof->base.kind;
	p->base.suite = xstrdup(str_empty(prof->base.suite) ? "bookworm" : prof->base.suite);
	p->base.mirror = prof->base.mirror ? xstrdup(prof->base.mirror) : NULL;
	p->base.components = prof->base.components && prof->base.components[0]
				     ? strv_copy(prof->base.components)
				     : NULL;
	if (!p->base.components)
		strv_push(&p->base.components, "main");
	p->base.variant = xstrdup(str_empty(prof->base.variant) ? "apt" : prof->base.variant);
	p->base.arch = xstrdup(arch_name(prof->arch));

	for (size_t i = 0; i < ARRAY_SIZE(base_packages); i++)
		strv_push(&p->base.packages, base_packages[i]);
	strv_push(&p->base.packages, kernel);
	if (prof->containerd.source == SOURCE_DISTRO)
		strv_push(&p->base.packages, "containerd");
	if (prof->runc.source == SOURCE_DISTRO)
		strv_push(&p->base.packages, "runc");
	if (prof->cni.source == SOURCE_DISTRO)
		strv_push(&p->base.packages, "containernetworking-plugins");
	if (!str_empty(prof->locale) && !streq(prof->locale, "C.UTF-8"))
		strv_push(&p->base.packages, "locales");
	/* cloud-init's timezone module needs the zone's file in the image. */
	if (!str_empty(prof->timezone) && !streq(prof->timezone, "UTC"))
		strv_push(&p->base.packages, "tzdata");
	if (board_is_rpi(prof->board))
		for (const char *const *pkg = board_rpi_packages(prof->board); pkg && *pkg; pkg++)
			strv_push(&p->base.packages, *pkg);
	for (char **pkg = prof->packages; pkg && *pkg; pkg++)
		strv_push(&p->base.packages, *pkg);
	strv_sort_unique(p->base.packages);
}

static int plan_containerd(struct plan *p, const struct profile *prof, const char *arch)
{
	int i;

	switch (prof->containerd.source) {
	case SOURCE_UPSTREAM:
		i = need_artifact(p, COMPONENT_CONTAINERD, prof->containerd.version, arch, true);
		if (i < 0)
			return i;
		add_archive(p, "/usr/local/bin", i, containerd_members);
		add_template(p, "/etc/systemd/system/containerd.service", 0644,
			     "containerd.service");
		break;
	case SOURCE_DISTRO:
	case SOURCE_NONE:
		break;
	}
	if (prof->containerd.source != SOURCE_NONE)
		add_unit(p, "containerd.service");

	if (prof->runc.source == SOURCE_UPSTREAM) {
		i = need_artifact(p, COMPONENT_RUNC, prof->runc.version, arch, true);
		if (i < 0)
			return i;
		add_file(p, PLAN_FILE_ARTIFACT, "/usr/local/sbin/runc", 0755, NULL, i);
	}

	add_file(p, PLAN_FILE_DIR, "/opt/cni", 0755, NULL, -1);
	if (prof->cni.source == SOURCE_UPSTREAM) {
		i = need_artifact(p, COMPONENT_CNI, prof->cni.version, arch, true);
		if (i < 0)
			return i;
		add_archive(p, "/opt/cni/bin", i, cni_members);
	} else if (prof->cni.source == SOURCE_DISTRO) {
		add_file(p, PLAN_FILE_SYMLINK, "/opt/cni/bin", 0777, "/usr/lib/cni", -1);
	}
	return 0;
}

static char *sysctl_text(const struct profile *prof)
{
	struct strbuf sb = STRBUF_INIT;
	bool forwarding = false;

	strbuf_adds(&sb, "# faasd-image: kernel settings faasd needs (profile sysctls)\n");
	for (size_t i = 0; prof->sysctl_keys && prof->sysctl_keys[i]; i++) {
		strbuf_addf(&sb, "%s = %s\n", prof->sysctl_keys[i], prof->sysctl_values[i]);
		forwarding |= streq(prof->sysctl_keys[i], "net.ipv4.conf.all.forwarding");
	}
	/* faasd's bridge network does not work without it. */
	if (!forwarding)
		strbuf_adds(&sb, "net.ipv4.conf.all.forwarding = 1\n");
	return strbuf_detach(&sb, NULL);
}

static char *modules_text(const struct profile *prof)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "# faasd-image: modules faasd needs (profile modules)\n");
	for (char **m = prof->modules; m && *m; m++)
		strbuf_addf(&sb, "%s\n", *m);
	return strbuf_detach(&sb, NULL);
}

static char *cloud_cfg_text(const struct profile *prof)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "# faasd-image: where this image finds its per-instance settings\n");
	strbuf_adds(&sb, "datasource_list: [ NoCloud, None ]\n");
	if (str_empty(prof->locale) || streq(prof->locale, "C.UTF-8"))
		strbuf_adds(&sb, "locale: C.UTF-8\n");
	return strbuf_detach(&sb, NULL);
}

static char *faasd_env_text(const struct lock_artifact *a)
{
	return xasprintf("# faasd-image: the faasd that faasd-fetch.service installs at first "
			 "boot\n# (a URL in /etc/faasd-image/faasd-url overrides FAASD_URL; the "
			 "sha256 never changes)\nFAASD_VERSION=%s\nFAASD_URL=%s\nFAASD_SHA256=%s\n",
			 a->version, a->url, a->sha256);
}

static int plan_faasd(struct plan *p, const struct profile *prof, const char *arch)
{
	bool baked = prof->delivery == DELIVERY_BAKED;
	static const struct {
		const char *component, *path;
	} compose[] = {
		{COMPONENT_FAASD_COMPOSE, "/var/lib/faasd/docker-compose.yaml"},
		{COMPONENT_FAASD_PROMETHEUS, "/var/lib/faasd/prometheus.yml"},
		{COMPONENT_FAASD_RESOLV, "/var/lib/faasd/resolv.conf"},
	};
	int i;

	i = need_artifact(p, COMPONENT_FAASD, prof->faasd.version, arch, baked);
	if (i < 0)
		return i;
	p->faasd = p->artifacts[i].lock;

	if (baked) {
		add_file(p, PLAN_FILE_ARTIFACT, "/usr/local/bin/faasd", 0755, NULL, i);
	} else {
		add_text(p, "/etc/faasd-image/faasd.env", 0644, faasd_env_text(p->faasd));
		add_template(p, "/usr/libexec/faasd-image/fetch-faasd", 0755, "units/fetch-faasd");
		add_template(p, "/etc/systemd/system/faasd-fetch.service", 0644,
			     "units/faasd-fetch.service");
		add_unit(p, "faasd-fetch.service");
	}

	add_file(p, PLAN_FILE_DIR, "/var/lib/faasd", 0755, NULL, -1);
	add_file(p, PLAN_FILE_DIR, "/var/lib/faasd-provider", 0755, NULL, -1);
	for (size_t k = 0; k < ARRAY_SIZE(compose); k++) {
		i = need_artifact(p, compose[k].component, prof->faasd.version, "all", true);
		if (i < 0)
			return i;
		add_file(p, PLAN_FILE_ARTIFACT, compose[k].path, 0644, NULL, i);
	}

	add_template(p, "/usr/libexec/faasd-image/make-secrets", 0755, "make-secrets.sh");
	add_template(p, "/etc/systemd/system/faasd-secrets.service", 0644,
		     "faasd-secrets.service");
	add_unit(p, "faasd-secrets.service");
	add_template(p, "/etc/systemd/system/faasd-provider.service", 0644,
		     "faasd-provider.service");
	add_template(p, "/etc/systemd/system/faasd.service", 0644, "faasd.service");
	add_unit(p, "faasd-provider.service");
	add_unit(p, "faasd.service");

	if (prof->faas_cli.source == SOURCE_UPSTREAM) {
		i = need_artifact(p, COMPONENT_FAAS_CLI, prof->faas_cli.version, arch, true);
		if (i < 0)
			return i;
		add_file(p, PLAN_FILE_ARTIFACT, "/usr/local/bin/faas-cli", 0755, NULL, i);
	}
	return 0;
}

static int plan_preload(struct plan *p, const struct profile *prof)
{
	if (!prof->preload_images)
		return 0;
	if (str_empty(prof->images_from) || prof->images_from[0] != '/')
		/* TODO(bake): images from registries; now: refused; until: skopeo pulls land */
		return log_error_errno(-EINVAL, "profile '%s': faasd.preload_images needs "
				       "faasd.images_from set to a directory of OCI archives; "
				       "pulling from registries is not supported", p->name);

	add_file(p, PLAN_FILE_IMAGES, "/var/lib/faasd-image/images", 0755, prof->images_from, -1);
	add_template(p, "/usr/libexec/faasd-image/preload-images", 0755, "units/preload-images");
	add_template(p, "/etc/systemd/system/faasd-preload.service", 0644,
		     "units/faasd-preload.service");
	add_unit(p, "faasd-preload.service");
	return 0;
}

static void plan_system(struct plan *p, const struct profile *prof)
{
	add_text(p, "/etc/sysctl.d/90-faasd.conf", 0644, sysctl_text(prof));
	if (prof->modules && prof->modules[0])
		add_text(p, "/etc/modules-load.d/faasd.conf", 0644, modules_text(prof));
	add_text(p, "/etc/cloud/cloud.cfg.d/90-faasd-image.cfg", 0644, cloud_cfg_text(prof));
	add_text(p, "/etc/hostname", 0644, xstrdup("localhost\n"));
	/* A cloud image brings its own network set-up, which cloud-init renders for it. */
	if (prof->base.kind != BASE_CLOUD_IMAGE) {
		add_template(p, "/etc/systemd/network/90-faasd-image-dhcp.network", 0644,
			     "units/90-faasd-image-dhcp.network");
		add_unit(p, "systemd-networkd.service");
		add_unit(p, "systemd-networkd-wait-online.service");
		add_unit(p, "systemd-resolved.service");
	}
	add_template(p, "/usr/libexec/faasd-image/report-status", 0755, "report-status.sh");
	add_template(p, "/etc/systemd/system/faasd-image-status.service", 0644,
		     "faasd-image-status.service");
	add_unit(p, "faasd-image-status.service");
}

static void add_output(struct plan *p, enum output kind, const char *name)
{
	struct plan_output *o;

	p->outputs = xrealloc(p->outputs, (p->n_outputs + 1) * sizeof(*p->outputs));
	o = &p->outputs[p->n_outputs++];
	o->kind = kind;
	o->name = xstrdup(name);
	o->path = path_join(p->out_dir, name);
}

static void plan_outputs(struct plan *p, unsigned outputs)
{
	static const struct {
		enum output kind;
		const char *suffix;
	} table[] = {
		{OUTPUT_RAW, ".raw"},           {OUTPUT_QCOW2, ".qcow2"},
		{OUTPUT_IMG, ".img"},           {OUTPUT_IMG, ".img.bmap"},
		{OUTPUT_IMG_XZ, ".img.xz"},     {OUTPUT_SQUASHFS, ".squashfs"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (outputs & table[i].kind) {
			_cleanup_free_ char *name = xasprintf("%s%s", p->name, table[i].suffix);

			add_output(p, table[i].kind, name);
		}
	if (outputs & OUTPUT_USER_DATA)
		add_output(p, OUTPUT_USER_DATA, "user-data");
	if (outputs & OUTPUT_SEED)
		add_output(p, OUTPUT_SEED, "seed.img");
}

static int plan_epoch(struct plan *p, const struct profile *prof, const char *env)
{
	if (prof->source_date_epoch) {
		p->source_date_epoch = prof->source_date_epoch;
		p->source_date_epoch_from = "profile";
	} else if (!str_empty(env)) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);

		if (*end || env[0] == '-')
			return log_error_errno(-EINVAL, "SOURCE_DATE_EPOCH '%s' is not a number of "
					       "seconds", env);
		p->source_date_epoch = v;
		p->source_date_epoch_from = "environment";
	} else {
		p->source_date_epoch = p->lock->source_date_epoch;
		p->source_date_epoch_from = "lock";
	}
	return 0;
}

/*
 * A cloud image base: the lock's image entry of the profile's arch. The
 * disk is the image itself, customized through libguestfs, so only disk
 * outputs of a generic machine can come of it: a squashfs needs a tree
 * on the host, and a Raspberry Pi SD image its own partition layout.
 */
static int plan_cloud_image(struct plan *p, const struct profile *prof, const char *arch)
{
	const unsigned not_from_image = OUTPUT_SQUASHFS | OUTPUT_IMG | OUTPUT_IMG_XZ;

	if (prof->base.kind != BASE_CLOUD_IMAGE)
		return 0;
	if (prof->outputs & not_from_image)
		return log_error_errno(-EINVAL, "profile '%s': outputs %s cannot be made from a "
				       "cloud image base (customized in place through libguestfs, "
				       "there is no tree to pack); use qcow2 or raw, or base.kind "
				       "bootstrap", prof->name,
				       prof->outputs & OUTPUT_SQUASHFS ? "squashfs" : "img");
	if (board_is_rpi(prof->board))
		return log_error_errno(-EINVAL, "profile '%s': board %s needs base.kind bootstrap, "
				       "a cloud image base is for generic machines", prof->name,
				       board_name(prof->board));
	p->base.image = prof->base.image ? lock_find_image(p->lock, prof->base.image, arch)
					 : NULL;
	if (!p->base.image)
		return log_error_errno(-ENOENT, "the lock '%s' has no image '%s %s'",
				       p->lock->path, prof->base.image ? prof->base.image
								       : "(none named)", arch);
	if (!p->base.image->sha256)
		return log_error_errno(-ENOKEY, "the lock '%s': image '%s %s' has no sha256; run "
				       "'faasd-image lock --update'", p->lock->path,
				       p->base.image->name, arch);
	return 0;
}

int plan_make(const struct profile *profile, const struct lock *lock, const char *out_root,
	      const char *env_source_date_epoch, struct plan **ret)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	const char *arch = arch_name(profile->arch);
	int r;

	p->profile = profile;
	p->lock = lock;
	p->name = xstrdup(profile->name);
	p->out_dir = path_join(out_root, profile->name);

	plan_base(p, profile);
	r = plan_cloud_image(p, profile, arch);
	if (r == 0)
		r = plan_epoch(p, profile, env_source_date_epoch);
	if (r == 0)
		r = plan_containerd(p, profile, arch);
	if (r == 0)
		r = plan_faasd(p, profile, arch);
	if (r == 0)
		r = plan_preload(p, profile);
	if (r < 0) {
		plan_free(p);
		return r;
	}
	plan_system(p, profile);
	plan_outputs(p, profile->outputs);
	p->needs_image = profile->outputs & (OUTPUT_QCOW2 | OUTPUT_RAW | OUTPUT_IMG |
					     OUTPUT_IMG_XZ | OUTPUT_SQUASHFS);

	*ret = p;
	return 0;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->out_dir);
	free(p->base.suite);
	free(p->base.mirror);
	strv_free(p->base.components);
	free(p->base.variant);
	free(p->base.arch);
	strv_free(p->base.packages);
	for (size_t i = 0; i < p->n_artifacts; i++)
		free(p->artifacts[i].cache_path);
	free(p->artifacts);
	for (size_t i = 0; i < p->n_files; i++) {
		free(p->files[i].path);
		free(p->files[i].source);
		strv_free(p->files[i].members);
	}
	free(p->files);
	strv_free(p->units);
	for (size_t i = 0; i < p->n_outputs; i++) {
		free(p->outputs[i].name);
		free(p->outputs[i].path);
	}
	free(p->outputs);
	free(p);
}

const struct plan_output *plan_output_find(const struct plan *p, enum output kind)
{
	for (size_t i = 0; i < p->n_outputs; i++)
		if (p->outputs[i].kind == kind)
			return &p->outputs[i];
	return NULL;
}

struct plan_artifact *plan_artifact_find(const struct plan *p, const char *component)
{
	for (size_t i = 0; i < p->n_artifacts; i++)
		if (streq(p->artifacts[i].lock->component, component))
			return &p->artifacts[i];
	return NULL;
}

static const char *file_kind_name(enum plan_file_kind k)
{
	static const char *const names[] = {
		[PLAN_FILE_TEXT] = "generated", [PLAN_FILE_TEMPLATE] = "template",
		[PLAN_FILE_ARTIFACT] = "artifact", [PLAN_FILE_ARCHIVE] = "archive",
		[PLAN_FILE_SYMLINK] = "symlink",   [PLAN_FILE_DIR] = "directory",
		[PLAN_FILE_IMAGES] = "images",
	};

	return names[k];
}

/* Where a file comes from, in a few words. Caller frees. */
static char *file_origin(const struct plan *p, const struct plan_file *f)
{
	switch (f->kind) {
	case PLAN_FILE_TEMPLATE:
		return xasprintf("templates/%s", f->source);
	case PLAN_FILE_ARTIFACT:
	case PLAN_FILE_ARCHIVE:
		return xasprintf("%s %s (%s)", p->artifacts[f->artifact].lock->component,
				 p->artifacts[f->artifact].lock->version,
				 p->artifacts[f->artifact].lock->arch);
	case PLAN_FILE_SYMLINK:
		return xasprintf("-> %s", f->source);
	case PLAN_FILE_IMAGES:
		return xasprintf("OCI archives from '%s'", f->source);
	default:
		return xstrdup("");
	}
}

void plan_format_text(const struct plan *p, struct strbuf *out)
{
	const struct profile *prof = p->profile;

	strbuf_addf(out, "profile      %s (%s, %s)\n", p->name, arch_name(prof->arch),
		    board_name(prof->board));
	strbuf_addf(out, "delivery     faasd %s %s\n", p->faasd->version,
		    prof->delivery == DELIVERY_BAKED
			    ? "baked into the image (for your own machines only: the faasd CE "
			      "EULA forbids redistributing it)"
			    : "fetched and verified at first boot (no faasd binary in the image)");
	if (!p->needs_image)
		strbuf_adds(out, "image        none: user-data only, installing the stack at first "
				 "boot (the base and files below are not built)\n");
	if (p->base.image) {
		strbuf_addf(out, "base         cloud image %s %s, %s, sha256 %s\n",
			    p->base.image->name, p->base.image->arch, p->base.image->url,
			    p->base.image->sha256);
		strbuf_adds(out, "packages     the image's own (none added)");
	} else {
		strbuf_addf(out, "base         mmdebstrap %s %s, variant %s, components ",
			    p->base.suite, p->base.arch, p->base.variant);
		for (char **c = p->base.components; *c; c++)
			strbuf_addf(out, "%s%s", *c, c[1] ? "," : "");
		strbuf_addf(out, ", mirror %s\n",
			    p->base.mirror ? p->base.mirror : "(mmdebstrap default)");
		strbuf_adds(out, "packages    ");
		for (char **pkg = p->base.packages; *pkg; pkg++)
			strbuf_addf(out, " %s", *pkg);
	}
	strbuf_adds(out, "\nartifacts\n");
	for (size_t i = 0; i < p->n_artifacts; i++) {
		const struct lock_artifact *a = p->artifacts[i].lock;

		strbuf_addf(out, "  %-16s %-8s %-5s %s %s\n    %s\n", a->component, a->version,
			    a->arch, p->artifacts[i].baked ? "baked" : "hash-only", a->sha256,
			    a->url);
	}
	strbuf_adds(out, "files\n");
	for (size_t i = 0; i < p->n_files; i++) {
		_cleanup_free_ char *origin = file_origin(p, &p->files[i]);

		strbuf_addf(out, "  %-48s %04o %-9s %s\n", p->files[i].path, p->files[i].mode,
			    file_kind_name(p->files[i].kind),
			    p->files[i].kind == PLAN_FILE_TEXT ? "" : origin);
	}
	strbuf_adds(out, "units       ");
	for (char **u = p->units; u && *u; u++)
		strbuf_addf(out, " %s", *u);
	strbuf_adds(out, "\noutputs\n");
	for (size_t i = 0; i < p->n_outputs; i++)
		strbuf_addf(out, "  %s\n", p->outputs[i].path);
	strbuf_addf(out, "source_date_epoch %" PRIu64 " (from the %s)\n", p->source_date_epoch,
		    p->source_date_epoch_from);
}

static struct node *plan_json_base(const struct plan *p)
{
	struct node *base = node_new_map();

	if (p->base.image) {
		node_map_set(base, "kind", json_string("cloud-image"));
		node_map_set(base, "image", json_string(p->base.image->name));
		node_map_set(base, "arch", json_string(p->base.image->arch));
		node_map_set(base, "url", json_string(p->base.image->url));
		node_map_set(base, "sha256", json_string(p->base.image->sha256));
		return base;
	}
	node_map_set(base, "kind", json_string("bootstrap"));
	node_map_set(base, "suite", json_string(p->base.suite));
	node_map_set(base, "arch", json_string(p->base.arch));
	node_map_set(base, "variant", json_string(p->base.variant));
	node_map_set(base, "mirror", p->base.mirror ? json_string(p->base.mirror)
						    : json_null());
	node_map_set(base, "components", json_strv(p->base.components));
	node_map_set(base, "packages", json_strv(p->base.packages));
	return base;
}

static struct node *plan_json_files(const struct plan *p)
{
	struct node *files = node_new_seq();
	char mode[8];

	for (size_t i = 0; i < p->n_files; i++) {
		const struct plan_file *f = &p->files[i];
		struct node *m = node_new_map();

		snprintf(mode, sizeof(mode), "%04o", f->mode);
		node_map_set(m, "path", json_string(f->path));
		node_map_set(m, "mode", json_string(mode));
		node_map_set(m, "kind", json_string(file_kind_name(f->kind)));
		if (f->kind == PLAN_FILE_ARTIFACT || f->kind == PLAN_FILE_ARCHIVE)
			node_map_set(m, "artifact",
				     json_string(p->artifacts[f->artifact].lock->component));
		if (f->members)
			node_map_set(m, "members", json_strv(f->members));
		else if (f->source)
			node_map_set(m, f->kind == PLAN_FILE_TEXT ? "content" : "source",
				     json_string(f->source));
		node_seq_append(files, m);
	}
	return files;
}

struct node *plan_json_artifacts(const struct plan *p)
{
	struct node *list = node_new_seq();

	for (size_t i = 0; i < p->n_artifacts; i++) {
		const struct lock_artifact *a = p->artifacts[i].lock;
		struct node *m = node_new_map();

		node_map_set(m, "component", json_string(a->component));
		node_map_set(m, "version", json_string(a->version));
		node_map_set(m, "arch", json_string(a->arch));
		node_map_set(m, "url", json_string(a->url));
		node_map_set(m, "sha256", json_string(a->sha256));
		node_map_set(m, "baked", json_boolean(p->artifacts[i].baked));
		node_seq_append(list, m);
	}
	if (p->base.image) {
		struct node *m = node_new_map();

		node_map_set(m, "component", json_string("base-image"));
		node_map_set(m, "version", json_string(p->base.image->name));
		node_map_set(m, "arch", json_string(p->base.image->arch));
		node_map_set(m, "url", json_string(p->base.image->url));
		node_map_set(m, "sha256", json_string(p->base.image->sha256));
		node_map_set(m, "baked", json_boolean(true));
		node_seq_append(list, m);
	}
	return list;
}

void plan_format_json(const struct plan *p, struct strbuf *out)
{
	struct node *root = node_new_map(), *outputs = node_new_seq();

	node_map_set(root, "profile", json_string(p->name));
	node_map_set(root, "arch", json_string(arch_name(p->profile->arch)));
	node_map_set(root, "board", json_string(board_name(p->profile->board)));
	node_map_set(root, "delivery", json_string(delivery_name(p->profile->delivery)));
	node_map_set(root, "out_dir", json_string(p->out_dir));
	node_map_set(root, "image", json_boolean(p->needs_image));
	node_map_set(root, "base", plan_json_base(p));
	node_map_set(root, "artifacts", plan_json_artifacts(p));
	node_map_set(root, "files", plan_json_files(p));
	node_map_set(root, "units", json_strv(p->units));
	for (size_t i = 0; i < p->n_outputs; i++)
		node_seq_append(outputs, json_string(p->outputs[i].path));
	node_map_set(root, "outputs", outputs);
	node_map_set(root, "source_date_epoch", json_number(p->source_date_epoch));
	node_map_set(root, "source_date_epoch_from", json_string(p->source_date_epoch_from));

	json_write(root, out);
	strbuf_addc(out, '\n');
	node_free(root);
}
