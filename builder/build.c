// SPDX-License-Identifier: MIT
/*
 * The build pipeline. One function per stage, each timed and logged under
 * the stage's name; between stages the signal flag is checked so that a
 * Ctrl-C unwinds through the registered temporaries. Outputs are made as
 * temporaries ("pending") beside their final names and renamed all
 * together in the last stage, right before manifest.json and SHA256SUMS,
 * so that a build either replaces the whole set or leaves it alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "base-bootstrap.h"
#include "base-image.h"
#include "board-rpi.h"
#include "build.h"
#include "convert.h"
#include "disk.h"
#include "fetch.h"
#include "hygiene.h"
#include "log.h"
#include "paths.h"
#include "render.h"
#include "rootfs.h"
#include "run.h"
#include "seed.h"
#include "stack.h"
#include "util.h"
#include "verify.h"

struct pending {
	char *tmp;
	char *final;
	char *name;
};

struct build_ctx {
	struct plan *plan;
	const struct build_opts *opts;
	struct build_report *report;
	char *root; /* the tree, a registered temporary */
	char *work; /* scratch directory, a registered temporary */
	char *boot; /* Raspberry Pi: the files of the boot partition, inside work */
	char *raw;  /* the assembled raw disk */
	bool raw_is_temporary; /* not an output: removed at the end */
	/* Cloud image base: the verified image in the cache, the customized working copy
	 * while open, and the finished disk (a registered temporary) that convert reads. */
	char *image;
	struct base_image *bi;
	char *disk;
	struct pending *pending;
	size_t n_pending;
};

static const char *const stage_names[] = {
	[STAGE_FETCH] = "fetch",       [STAGE_BASE] = "base",       [STAGE_STACK] = "stack",
	[STAGE_HYGIENE] = "hygiene",   [STAGE_ASSEMBLE] = "assemble",
	[STAGE_CONVERT] = "convert",   [STAGE_INSTANCE] = "instance",
	[STAGE_MANIFEST] = "manifest",
};

const char *build_stage_name(enum build_stage s)
{
	return s < _STAGE_MAX ? stage_names[s] : "build";
}

/* A temporary for the output called name; registered, and remembered for the final rename. */
static char *pending_add(struct build_ctx *c, const char *name)
{
	_cleanup_free_ char *final = path_join(c->plan->out_dir, name);
	struct pending *p;

	c->pending = xrealloc(c->pending, (c->n_pending + 1) * sizeof(*c->pending));
	p = &c->pending[c->n_pending++];
	p->final = TAKE_PTR(final);
	p->tmp = temp_name_for(p->final);
	p->name = xstrdup(name);
	temp_register(p->tmp);
	return p->tmp;
}

static int stage_fetch(struct build_ctx *c)
{
	struct fetch_opts fo = {
		.offline = c->opts->offline,
		.mirror = c->opts->mirror,
		.allow_http = c->opts->allow_http,
	};
	size_t fetched = 0, cached = 0;

	for (size_t i = 0; i < c->plan->n_artifacts; i++) {
		struct plan_artifact *a = &c->plan->artifacts[i];
		bool was_cached = false;
		int r;

		if (!a->baked)
			continue;
		if (interrupted())
			return -EINTR;
		r = fetch_artifact(a->lock, &fo, &a->cache_path, &was_cached);
		if (r < 0)
			return r;
		if (was_cached)
			cached++;
		else
			fetched++;
	}
	if (c->plan->base.image) {
		bool was_cached = false;
		int r;

		if (interrupted())
			return -EINTR;
		r = fetch_image(c->plan->base.image, &fo, &c->image, &was_cached);
		if (r < 0)
			return r;
		if (was_cached)
			cached++;
		else
			fetched++;
	}
	log_info("%zu artifacts verified (%zu downloaded, %zu from the cache)", fetched + cached,
		 fetched, cached);
	return 0;
}

static int compare_packages(const void *a, const void *b)
{
	return strcmp(((const struct package *)a)->name, ((const struct package *)b)->name);
}

/* The value of the field at line (after "Name:"), up to the end of the line. */
static char *dpkg_field(const char *line, const char *end)
{
	while (line < end && (*line == ' ' || *line == '\t'))
		line++;
	return xstrndup(line, end - line);
}

/*
 * The installed packages of a dpkg status file (text, NUL-terminated),
 * sorted by name, appended to *ret. Stanzas whose Status is not
 * "install ok installed" are left out.
 */
static void parse_dpkg_status(const char *text, struct package_list *ret)
{
	struct package cur = {0};
	bool installed = false;
	const char *line = text;

	for (;;) {
		const char *end = strchrnul(line, '\n');

		if (end == line) { /* a blank line or the end: the stanza is over */
			if (installed && cur.name) {
				size_t size = (ret->n + 1) * sizeof(*ret->items);

				ret->items = xrealloc(ret->items, size);
				ret->items[ret->n++] = cur;
			} else {
				free(cur.name);
				free(cur.version);
				free(cur.arch);
			}
			cur = (struct package){0};
			installed = false;
		} else if (!strncmp(line, "Package:", 8) && !cur.name) {
			cur.name = dpkg_field(line + 8, end);
		} else if (!strncmp(line, "Version:", 8) && !cur.version) {
			cur.version = dpkg_field(line + 8, end);
		} else if (!strncmp(line, "Architecture:", 13) && !cur.arch) {
			cur.arch = dpkg_field(line + 13, end);
		} else if (!strncmp(line, "Status:", 7)) {
			_cleanup_free_ char *st = dpkg_field(line + 7, end);

			installed = streq(st, "install ok installed");
		}
		if (!*end && end == line)
			break;
		line = *end ? end + 1 : end;
	}
	if (ret->n)
		qsort(ret->items, ret->n, sizeof(*ret->items), compare_packages);
}

#define DPKG_STATUS_MAX (64u << 20)

/* Cloud image base: a verified copy of the image, opened, its packages read for the manifest. */
static int stage_base_image(struct build_ctx *c)
{
	/* Not the output's name: convert writes the qcow2 output from this copy. */
	_cleanup_free_ char *work_path = xasprintf("%s/%s.work.qcow2", c->plan->out_dir,
						   c->plan->name);
	_cleanup_free_ char *status = NULL;
	struct base_image_opts o = {
		.image = c->image,
		.work_path = work_path,
		.arch = c->plan->profile->arch,
		.disk_size = c->plan->profile->disk_size,
	};
	size_t len = 0;
	int r;

	r = base_image_open(&o, &c->bi);
	if (r < 0)
		return r;
	r = rootfs_read_file(base_image_rootfs(c->bi), "/var/lib/dpkg/status", DPKG_STATUS_MAX,
			     &status, &len);
	if (r < 0)
		log_warn("cannot read the image's dpkg status: %s; the manifest lists no packages",
			 strerror(-r));
	else
		parse_dpkg_status(status, &c->report->packages);
	log_info("base image %s (%s) of %zu packages, sha256 %.16s...", c->plan->base.image->name,
		 c->plan->base.image->arch, c->report->packages.n, c->plan->base.image->sha256);
	return 0;
}

static int stage_base(struct build_ctx *c)
{
	_cleanup_free_ char *name = path_join(c->plan->out_dir, "rootfs");
	struct bootstrap_result res;
	int r;

	if (c->plan->base.image)
		return stage_base_image(c);
	c->root = temp_name_for(name);
	r = bootstrap_base(c->plan, c->root, &res);
	if (r < 0)
		return r;
	c->report->base_cached = res.cached;
	c->report->base_cache_key = TAKE_PTR(res.cache_key);
	c->report->packages = res.packages;
	res.packages = (struct package_list){0};
	log_info("base tree of %zu packages%s", c->report->packages.n,
		 res.cached ? ", unpacked from the cache (no bootstrap)" : "");
	bootstrap_result_release(&res);
	return 0;
}

static int stage_stack(struct build_ctx *c)
{
	_cleanup_free_ char *name = path_join(c->plan->out_dir, "work");
	_cleanup_(rootfs_freep) struct rootfs *dir_fs = NULL;
	struct rootfs *fs;
	int r;

	c->work = temp_name_for(name);
	temp_register(c->work);
	r = mkdir_p(c->work, 0755);
	if (r < 0)
		return log_error_errno(r, "cannot make '%s': %s", c->work, strerror(-r));

	if (c->bi) {
		fs = base_image_rootfs(c->bi); /* the image's, owned by c->bi */
	} else {
		r = rootfs_dir_open(c->root, &dir_fs);
		if (r < 0)
			return log_error_errno(r, "cannot open the tree '%s': %s", c->root,
					       strerror(-r));
		fs = dir_fs;
	}
	r = stack_lay(c->plan, fs, c->work);
	if (r < 0)
		return r;
	if (board_is_rpi(c->plan->profile->board)) {
		c->boot = path_join(c->work, "boot");
		r = mkdir_p(c->boot, 0755);
		if (r == 0)
			r = board_rpi_prepare(c->plan, c->root, fs, c->boot);
		if (r < 0)
			return r;
	}

	if (c->plan->profile->delivery == DELIVERY_BAKED)
		log_warn("faasd %s is BAKED into this image: the faasd CE EULA forbids "
			 "redistributing it, so this image is for your own machines only; do not "
			 "share or publish it", c->plan->faasd->version);
	else
		log_info("faasd %s is delivered at first boot: the image holds no faasd binary",
			 c->plan->faasd->version);
	log_info("%zu files laid down, %zu units enabled", c->plan->n_files,
		 strv_length(c->plan->units));
	return 0;
}

static char *absolute(const char *path)
{
	char buf[PATH_MAX];

	return realpath(path, buf) ? xstrdup(buf) : xstrdup(path);
}

/*
 * Cloud image base: the image cleans its per-instance state, checks itself
 * for secrets and build-host traces (refusing with -EBADMSG, the findings
 * logged) and closes; its finished disk is what convert reads.
 */
static int finish_base_image(struct build_ctx *c, const struct hygiene_opts *ho)
{
	int r = base_image_finish(c->bi, ho, &c->disk);

	base_image_free(c->bi);
	c->bi = NULL;
	if (r < 0)
		return r == -EBADMSG ? log_error_errno(-EPERM, "the image would carry per-instance "
						       "or build-host state")
				     : r;
	log_info("per-instance state removed; no private keys, host keys, machine id, cloud "
		 "state, secrets, histories, logs or build-host traces");
	return 0;
}

static int stage_hygiene(struct build_ctx *c)
{
	_cleanup_strv_free_ char **host_paths = NULL;
	_cleanup_free_ char *out = absolute(c->plan->out_dir), *cache = absolute(cache_dir());
	const char *home = getenv("HOME"), *sudo_user = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	struct hygiene_opts ho = {0};
	struct hygiene_report rep;
	struct utsname u;
	int r;

	strv_push(&host_paths, out);
	strv_push(&host_paths, cache);
	if (!str_empty(home))
		strv_push(&host_paths, home);
	ho.host_paths = host_paths;
	ho.user_name = !str_empty(sudo_user) ? sudo_user : pw ? pw->pw_name : NULL;
	ho.host_name = uname(&u) == 0 ? u.nodename : NULL;

	if (c->bi)
		return finish_base_image(c, &ho);
	r = hygiene_check_dir(c->root, &ho, &rep);
	if (r < 0)
		return log_error_errno(r, "cannot check the tree '%s': %s", c->root, strerror(-r));
	if (r > 0) {
		hygiene_log(&rep);
		log_error("%d finding%s: the image would carry per-instance or build-host state",
			  r, r == 1 ? "" : "s");
		hygiene_report_release(&rep);
		return -EPERM;
	}
	log_info("no private keys, host keys, machine id, cloud state, secrets, histories, "
		 "logs or build-host traces");
	return 0;
}

/* The kernel's console: the serial port last, so that /dev/console (the status markers) is it. */
static const char *kernel_cmdline(const struct plan *plan)
{
	if (plan->profile->arch == ARCH_ARM64)
		return "console=tty0 console=ttyAMA0,115200 net.ifnames=0";
	return "console=tty0 console=ttyS0,115200 net.ifnames=0";
}

static int stage_assemble(struct build_ctx *c)
{
	const struct plan_output *raw = plan_output_find(c->plan, OUTPUT_RAW);
	_cleanup_free_ char *seed = xasprintf("%s:%llu", c->plan->name,
					      (unsigned long long)c->plan->source_date_epoch);
	struct disk_spec spec = {
		.layout = DISK_LAYOUT_EFI,
		.arch = c->plan->profile->arch,
		.root_dir = c->root,
		.kernel_cmdline = kernel_cmdline(c->plan),
		.disk_size = c->plan->profile->disk_size,
		.seed = seed,
		.source_date_epoch = c->plan->source_date_epoch,
	};

	if (board_is_rpi(c->plan->profile->board)) {
		spec.layout = DISK_LAYOUT_RPI;
		spec.boot_dir = c->boot;
		spec.root_label = BOARD_RPI_ROOT_LABEL;
		spec.kernel_cmdline = NULL;
		spec.round_pow2 = c->plan->profile->board == BOARD_RPI3;
		if (spec.disk_size < BOARD_RPI_MIN_DISK_SIZE)
			spec.disk_size = BOARD_RPI_MIN_DISK_SIZE;
	}

	if (!raw)
		raw = plan_output_find(c->plan, OUTPUT_IMG);
	if (raw) {
		c->raw = xstrdup(pending_add(c, raw->name));
	} else {
		_cleanup_free_ char *name = xasprintf("%s/%s.raw", c->plan->out_dir, c->plan->name);

		c->raw = temp_name_for(name);
		c->raw_is_temporary = true;
		temp_register(c->raw);
	}
	spec.output = c->raw;
	return disk_assemble(&spec);
}

/* The output of kind with that file name suffix, or NULL. */
static const struct plan_output *output_named(const struct plan *plan, enum output kind,
					      const char *suffix)
{
	for (size_t i = 0; i < plan->n_outputs; i++)
		if (plan->outputs[i].kind == kind && str_ends_with(plan->outputs[i].name, suffix))
			return &plan->outputs[i];
	return NULL;
}

/* The finished cloud-image disk (qcow2) to out as format; compress: zstd clusters. */
static int convert_disk(const char *disk, const char *out, const char *format, bool compress)
{
	char *plain[] = {"qemu-img", "convert", "-q", "-f", "qcow2", "-O", (char *)format,
			 (char *)disk, (char *)out, NULL};
	char *zstd[] = {"qemu-img", "convert", "-q", "-f", "qcow2", "-O", (char *)format, "-c",
			"-o", "compression_type=zstd", (char *)disk, (char *)out, NULL};
	/* run_argv logs the command and its output on failure. */
	return run_argv(compress ? zstd : plain, NULL, NULL);
}

/* Cloud image base: the outputs come from the finished disk, not from a raw assembly. */
static int convert_from_disk(struct build_ctx *c)
{
	const struct plan_output *o = plan_output_find(c->plan, OUTPUT_QCOW2);
	int r = 0;

	if (o)
		r = convert_disk(c->disk, pending_add(c, o->name), "qcow2", true);
	o = plan_output_find(c->plan, OUTPUT_RAW);
	if (r == 0 && o && !interrupted())
		r = convert_disk(c->disk, pending_add(c, o->name), "raw", false);
	return r;
}

static int stage_convert(struct build_ctx *c)
{
	const struct plan *plan = c->plan;
	const struct plan_output *o;
	int r = 0;

	if (c->disk)
		return convert_from_disk(c);
	o = plan_output_find(plan, OUTPUT_QCOW2);
	if (o)
		r = convert_qcow2(c->raw, pending_add(c, o->name), true);
	o = output_named(plan, OUTPUT_IMG, ".bmap");
	if (r == 0 && o)
		r = convert_bmap(c->raw, pending_add(c, o->name));
	o = plan_output_find(plan, OUTPUT_IMG_XZ);
	if (r == 0 && o)
		r = convert_xz(c->raw, pending_add(c, o->name), 0);
	o = plan_output_find(plan, OUTPUT_SQUASHFS);
	if (r == 0 && o)
		r = make_squashfs(c->root, pending_add(c, o->name), plan->source_date_epoch);
	return r;
}

static int write_pending_text(struct build_ctx *c, const char *name, const struct strbuf *sb)
{
	char *tmp = pending_add(c, name);
	int r = write_file_atomic(tmp, sb->buf ? sb->buf : "", sb->len, 0644);

	if (r < 0)
		return log_error_errno(r, "cannot write '%s': %s", tmp, strerror(-r));
	return 0;
}

static int stage_instance(struct build_ctx *c)
{
	/* With an image the stack is in it; without, the user-data installs it. */
	enum render_kind kind = c->plan->needs_image ? RENDER_INSTANCE : RENDER_INSTALL;
	struct strbuf ud = STRBUF_INIT;
	int r = 0;

	if (plan_output_find(c->plan, OUTPUT_USER_DATA) || plan_output_find(c->plan, OUTPUT_SEED))
		r = render_user_data(c->plan->profile, c->plan->lock, kind, &ud);
	if (r == 0 && plan_output_find(c->plan, OUTPUT_USER_DATA))
		r = write_pending_text(c, "user-data", &ud);
	if (r == 0 && plan_output_find(c->plan, OUTPUT_SEED)) {
		const struct plan_output *o = plan_output_find(c->plan, OUTPUT_SEED);

		r = seed_write_profile(c->plan->profile, c->plan->lock, kind,
				       pending_add(c, o->name));
	}
	strbuf_release(&ud);
	return r;
}

/* Renames every pending output into place, then hashes the results for the manifest. */
static int commit_outputs(struct build_ctx *c)
{
	struct build_report *rep = c->report;

	for (size_t i = 0; i < c->n_pending; i++) {
		struct pending *p = &c->pending[i];

		if (rename(p->tmp, p->final) < 0)
			return log_error_errno(-errno, "cannot rename '%s' to '%s': %s", p->tmp,
					       p->final, strerror(errno));
		temp_unregister(p->tmp);
	}

	rep->outputs = xcalloc(c->n_pending + 1, sizeof(*rep->outputs));
	for (size_t i = 0; i < c->n_pending; i++) {
		struct manifest_output *o = &rep->outputs[rep->n_outputs++];
		int r;

		o->name = xstrdup(c->pending[i].name);
		o->path = xstrdup(c->pending[i].final);
		r = sha256_file(o->path, o->sha256, &o->size);
		if (r < 0)
			return log_error_errno(r, "cannot hash '%s': %s", o->path, strerror(-r));
	}
	return 0;
}

static int stage_manifest(struct build_ctx *c)
{
	int r = commit_outputs(c);

	if (r < 0)
		return r;
	return manifest_write(c->plan, &c->report->packages, c->report->outputs,
			      c->report->n_outputs);
}

static int (*const stages[_STAGE_MAX])(struct build_ctx *) = {
	[STAGE_FETCH] = stage_fetch,       [STAGE_BASE] = stage_base,
	[STAGE_STACK] = stage_stack,       [STAGE_HYGIENE] = stage_hygiene,
	[STAGE_ASSEMBLE] = stage_assemble, [STAGE_CONVERT] = stage_convert,
	[STAGE_INSTANCE] = stage_instance, [STAGE_MANIFEST] = stage_manifest,
};

static void ctx_release(struct build_ctx *c)
{
	/* The tree and the scratch area go now; cleanup_temporaries() would take them too. */
	if (c->root) {
		remove_tree(c->root);
		temp_unregister(c->root);
	}
	if (c->work) {
		remove_tree(c->work);
		temp_unregister(c->work);
	}
	if (c->raw && c->raw_is_temporary) {
		unlink(c->raw);
		temp_unregister(c->raw);
	}
	base_image_free(c->bi);
	if (c->disk) {
		unlink(c->disk);
		temp_unregister(c->disk);
	}
	free(c->image);
	free(c->disk);
	free(c->root);
	free(c->work);
	free(c->boot);
	free(c->raw);
	for (size_t i = 0; i < c->n_pending; i++) {
		free(c->pending[i].tmp);
		free(c->pending[i].final);
		free(c->pending[i].name);
	}
	free(c->pending);
}

static int prepare_out_dir(const struct plan *plan)
{
	int r = mkdir_p(plan->out_dir, 0755);

	if (r < 0)
		return log_error_errno(r, "cannot make the output directory '%s': %s",
				       plan->out_dir, strerror(-r));
	remove_stale_temporaries(plan->out_dir);
	return 0;
}

int build_run(struct plan *plan, const struct build_opts *opts, struct build_report *report)
{
	struct build_ctx c = {.plan = plan, .opts = opts, .report = report};
	uint64_t start = now_ms();
	const char *saved_stage = log_get_stage();
	/* Modes in the image are the plan's: the host's umask (077) must not reach them. */
	mode_t saved_umask = umask(022);
	int r;

	memset(report, 0, sizeof(*report));
	r = prepare_out_dir(plan);
	for (int s = 0; r == 0 && s < _STAGE_MAX; s++) {
		uint64_t t0 = now_ms();
		char took[32];

		if (!plan->needs_image && s >= STAGE_FETCH && s <= STAGE_CONVERT)
			continue;
		/* A cloud image is its own disk: nothing to assemble. */
		if (plan->base.image && s == STAGE_ASSEMBLE)
			continue;

		if (interrupted()) {
			r = -EINTR;
			report->failed_stage = (enum build_stage)s;
			break;
		}
		log_set_stage(stage_names[s]);
		r = stages[s](&c);
		report->stage_ms[s] = now_ms() - t0;
		report->stage_ran[s] = true;
		if (r == 0 && interrupted())
			r = -EINTR;
		if (r < 0) {
			report->failed_stage = (enum build_stage)s;
			break;
		}
		snprintf(took, sizeof(took), "%.1f s", (double)report->stage_ms[s] / 1000);
		log_info("done in %s", took);
	}
	log_set_stage(saved_stage);
	report->total_ms = now_ms() - start;
	ctx_release(&c);
	umask(saved_umask);
	return r;
}

void build_report_release(struct build_report *r)
{
	free(r->base_cache_key);
	for (size_t i = 0; i < r->n_outputs; i++) {
		free(r->outputs[i].name);
		free(r->outputs[i].path);
	}
	free(r->outputs);
	package_list_release(&r->packages);
	memset(r, 0, sizeof(*r));
}

static const char *delivery_sentence(const struct plan *plan)
{
	if (!plan->needs_image)
		return "user-data only: the instance installs the faasd stack at first boot, "
		       "every download checked against its pinned sha256; nothing is baked.";
	if (plan->profile->delivery == DELIVERY_BAKED)
		return "BAKED: /usr/local/bin/faasd is in the image. The faasd CE EULA forbids "
		       "redistributing it: use this image on your own machines only.";
	return "first boot: the image holds no faasd binary; faasd-fetch.service downloads "
	       "faasd and checks its pinned sha256 at first boot, so the image may be shared.";
}

static void boot_hints(const struct plan *plan, struct strbuf *out)
{
	const struct plan_output *disk = plan_output_find(plan, OUTPUT_QCOW2);
	const struct plan_output *seed = plan_output_find(plan, OUTPUT_SEED);
	const struct plan_output *ud = plan_output_find(plan, OUTPUT_USER_DATA);
	bool arm = plan->profile->arch == ARCH_ARM64;

	if (!disk)
		disk = plan_output_find(plan, OUTPUT_RAW);
	if (!disk)
		disk = plan_output_find(plan, OUTPUT_IMG);
	if (!disk && ud) {
		strbuf_addf(out, "use it:\n  multipass launch --cloud-init %s\n"
				 "  or give it as the user-data of a Debian or Ubuntu cloud "
				 "instance\n", ud->path);
		return;
	}
	if (!disk)
		return;
	strbuf_addf(out, "boot it:\n  faasd-image test %s\n", disk->path);
	if (plan->profile->board != BOARD_GENERIC)
		return;
	strbuf_addf(out, "  %s -machine %s -m 2048 -smp 2 -nographic \\\n"
			 "    -bios %s \\\n"
			 "    -drive file=%s,if=virtio,snapshot=on%s%s%s \\\n"
			 "    -nic user,model=virtio,hostfwd=tcp:127.0.0.1:8080-:8080\n",
		    arm ? "qemu-system-aarch64" : "qemu-system-x86_64",
		    arm ? "virt -cpu cortex-a72" : "q35",
		    arm ? "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd" : "/usr/share/ovmf/OVMF.fd",
		    disk->path, seed ? " \\\n    -drive file=" : "", seed ? seed->path : "",
		    seed ? ",if=virtio,format=raw,readonly=on" : "");
	if (!arm && plan_output_find(plan, OUTPUT_QCOW2))
		strbuf_addf(out, "  multipass launch file://%s%s%s\n", disk->path,
			    ud ? " --cloud-init " : "", ud ? ud->path : "");
}

void build_summary_text(const struct plan *plan, const struct build_report *r,
			struct strbuf *out)
{
	char size[16];

	strbuf_addf(out, "built '%s' (%s, %s) in %.1f s into %s/\n", plan->name,
		    arch_name(plan->profile->arch), board_name(plan->profile->board),
		    (double)r->total_ms / 1000, plan->out_dir);
	for (size_t i = 0; i < r->n_outputs; i++)
		strbuf_addf(out, "  %-28s %10s  sha256 %.16s...\n", r->outputs[i].name,
			    format_size(r->outputs[i].size, size, sizeof(size)),
			    r->outputs[i].sha256);
	strbuf_adds(out, "  manifest.json, SHA256SUMS\n");
	strbuf_addf(out, "faasd %s: %s\n", plan->faasd->version, delivery_sentence(plan));
	strbuf_adds(out, "stages:");
	for (int s = 0; s < _STAGE_MAX; s++)
		if (r->stage_ran[s])
			strbuf_addf(out, " %s %.1f s%s", stage_names[s],
				    (double)r->stage_ms[s] / 1000,
				    s == STAGE_BASE && r->base_cached ? " (cached)" : "");
	strbuf_addc(out, '\n');
	boot_hints(plan, out);
}

void build_summary_json(const struct plan *plan, const struct build_report *r,
			struct strbuf *out)
{
	struct node *root = node_new_map(), *outputs = node_new_seq(), *stages_ms = node_new_map();

	for (size_t i = 0; i < r->n_outputs; i++) {
		struct node *m = node_new_map();

		node_map_set(m, "name", json_string(r->outputs[i].name));
		node_map_set(m, "path", json_string(r->outputs[i].path));
		node_map_set(m, "size", json_number(r->outputs[i].size));
		node_map_set(m, "sha256", json_string(r->outputs[i].sha256));
		node_seq_append(outputs, m);
	}
	for (int s = 0; s < _STAGE_MAX; s++)
		if (r->stage_ran[s])
			node_map_set(stages_ms, stage_names[s], json_number(r->stage_ms[s]));

	node_map_set(root, "profile", json_string(plan->name));
	node_map_set(root, "arch", json_string(arch_name(plan->profile->arch)));
	node_map_set(root, "out_dir", json_string(plan->out_dir));
	node_map_set(root, "delivery", json_string(delivery_name(plan->profile->delivery)));
	node_map_set(root, "redistributable",
		     json_boolean(plan->profile->delivery != DELIVERY_BAKED));
	node_map_set(root, "faasd_version", json_string(plan->faasd->version));
	node_map_set(root, "base_cached", json_boolean(r->base_cached));
	node_map_set(root, "base_cache_key", json_string(r->base_cache_key));
	node_map_set(root, "packages", json_number(r->packages.n));
	node_map_set(root, "outputs", outputs);
	node_map_set(root, "stage_ms", stages_ms);
	node_map_set(root, "total_ms", json_number(r->total_ms));
	node_map_set(root, "source_date_epoch", json_number(plan->source_date_epoch));
	json_write(root, out);
	strbuf_addc(out, '\n');
	node_free(root);
}
