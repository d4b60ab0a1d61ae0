// SPDX-License-Identifier: MIT
/*
 * faasd-image render: the cloud-init user-data of a profile, sized and
 * encoded for a provider, and optionally a NoCloud seed. A profile that
 * makes no disk image (vps, multipass) gets the install-at-first-boot
 * user-data; an image profile gets the per-instance part for its image.
 * Everything is rendered in memory first; files are written only at the
 * end, each to a temporary that is renamed, so a failure writes nothing.
 */
#include <errno.h>

#include "cli-profile.h"
#include "cli.h"
#include "commands.h"
#include "lock.h"
#include "log.h"
#include "render.h"
#include "seed.h"
#include "util.h"

struct render_args {
	struct profile_args profile;
	const char *provider;
	const char *output;
	bool to_stdout;
	const char *seed;
	const char *seed_format;
};

static const struct cli_option options[] = {
	CLI_PROFILE_OPTIONS,
	{"provider", 0, "NAME",
	 "size and encode for aws, hetzner, digitalocean, linode, openstack or generic (default)",
	 OPT_PROVIDER, "aws hetzner digitalocean linode openstack generic"},
	{"output", 'o', "FILE", "write the user-data to FILE (default: out/PROFILE/user-data)",
	 OPT_OUTPUT, "file"},
	{"stdout", 0, NULL, "write the user-data to standard output", OPT_STDOUT, NULL},
	{"seed", 0, "FILE", "write a NoCloud seed image (vfat, label cidata) to FILE", OPT_SEED,
	 "file"},
	{"seed-format", 0, "FORMAT", "the seed's format: vfat (default)", OPT_FORMAT, "vfat"},
	CLI_OPTIONS_END,
};

static int handle_option(int id, const char *arg, void *userdata)
{
	struct render_args *a = userdata;

	if (profile_args_option(&a->profile, id, arg))
		return 0;
	switch (id) {
	case OPT_PROVIDER:
		a->provider = arg;
		break;
	case OPT_OUTPUT:
		a->output = arg;
		break;
	case OPT_STDOUT:
		a->to_stdout = true;
		break;
	case OPT_SEED:
		a->seed = arg;
		break;
	case OPT_FORMAT:
		a->seed_format = arg;
		break;
	}
	return 0;
}

/* A profile without a disk image output installs everything at first boot. */
static enum render_kind render_kind_for(const struct profile *p)
{
	unsigned images = OUTPUT_QCOW2 | OUTPUT_RAW | OUTPUT_IMG | OUTPUT_IMG_XZ | OUTPUT_SQUASHFS;

	return (p->outputs & images) ? RENDER_INSTANCE : RENDER_INSTALL;
}

static int write_user_data(const struct render_args *a, const struct profile *p,
			   const char *data, size_t len)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	int r;

	if (a->to_stdout) {
		if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
			return log_error_errno(-EIO, "cannot write to standard output");
		return 0;
	}
	if (a->output) {
		path = xstrdup(a->output);
	} else {
		dir = path_join("out", p->name);
		r = mkdir_p(dir, 0755);
		if (r < 0)
			return log_error_errno(r, "cannot make '%s': %s", dir, strerror(-r));
		path = path_join(dir, "user-data");
	}
	r = write_file_atomic(path, data, len, 0600);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s': %s", path, strerror(-r));
	log_info("wrote '%s' (%zu bytes)", path, len);
	return 0;
}

static int write_seed(const struct render_args *a, const struct profile *p,
		      const struct lock *l, const struct strbuf *ud)
{
	struct strbuf md = STRBUF_INIT, nc = STRBUF_INIT;
	enum seed_format format = SEED_VFAT;
	struct seed_files f;
	int r, has_net = 0;

	if (a->seed_format && seed_format_from_name(a->seed_format, &format) < 0)
		return log_error_errno(-EINVAL, "unknown seed format '%s'; use vfat",
				       a->seed_format);
	r = render_meta_data_for(p, ud->buf, ud->len, &md);
	if (r == 0)
		r = has_net = render_network_config(p, &nc);
	if (r >= 0) {
		f = (struct seed_files){ud->buf, ud->len, md.buf, md.len, has_net ? nc.buf : NULL,
					nc.len};
		r = seed_write(a->seed, &f, format,
			       p->source_date_epoch ? p->source_date_epoch
						    : (l ? l->source_date_epoch : 0));
	}
	if (r == 0)
		log_info("wrote seed '%s'", a->seed);
	strbuf_release(&md);
	strbuf_release(&nc);
	return r;
}

static int render_profile(const struct render_args *a, const struct profile *p,
			  const struct lock *l, enum provider prov)
{
	struct strbuf ud = STRBUF_INIT;
	_cleanup_free_ char *encoded = NULL;
	const char *encoding = NULL;
	size_t len = 0;
	int r;

	r = render_user_data(p, l, render_kind_for(p), &ud);
	if (r == 0)
		r = provider_encode(prov, ud.buf, ud.len, &encoded, &len, &encoding);
	if (r == 0 && a->seed)
		r = write_seed(a, p, l, &ud);
	if (r == 0 && (a->output || a->to_stdout || !a->seed))
		r = write_user_data(a, p, encoded, len);
	if (r == 0 && !streq(encoding, "plain"))
		log_info("user-data for %s is %s (%zu bytes plain)", provider_rule(prov)->name,
			 encoding, ud.len);
	strbuf_release(&ud);
	return r;
}

static int run(const struct cli_command *self, int argc, char **argv)
{
	struct render_args a = {.profile = PROFILE_ARGS_INIT};
	struct profile *p = NULL;
	struct lock *l = NULL;
	enum provider prov = PROVIDER_GENERIC;
	int first, r, code = EXIT_OK;

	log_set_stage("render");
	first = cli_parse(self, argc, argv, handle_option, &a);
	if (first < 0) {
		profile_args_release(&a.profile);
		return first == -1 ? EXIT_OK : EXIT_USAGE;
	}
	if (first < argc || (a.output && a.to_stdout) ||
	    (a.provider && provider_from_name(a.provider, &prov) < 0)) {
		if (first < argc)
			log_error("unexpected argument '%s'", argv[first]);
		else if (a.output && a.to_stdout)
			log_error("--output and --stdout exclude each other");
		else
			log_error("unknown provider '%s'; one of aws, hetzner, digitalocean, "
				  "linode, openstack, generic", a.provider);
		profile_args_release(&a.profile);
		return EXIT_USAGE;
	}

	if (profile_args_load(&a.profile, &p) < 0) {
		code = EXIT_PROFILE;
		goto out;
	}
	r = lock_load_default(&l);
	if (r < 0 && render_kind_for(p) == RENDER_INSTALL) {
		code = EXIT_ARTIFACT;
		goto out;
	}
	if (render_profile(&a, p, l, prov) < 0)
		code = EXIT_FAIL;
out:
	lock_free(l);
	profile_free(p);
	profile_args_release(&a.profile);
	return code;
}

const struct cli_command command_render = {
	.name = "render",
	.args = NULL,
	.summary = "Render the cloud-init user-data of a profile for multipass or a VPS provider.",
	.description =
		"A profile without a disk image (vps, multipass) gets user-data that installs "
		"faasd at the first boot, every download pinned and checked against the lock; "
		"an image profile gets the per-instance part for its image. The user-data is "
		"kept plain when it fits the provider's limit, gzipped only where the provider's "
		"datasource decodes it, and refused (exit 1) when it still does not fit.",
	.options = options,
	.run = run,
};
