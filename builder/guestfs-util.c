// SPDX-License-Identifier: MIT
/*
 * libguestfs handles with the settings this project needs, and the KVM
 * probe that decides between KVM and TCG for the appliance. A host whose
 * /dev/kvm exists but cannot run a guest (nested or paravirtual KVM) makes
 * QEMU abort at the appliance's first MSR write, so the probe runs QEMU on
 * a 64 KiB firmware of our own whose reset vector only writes to the
 * isa-debug-exit port: QEMU then exits with status 1 in a fraction of a
 * second when KVM really runs guest code, and with anything else when not.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/utsname.h>

#include "guestfs-util.h"
#include "log.h"
#include "run.h"
#include "util.h"

#define KVM_PROBE_TIMEOUT_SEC 10
#define PROBE_FIRMWARE_SIZE 65536
#define RESET_VECTOR 0xfff0

static int kvm_state = -1; /* -1: not probed; 0: no; 1: yes */
static const char *kvm_reason;

/* Writes the probe firmware: hlt everywhere, and at the reset vector "mov al,0; out 0xf4,al". */
static int write_probe_firmware(char **ret_path)
{
	static const unsigned char code[] = {0xb0, 0x00, 0xe6, 0xf4, 0xf4};
	_cleanup_free_ unsigned char *fw = xmalloc(PROBE_FIRMWARE_SIZE);
	const char *tmp = getenv("TMPDIR");
	_cleanup_free_ char *path = xasprintf("%s/faasd-image-kvm-probe.XXXXXX",
					      str_empty(tmp) ? "/tmp" : tmp);
	_cleanup_close_ int fd = -1;

	memset(fw, 0xf4, PROBE_FIRMWARE_SIZE);
	memcpy(fw + RESET_VECTOR, code, sizeof(code));

	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	temp_register(path);
	if (write(fd, fw, PROBE_FIRMWARE_SIZE) != PROBE_FIRMWARE_SIZE) {
		unlink(path);
		temp_unregister(path);
		return -EIO;
	}
	*ret_path = TAKE_PTR(path);
	return 0;
}

static bool kvm_probe(void)
{
	_cleanup_free_ char *fw = NULL, *output = NULL;
	struct utsname u;
	int r;

	if (access("/dev/kvm", R_OK | W_OK) < 0) {
		kvm_reason = "/dev/kvm cannot be opened";
		return false;
	}
	if (uname(&u) < 0 || !streq(u.machine, "x86_64"))
		return true;

	r = write_probe_firmware(&fw);
	if (r < 0) {
		kvm_reason = "cannot write the probe firmware";
		return false;
	}

	char *const argv[] = {
		"qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-machine", "pc",
		"-nodefaults", "-display", "none", "-bios", fw,
		"-device", "isa-debug-exit,iobase=0xf4,iosize=4", NULL,
	};
	const struct run_opts opts = {.timeout_sec = KVM_PROBE_TIMEOUT_SEC};

	r = run_argv_status(argv, &opts, &output);
	unlink(fw);
	temp_unregister(fw);
	if (r == 1)
		return true;
	log_debug("kvm probe: status %d: %.*s", r, output ? (int)strcspn(output, "\n") : 0,
		  output ? output : "");
	kvm_reason = r == -ENOENT ? "qemu-system-x86_64 is not installed"
				  : "QEMU cannot run a guest with KVM here";
	return false;
}

bool gfs_kvm_usable(const char **reason)
{
	if (kvm_state < 0)
		kvm_state = kvm_probe();
	if (reason)
		*reason = kvm_reason;
	return kvm_state == 1;
}

int gfs_handle_new(guestfs_h **ret)
{
	guestfs_h *g = guestfs_create_flags(0);
	const char *why = NULL;

	if (!g)
		return log_error_errno(-ENOMEM, "cannot create a libguestfs handle");
	guestfs_set_error_handler(g, NULL, NULL);

	if (!getenv("LIBGUESTFS_BACKEND") && guestfs_set_backend(g, "direct") < 0) {
		int r = gfs_error(g, "cannot select the direct libguestfs back end");

		guestfs_close(g);
		return r;
	}
	if (!getenv("LIBGUESTFS_BACKEND_SETTINGS") && !gfs_kvm_usable(&why)) {
		char *settings[] = {"force_tcg", NULL};

		log_debug("appliance under TCG: %s", why ? why : "no KVM");
		if (guestfs_set_backend_settings(g, settings) < 0) {
			int r = gfs_error(g, "cannot force TCG for the libguestfs appliance");

			guestfs_close(g);
			return r;
		}
	}
	*ret = g;
	return 0;
}

int gfs_errno(guestfs_h *g)
{
	int e = guestfs_last_errno(g);

	return e > 0 ? -e : -EIO;
}

int gfs_error(guestfs_h *g, const char *what)
{
	const char *msg = guestfs_last_error(g);

	log_error("%s: %s", what, msg ? msg : "unknown libguestfs error");
	return gfs_errno(g);
}

int gfs_launch(guestfs_h *g)
{
	uint64_t start = now_ms();

	log_info("starting the libguestfs appliance");
	if (guestfs_launch(g) < 0)
		return gfs_error(g, "cannot start the libguestfs appliance");
	log_info("libguestfs appliance up after %.1f s", (double)(now_ms() - start) / 1000.0);
	return 0;
}

static int compare_mountpoints(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	size_t lx = strlen(x[0]), ly = strlen(y[0]);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x[0], y[0]);
}

int gfs_mount_root(guestfs_h *g, const char *root, bool read_only, char ***ret_mounted)
{
	_cleanup_strv_free_ char **mps = guestfs_inspect_get_mountpoints(g, root);
	_cleanup_strv_free_ char **mounted = NULL;
	size_t n;

	if (!mps)
		return gfs_error(g, "cannot read the image's mountpoints");
	n = strv_length(mps) / 2;
	/* inspect_get_mountpoints gives (mountpoint, device) pairs: sort the pairs. */
	qsort(mps, n, 2 * sizeof(char *), compare_mountpoints);

	for (size_t i = 0; i < n; i++) {
		const char *mp = mps[2 * i], *dev = mps[2 * i + 1];
		int r = read_only ? guestfs_mount_ro(g, dev, mp) : guestfs_mount(g, dev, mp);

		if (r < 0 && streq(mp, "/"))
			return gfs_error(g, "cannot mount the image's root filesystem");
		if (r < 0) {
			log_warn("cannot mount '%s' of the image on '%s': %s", dev, mp,
				 guestfs_last_error(g));
			continue;
		}
		strv_push(&mounted, mp);
	}
	if (ret_mounted)
		*ret_mounted = TAKE_PTR(mounted);
	return 0;
}
