/* SPDX-License-Identifier: MIT */
/*
 * The secrets check of a root tree: what must never be in an image that
 * may be booted many times or handed to someone else. Private keys (PEM
 * and OpenSSH), SSH host keys, a machine id, cloud-init's instance state,
 * faasd's basic-auth password, shell histories, logs written at build time
 * and traces of the build host (its paths, its user) in /etc. Every build
 * runs it on the finished tree before a disk is made; `inspect --check`
 * runs it on an image's unpacked tree. It reads, never changes anything.
 */
#ifndef FAASD_IMAGE_HYGIENE_H
#define FAASD_IMAGE_HYGIENE_H

#include <stddef.h>

struct hygiene_finding {
	char *path;   /* inside the tree, "/etc/ssh/ssh_host_rsa_key" */
	char *reason; /* "an OpenSSH private key" */
};

struct hygiene_opts {
	/* Host paths that must not appear in text files under /etc: the output directory,
	 * the cache, the builder's $HOME. NULL-terminated; may be NULL. */
	char *const *host_paths;
	/* The builder's user name, looked for as a word in /etc (skipped when the tree
	 * has that user, as it has root). NULL: not checked. */
	const char *user_name;
	/* The build host's name, looked for as a word in /etc ("localhost" skipped). */
	const char *host_name;
};

struct hygiene_report {
	struct hygiene_finding *findings;
	size_t n;
};

/*
 * Checks the tree at root. Fills report (free with hygiene_report_release)
 * and returns the number of findings (0: clean), or a negative errno when
 * the tree cannot be read; logs nothing: the caller decides how findings
 * are shown (hygiene_log).
 */
int hygiene_check_dir(const char *root, const struct hygiene_opts *opts,
		      struct hygiene_report *report);

/* One error line per finding: "'PATH': REASON". */
void hygiene_log(const struct hygiene_report *report);

void hygiene_report_release(struct hygiene_report *report);

#endif
