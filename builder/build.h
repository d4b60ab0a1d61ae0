/* SPDX-License-Identifier: MIT */
/*
 * The build pipeline of a plan: fetch -> base -> stack -> hygiene ->
 * assemble -> convert -> per-instance outputs -> manifest. Each stage is
 * timed and logged under its own name. Every output is made under a
 * temporary name in the output directory and all of them are renamed into
 * place together at the end, followed by manifest.json and SHA256SUMS; a
 * failure or a signal anywhere before that leaves the previous outputs as
 * they were.
 */
#ifndef FAASD_IMAGE_BUILD_H
#define FAASD_IMAGE_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#include "manifest.h"
#include "plan.h"

struct build_opts {
	bool offline;
	const char *mirror; /* artifacts mirror (URL or directory), NULL: the lock's URLs */
	bool allow_http;
};

enum build_stage {
	STAGE_FETCH,
	STAGE_BASE,
	STAGE_STACK,
	STAGE_HYGIENE,
	STAGE_ASSEMBLE,
	STAGE_CONVERT,
	STAGE_INSTANCE,
	STAGE_MANIFEST,
	_STAGE_MAX,
};

struct build_report {
	uint64_t stage_ms[_STAGE_MAX];
	bool stage_ran[_STAGE_MAX];
	enum build_stage failed_stage; /* meaningful when build_run failed */
	uint64_t total_ms;
	bool base_cached;
	char *base_cache_key;
	struct manifest_output *outputs; /* final paths, sizes, hashes */
	size_t n_outputs;
	struct package_list packages;
};

/* "fetch", "base", ... */
const char *build_stage_name(enum build_stage s);

/*
 * Runs the pipeline of plan. Returns 0 with report filled, or a negative
 * errno after logging (report->failed_stage says where; -EINTR when
 * interrupted). Release report with build_report_release.
 */
int build_run(struct plan *plan, const struct build_opts *opts, struct build_report *report);

void build_report_release(struct build_report *report);

/* The one-screen summary for people, and the same as JSON (one document). */
void build_summary_text(const struct plan *plan, const struct build_report *report,
			struct strbuf *out);
void build_summary_json(const struct plan *plan, const struct build_report *report,
			struct strbuf *out);

#endif
