// SPDX-License-Identifier: MIT
/*
 * The boot test behind `faasd-image test`. It reads the image's header and
 * partition table itself, lists the ESP or the Pi boot partition with
 * mtools, picks QEMU's machine and firmware, probes whether KVM can really
 * run a guest here (a /dev/kvm that exists may still fail), boots a qcow2
 * overlay backed by the image in a work directory, and reads the serial log
 * as it grows. It never writes the user's image: QEMU gets the overlay, or
 * for raspi3b a raw copy, and mtools only reads. Everything it makes lives
 * in the work directory, which is a registered temporary unless --keep.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "boot.h"
#include "emit.h"
#include "lock.h"
#include "paths.h"
#include "render.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "yaml-parse.h"

#define DEFAULT_TIMEOUT_SEC 900
#define HEAD_SIZE (1u << 20)
#define SECTOR 512u
#define GUEST_MIRROR_HOST "10.0.2.100"
#define GATEWAY_GUEST_PORT 8080
#define PROBE_INTERVAL_MS 5000
/* After the status markers end, how long the host keeps probing the gateway. */
#define GATEWAY_GRACE_MS 60000
#define KVM_PROBE_SEC 5
#define EXCERPT_TAIL_LINES 40
#define EXCERPT_MATCH_LINES 60

/* The faasd release the harness points a guest at when --mirror is given and nothing says else. */
#define FAASD_DEFAULT_VERSION "0.19.7"

static const char *const milestone_names[MILESTONE_COUNT] = {
	[MILESTONE_KERNEL] = "kernel",
	[MILESTONE_USERSPACE] = "userspace",
	[MILESTONE_CLOUD_INIT] = "cloud-init",
	[MILESTONE_STATUS] = "status",
	[MILESTONE_GATEWAY] = "gateway",
};

static const char *const milestone_descriptions[MILESTONE_COUNT] = {
	[MILESTONE_KERNEL] = "the kernel starting ('Linux version')",
	[MILESTONE_USERSPACE] = "systemd reaching multi-user (or its login prompts)",
	[MILESTONE_CLOUD_INIT] = "cloud-init finishing ('Cloud-init v. ... finished')",
	[MILESTONE_STATUS] = "the status markers ('faasd-image-status: end')",
	[MILESTONE_GATEWAY] = "the gateway answering 200 on /healthz",
};

/* The units that must be active; the markers also report faasd-fetch.service. */
static const char *const required_units[] = {
	"containerd.service",
	"faasd-provider.service",
	"faasd.service",
};

const char *boot_milestone_name(enum boot_milestone m)
{
	return m < MILESTONE_COUNT ? milestone_names[m] : "?";
}

const char *boot_milestone_description(enum boot_milestone m)
{
	return m < MILESTONE_COUNT ? milestone_descriptions[m] : "?";
}

/* ---- reading the image ---------------------------------------------------------------- */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Largest power of two up to 1 MiB dividing both, so that qemu-img dd copies in big blocks. */
static uint64_t block_size_for(uint64_t offset, uint64_t size)
{
	uint64_t bs = 1u << 20;

	while (bs > SECTOR && ((offset % bs) || (size % bs)))
		bs >>= 1;
	return bs;
}

/*
 * Copies size bytes at offset of a qcow2 image out to a raw file, through
 * qemu-img dd (which reads any format QEMU knows and writes nothing else).
 */
static int qcow2_extract(const char *image, uint64_t offset, uint64_t size, const char *out)
{
	uint64_t bs = block_size_for(offset, size);
	_cleanup_free_ char *bs_arg = xasprintf("bs=%llu", (unsigned long long)bs);
	_cleanup_free_ char *count = xasprintf("count=%llu", (unsigned long long)(size / bs));
	_cleanup_free_ char *skip = xasprintf("skip=%llu", (unsigned long long)(offset / bs));
	_cleanup_free_ char *in = xasprintf("if=%s", image);
	_cleanup_free_ char *of = xasprintf("of=%s", out);
	char *argv[] = {"qemu-img", "dd", "-f", "qcow2", "-O", "raw", bs_arg, count, skip, in, of,
			NULL};

	unlink(out);
	return run_argv(argv, &(struct run_opts){.timeout_sec = 300}, NULL);
}

/* Reads len bytes at offset of a raw file; past its end reads as zeros. */
static int pread_full(const char *path, uint64_t offset, void *buf, size_t len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t done = 0;

	memset(buf, 0, len);
	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return 0;
}

/* The first MiB of the disk the image holds, whatever its format. */
static int read_disk_head(const char *image, const struct boot_image *img, const char *workdir,
			  unsigned char *buf)
{
	_cleanup_free_ char *head = NULL;
	int r;

	if (img->format == BOOT_FORMAT_RAW)
		return pread_full(image, 0, buf, HEAD_SIZE);

	head = path_join(workdir, "head.raw");
	r = qcow2_extract(image, 0, HEAD_SIZE, head);
	if (r < 0)
		return r;
	return pread_full(head, 0, buf, HEAD_SIZE);
}

struct partition {
	uint64_t offset;
	uint64_t size;
	bool esp;
	bool fat; /* an MBR FAT type: maybe a Pi boot partition */
};

#define MAX_PARTITIONS 16

static const unsigned char esp_guid[16] = {
	0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
	0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b,
};

/* GPT at LBA 1 of head; the entries must lie within the first MiB. Returns the count. */
static int parse_gpt(const unsigned char *head, struct partition *parts)
{
	const unsigned char *hdr = head + SECTOR;
	uint64_t entries_lba = le64(hdr + 72);
	uint32_t count = le32(hdr + 80), entry_size = le32(hdr + 84);
	int n = 0;

	if (memcmp(hdr, "EFI PART", 8) != 0 || entry_size < 128 || count > 1024)
		return -EINVAL;
	if (entries_lba * SECTOR + (uint64_t)count * entry_size > HEAD_SIZE)
		return -EINVAL;

	for (uint32_t i = 0; i < count && n < MAX_PARTITIONS; i++) {
		const unsigned char *e = head + entries_lba * SECTOR + (uint64_t)i * entry_size;
		uint64_t first = le64(e + 32), last = le64(e + 40);
		static const unsigned char unused[16];

		if (memcmp(e, unused, 16) == 0 || last < first)
			continue;
		parts[n++] = (struct partition){
		    .offset = first * SECTOR,
		    .size = (last - first + 1) * SECTOR,
		    .esp = memcmp(e, esp_guid, 16) == 0,
		};
	}
	return n;
}

/* MBR partitions, or the GPT behind a protective MBR. Returns the count, or -EMEDIUMTYPE. */
static int parse_partitions(const unsigned char *head, struct partition *parts)
{
	int n = 0;

	if (head[510] != 0x55 || head[511] != 0xaa)
		return memcmp(head + SECTOR, "EFI PART", 8) == 0 ? parse_gpt(head, parts)
								 : -EMEDIUMTYPE;

	for (int i = 0; i < 4; i++) {
		const unsigned char *e = head + 446 + 16 * i;
		unsigned char type = e[4];

		if (type == 0xee)
			return parse_gpt(head, parts);
		if (type == 0 || le32(e + 12) == 0)
			continue;
		parts[n++] = (struct partition){
		    .offset = (uint64_t)le32(e + 8) * SECTOR,
		    .size = (uint64_t)le32(e + 12) * SECTOR,
		    .esp = type == 0xef,
		    .fat = type == 0x0b || type == 0x0c || type == 0x0e || type == 0x06,
		};
	}
	return n;
}

/*
 * Where mtools finds a partition: "IMAGE@@OFFSET" for a raw image, or a
 * copy of the partition in workdir for a qcow2 one. Caller frees.
 */
static int partition_spec(const char *image, const struct boot_image *img,
			  const struct partition *part, const char *workdir, char **ret)
{
	_cleanup_free_ char *copy = NULL;
	int r;

	if (img->format == BOOT_FORMAT_RAW) {
		*ret = xasprintf("%s@@%llu", image, (unsigned long long)part->offset);
		return 0;
	}
	copy = xasprintf("%s/part-%llu.raw", workdir, (unsigned long long)part->offset);
	if (!file_exists(copy)) {
		r = qcow2_extract(image, part->offset, part->size, copy);
		if (r < 0)
			return r;
	}
	*ret = xasprintf("%s@@0", copy);
	return 0;
}

static char *const mtools_env[] = {"MTOOLS_SKIP_CHECK=1", NULL};

/* Every path in a FAT filesystem, one a line ("::/EFI/BOOT/BOOTX64.EFI"). Caller frees. */
static int fat_list(const char *spec, char **ret)
{
	char *argv[] = {"mdir", "-/", "-b", "-i", (char *)spec, "::", NULL};
	int r;

	/* Quiet: a partition that is not FAT after all is not an error here. */
	r = run_argv_status(argv, &(struct run_opts){.env = mtools_env, .timeout_sec = 60}, ret);
	if (r > 0) {
		log_debug("mdir of '%s' failed: %s", spec, *ret);
		return -EIO;
	}
	return r;
}

/* The volume label from a FAT boot sector, trimmed, into label (12 bytes). */
static void fat_label(const unsigned char *bs, char *label)
{
	bool fat32 = bs[0x11] == 0 && bs[0x12] == 0 && bs[0x16] == 0 && bs[0x17] == 0;
	const unsigned char *l = bs + (fat32 ? 0x47 : 0x2b);
	int n = 11;

	memcpy(label, l, 11);
	while (n > 0 && (label[n - 1] == ' ' || label[n - 1] == '\0'))
		n--;
	label[n] = '\0';
}

/* True when the partition holds a FAT filesystem labelled system-boot. */
static bool is_pi_boot(const char *image, const struct boot_image *img,
		       const struct partition *part, const char *workdir)
{
	_cleanup_free_ char *spec = NULL;
	unsigned char bs[SECTOR];
	char label[12];
	char *at;

	if (partition_spec(image, img, part, workdir, &spec) < 0)
		return false;
	at = strstr(spec, "@@");
	*at = '\0';
	if (pread_full(spec, strtoull(at + 2, NULL, 10), bs, sizeof(bs)) < 0)
		return false;
	if (bs[510] != 0x55 || bs[511] != 0xaa)
		return false;
	fat_label(bs, label);
	return strcasecmp(label, "system-boot") == 0;
}

/* Which EFI loader the ESP carries: the architecture of the image. */
static int esp_arch(const char *image, const struct boot_image *img, const struct partition *part,
		    const char *workdir, enum arch *ret)
{
	_cleanup_free_ char *spec = NULL, *listing = NULL;
	int r;

	r = partition_spec(image, img, part, workdir, &spec);
	if (r < 0)
		return r;
	r = fat_list(spec, &listing);
	if (r < 0)
		return r;
	if (strcasestr(listing, "/EFI/BOOT/BOOTX64.EFI")) {
		*ret = ARCH_AMD64;
		return 0;
	}
	if (strcasestr(listing, "/EFI/BOOT/BOOTAA64.EFI")) {
		*ret = ARCH_ARM64;
		return 0;
	}
	return -ENOENT;
}

/* Format and size from the header: qcow2's magic and size field, or the file's size. */
static int probe_format(const char *path, struct boot_image *img)
{
	unsigned char hdr[32];
	struct stat st;
	int r;

	if (stat(path, &st) < 0)
		return log_error_errno(-errno, "cannot read '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return log_error_errno(-EMEDIUMTYPE, "'%s' is not a disk image: not a file", path);
	r = pread_full(path, 0, hdr, sizeof(hdr));
	if (r < 0)
		return log_error_errno(r, "cannot read '%s': %s", path, strerror(-r));

	if (memcmp(hdr, "QFI\xfb", 4) == 0) {
		img->format = BOOT_FORMAT_QCOW2;
		img->virtual_size = be64(hdr + 24);
	} else {
		img->format = BOOT_FORMAT_RAW;
		img->virtual_size = (uint64_t)st.st_size;
		if (st.st_size < 2 * SECTOR)
			return log_error_errno(-EMEDIUMTYPE, "'%s' is not a disk image: %lld bytes",
					       path, (long long)st.st_size);
	}
	return 0;
}

int boot_image_probe(const char *path, const char *workdir, struct boot_image *ret)
{
	_cleanup_free_ unsigned char *head = xmalloc(HEAD_SIZE);
	struct partition parts[MAX_PARTITIONS];
	struct boot_image img = {0};
	int n, r;

	r = probe_format(path, &img);
	if (r < 0)
		return r;
	r = read_disk_head(path, &img, workdir, head);
	if (r < 0)
		return log_error_errno(r, "cannot read the partition table of '%s'", path);

	n = parse_partitions(head, parts);
	if (n < 0)
		return log_error_errno(-EMEDIUMTYPE,
				       "'%s' is not a disk image: no qcow2 header, "
				       "no MBR or GPT partition table",
				       path);

	for (int i = 0; i < n; i++) {
		if (parts[i].esp && esp_arch(path, &img, &parts[i], workdir, &img.arch) == 0) {
			img.arch_known = true;
		} else if (parts[i].fat && is_pi_boot(path, &img, &parts[i], workdir)) {
			img.pi = true;
			img.arch = ARCH_ARM64; /* faasd runs on 64-bit Pi systems only */
			img.arch_known = true;
		} else {
			continue;
		}
		img.boot_offset = parts[i].offset;
		img.boot_size = parts[i].size;
		break;
	}
	*ret = img;
	return 0;
}

/* ---- the seed ------------------------------------------------------------------------- */

/*
 * The status reporter for an image without faasd-image-status.service (a
 * stock cloud image): the image's own script, templates/report-status.sh,
 * written by the seed and started by its last runcmd entry as a transient
 * unit ordered after cloud-final, as the image's unit would be.
 */
#define REPORTER_TEMPLATE "templates/report-status.sh"
#define REPORTER_PATH "/usr/local/libexec/faasd-image-test/report-status"

/* A host mirror URL, split: "http://HOST:PORT/PATH/". */
struct mirror {
	char *host;
	unsigned port;
	char *path; /* starts and ends with '/' */
};

static void mirror_release(struct mirror *m)
{
	free(m->host);
	free(m->path);
}

static int mirror_parse(const char *url, struct mirror *ret)
{
	const char *hostport, *slash, *colon;
	unsigned long port = 80;
	char *end;

	if (!str_starts_with(url, "http://"))
		return log_error_errno(-EINVAL,
				       "mirror '%s': only http:// URLs can be forwarded "
				       "to the guest",
				       url);
	hostport = url + strlen("http://");
	slash = strchr(hostport, '/');
	if (!slash)
		slash = hostport + strlen(hostport);
	colon = memrchr(hostport, ':', (size_t)(slash - hostport));
	if (colon) {
		port = strtoul(colon + 1, &end, 10);
		if (end != slash || port == 0 || port > 65535)
			return log_error_errno(-EINVAL, "mirror '%s': bad port", url);
	}
	if ((colon ? colon : slash) == hostport)
		return log_error_errno(-EINVAL, "mirror '%s': no host", url);

	ret->host = xstrndup(hostport, (size_t)((colon ? colon : slash) - hostport));
	ret->port = (unsigned)port;
	ret->path = xasprintf("%s%s", *slash ? slash : "/",
			      *slash && !str_ends_with(slash, "/") ? "/" : "");
	return 0;
}

/*
 * Where the guest fetches faasd from the host mirror: the mirror's path plus
 * the upstream release path without its owner, as interfaces.md lays out.
 */
static char *guest_faasd_url(const struct mirror *m, const struct profile *p, enum arch arch)
{
	const char *version = p && p->faasd.version ? p->faasd.version : FAASD_DEFAULT_VERSION;

	return xasprintf("http://" GUEST_MIRROR_HOST "%sfaasd/releases/download/%s/faasd%s\n",
			 m->path, version, arch == ARCH_ARM64 ? "-arm64" : "");
}

static struct node *write_file_node(const char *path, const char *mode, const char *content)
{
	struct node *entry = node_new_map();

	node_map_set(entry, "path", value_string(path));
	node_map_set(entry, "permissions", value_string(mode));
	node_map_set(entry, "content", value_string(content));
	return entry;
}

/* Appends item to the sequence under key in map, making the sequence if absent. */
static int map_seq_append(struct node *map, const char *key, struct node *item)
{
	struct node *seq = node_map_get(map, key);

	if (!seq) {
		seq = node_new_seq();
		node_map_set(map, key, seq);
	}
	if (seq->kind != NODE_SEQ) {
		node_free(item);
		return log_error_errno(-EINVAL, "the rendered user-data's '%s' is not a list", key);
	}
	node_seq_append(seq, item);
	return 0;
}

/* Drops the write_files entry for path, so that ours replaces it. */
static void drop_write_file(struct node *root, const char *path)
{
	struct node *files = node_map_get(root, "write_files");

	if (!files || files->kind != NODE_SEQ)
		return;
	for (size_t i = 0; i < files->n; i++) {
		if (!streq(node_str(node_map_get(files->items[i], "path")), path))
			continue;
		node_free(files->items[i]);
		memmove(&files->items[i], &files->items[i + 1],
			(files->n - i - 1) * sizeof(*files->items));
		files->n--;
		return;
	}
}

/*
 * The profile's per-instance user-data (render.h, RENDER_INSTANCE) as a
 * tree, or an empty map without a profile.
 */
static int profile_user_data(const struct profile *p, struct node **ret)
{
	struct strbuf ud = STRBUF_INIT;
	struct lock *l = NULL;
	struct yaml_error err = {0};
	int r;

	if (!p) {
		*ret = node_new_map();
		return 0;
	}
	if (lock_load_default(&l) < 0)
		l = NULL; /* the instance part needs the lock only for a mirror */
	r = render_user_data(p, l, RENDER_INSTANCE, &ud);
	lock_free(l);
	if (r == 0 && !str_starts_with(ud.buf, "#cloud-config"))
		r = log_error_errno(-ENOTSUP,
				    "profile '%s' renders MIME multipart user-data, which "
				    "the harness cannot extend; make a seed and pass --seed",
				    p->name);
	if (r == 0 && yaml_parse_string(ud.buf, ud.len, "rendered user-data", false, ret, &err) < 0)
		r = log_error_errno(-EINVAL, "cannot read back the rendered user-data: %s",
				    err.message);
	if (r == 0 && !*ret)
		*ret = node_new_map();
	strbuf_release(&ud);
	return r;
}

/*
 * The seed's user-data: the profile's per-instance part when a profile is
 * given, plus the status reporter, the faasd URL override when a mirror is
 * forwarded, and a hostname when the profile has none.
 */
static int seed_user_data(const struct boot_opts *o, const struct mirror *m, enum arch arch,
			  struct strbuf *out)
{
	struct node *root = NULL;
	char *start[] = {"sh", "-c",
			 "systemctl cat faasd-image-status.service >/dev/null 2>&1 || "
			 "systemd-run --no-block --unit=faasd-image-test-status "
			 "--property=After=cloud-final.service " REPORTER_PATH,
			 NULL};
	_cleanup_free_ char *template = data_path(REPORTER_TEMPLATE), *script = NULL;
	int r;

	r = read_file(template, 1u << 20, &script, NULL);
	if (r < 0)
		return log_error_errno(r, "cannot read '%s': %s", template, strerror(-r));
	r = profile_user_data(o->profile, &root);
	if (r < 0)
		return r;
	if (root->kind != NODE_MAP) {
		node_free(root);
		return log_error_errno(-EINVAL, "the rendered user-data is not a mapping");
	}
	if (!node_map_get(root, "hostname"))
		node_map_set(root, "hostname", value_string("faasd-test"));
	r = map_seq_append(root, "write_files", write_file_node(REPORTER_PATH, "0755", script));
	if (r == 0 && m) {
		_cleanup_free_ char *url = guest_faasd_url(m, o->profile, arch);

		drop_write_file(root, "/etc/faasd-image/faasd-url");
		r = map_seq_append(root, "write_files",
				   write_file_node("/etc/faasd-image/faasd-url", "0644", url));
	}
	if (r == 0)
		r = map_seq_append(root, "runcmd", value_strv(start));
	if (r == 0)
		r = emit_document(root, "#cloud-config", out);
	node_free(root);
	return r;
}

/* meta-data: the profile's (instance-id from the user-data), or a fresh id. */
static int seed_meta_data(const struct boot_opts *o, const struct strbuf *ud, struct strbuf *out)
{
	struct node *root;
	_cleanup_free_ char *id = NULL;
	int r;

	if (o->profile)
		return render_meta_data_for(o->profile, ud->buf, ud->len, out);
	root = node_new_map();
	id = xasprintf("faasd-test-%ld-%llu", (long)getpid(), (unsigned long long)now_ms());
	node_map_set(root, "instance-id", value_string(id));
	node_map_set(root, "local-hostname", value_string("faasd-test"));
	r = emit_document(root, NULL, out);
	node_free(root);
	return r;
}

/* A vfat NoCloud seed (label CIDATA) with user-data and meta-data, at workdir/seed.img. */
static int seed_render(const struct boot_opts *o, const struct mirror *m, enum arch arch,
		       const char *workdir, char **ret_path)
{
	_cleanup_free_ char *seed = path_join(workdir, "seed.img");
	_cleanup_free_ char *ud_path = path_join(workdir, "user-data");
	_cleanup_free_ char *md_path = path_join(workdir, "meta-data");
	struct strbuf ud = STRBUF_INIT, md = STRBUF_INIT;
	char *mkfs[] = {"mkfs.fat", "-C", "-n", "CIDATA", seed, "2048", NULL};
	char *copy[] = {"mcopy", "-i", seed, ud_path, md_path, "::", NULL};
	int r;

	r = seed_user_data(o, m, arch, &ud);
	if (r == 0)
		r = seed_meta_data(o, &ud, &md);
	if (r == 0)
		r = write_file_atomic(ud_path, ud.buf, ud.len, 0644);
	if (r == 0)
		r = write_file_atomic(md_path, md.buf, md.len, 0644);
	strbuf_release(&ud);
	strbuf_release(&md);
	if (r < 0)
		return log_error_errno(r, "cannot write the seed in '%s': %s", workdir,
				       strerror(-r));

	r = run_argv(mkfs, NULL, NULL);
	if (r == 0)
		r = run_argv(copy, &(struct run_opts){.env = mtools_env}, NULL);
	if (r < 0)
		return r;
	*ret_path = TAKE_PTR(seed);
	return 0;
}

/* ---- the machine ---------------------------------------------------------------------- */

struct vm {
	enum arch arch;
	enum boot_machine machine;
	bool pi;
	bool kvm;
	const char *workdir;
	char *firmware_code; /* EFI disks: read-only pflash */
	char *firmware_vars; /* EFI disks: our copy of the vars */
	char *kernel, *initrd, *dtb, *append; /* Pi images: from the boot partition */
	char *disk;
	const char *disk_format;
	char *seed;
	unsigned port;  /* 0: no NIC */
	char *guestfwd; /* "guestfwd=..." or NULL */
	char *serial_log;
	char *qemu_output;
};

static void vm_release(struct vm *vm)
{
	free(vm->firmware_code);
	free(vm->firmware_vars);
	free(vm->kernel);
	free(vm->initrd);
	free(vm->dtb);
	free(vm->append);
	free(vm->disk);
	free(vm->seed);
	free(vm->guestfwd);
	free(vm->serial_log);
	free(vm->qemu_output);
}

static const char *machine_name(enum boot_machine m)
{
	switch (m) {
	case BOOT_MACHINE_Q35:
		return "q35";
	case BOOT_MACHINE_VIRT:
		return "virt";
	case BOOT_MACHINE_RASPI3B:
		return "raspi3b";
	default:
		return "auto";
	}
}

static const char *firmware_candidates[][2] = {
	{"/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd"},
	{"/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"},
	{"/usr/share/AAVMF/AAVMF_CODE.fd", "/usr/share/AAVMF/AAVMF_VARS.fd"},
};

/* UEFI firmware for the arch (OVMF or AAVMF) and a private copy of its variables. */
static int vm_firmware(struct vm *vm)
{
	size_t first = vm->arch == ARCH_AMD64 ? 0 : 2, last = vm->arch == ARCH_AMD64 ? 1 : 2;
	_cleanup_free_ char *vars = NULL;
	size_t len;
	int r;

	for (size_t i = first; i <= last; i++) {
		if (!file_exists(firmware_candidates[i][0]) ||
		    !file_exists(firmware_candidates[i][1]))
			continue;
		r = read_file(firmware_candidates[i][1], 256u << 20, &vars, &len);
		if (r < 0)
			return log_error_errno(r, "cannot read '%s': %s", firmware_candidates[i][1],
					       strerror(-r));
		vm->firmware_code = xstrdup(firmware_candidates[i][0]);
		vm->firmware_vars = path_join(vm->workdir, "efi-vars.fd");
		r = write_file_atomic(vm->firmware_vars, vars, len, 0644);
		if (r < 0)
			return log_error_errno(r, "cannot write '%s': %s", vm->firmware_vars,
					       strerror(-r));
		return 0;
	}
	return log_error_errno(-ENOENT, "no UEFI firmware for %s: install %s (ci/install-deps.sh)",
			       arch_name(vm->arch),
			       vm->arch == ARCH_AMD64 ? "ovmf" : "qemu-efi-aarch64");
}

static void argv_add(char ***argv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void argv_add(char ***argv, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s)
		abort();
	strv_push(argv, s);
}

/* The machine, CPU, memory and firmware: what both the KVM probe and the boot run. */
static char **vm_base_argv(const struct vm *vm, bool kvm)
{
	char **argv = NULL;

	argv_add(&argv, "%s",
		 vm->arch == ARCH_AMD64 ? "qemu-system-x86_64" : "qemu-system-aarch64");
	argv_add(&argv, "-accel");
	argv_add(&argv, "%s", kvm ? "kvm" : "tcg");
	argv_add(&argv, "-machine");
	argv_add(&argv, "%s", machine_name(vm->machine));
	if (vm->machine != BOOT_MACHINE_RASPI3B) {
		/* Under TCG x86 keeps QEMU's default CPU, as timed on the test bed; virt needs one.
		 */
		if (kvm || vm->arch == ARCH_ARM64) {
			argv_add(&argv, "-cpu");
			argv_add(&argv, "%s", kvm ? "host" : "cortex-a53");
		}
		argv_add(&argv, "-m");
		argv_add(&argv, "%s", vm->arch == ARCH_AMD64 ? "1024" : "2048");
		argv_add(&argv, "-smp");
		argv_add(&argv, "2");
	}
	if (vm->firmware_code) {
		argv_add(&argv, "-drive");
		argv_add(&argv, "if=pflash,format=raw,unit=0,readonly=on,file=%s",
			 vm->firmware_code);
		argv_add(&argv, "-drive");
		argv_add(&argv, "if=pflash,format=raw,unit=1,file=%s", vm->firmware_vars);
	}
	argv_add(&argv, "-display");
	argv_add(&argv, "none");
	argv_add(&argv, "-monitor");
	argv_add(&argv, "none");
	argv_add(&argv, "-no-reboot");
	return argv;
}

static const char *host_arch(void)
{
	static struct utsname u;

	if (!u.machine[0] && uname(&u) < 0)
		return "?";
	return u.machine;
}

/* The first line of a file that contains needle, into buf; false when none does. */
static bool file_find_line(const char *path, const char *needle, char *buf, size_t len)
{
	_cleanup_free_ char *text = NULL;
	const char *hit, *start, *end;

	if (read_file(path, 1u << 20, &text, NULL) < 0 || !(hit = strstr(text, needle)))
		return false;
	for (start = hit; start > text && start[-1] != '\n'; start--)
		;
	end = strchrnul(hit, '\n');
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return true;
}

/* Runs the firmware under KVM for a few seconds. 1: it ran; 0: it failed, why says how. */
static int kvm_try(const struct vm *vm, char *why, size_t len)
{
	_cleanup_strv_free_ char **argv = vm_base_argv(vm, true);
	_cleanup_free_ char *out = path_join(vm->workdir, "kvm-probe.out");
	_cleanup_free_ char *log = path_join(vm->workdir, "kvm-probe.log");
	char line[200];
	int pid, status = 0, r;
	bool alive = true;

	argv_add(&argv, "-serial");
	argv_add(&argv, "file:%s", log);
	r = run_spawn(argv, &(struct run_opts){.stdout_path = out}, &pid);
	if (r < 0) {
		snprintf(why, len, "cannot start QEMU to try KVM: %s", strerror(-r));
		return 0;
	}
	for (int i = 0; i < KVM_PROBE_SEC * 10 && alive && !interrupted(); i++) {
		usleep(100000);
		alive = run_running(pid, &status);
	}
	run_kill(pid);

	if (file_find_line(out, "KVM internal error", line, sizeof(line)) ||
	    file_find_line(out, "error", line, sizeof(line)) ||
	    file_find_line(out, "Assertion", line, sizeof(line))) {
		snprintf(why, len, "KVM cannot run this guest here (%s)", line);
		return 0;
	}
	if (!alive) {
		snprintf(why, len, "QEMU with -accel kvm exited at once (status %d)",
			 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return 0;
	}
	return 1;
}

/*
 * Whether KVM can run this guest here: QEMU started with -accel kvm on the
 * same firmware must still run after a few seconds without a KVM error. A
 * /dev/kvm that exists is not enough: a nested or paravirtual KVM may abort
 * on the first MSR write or fail to emulate the firmware. Decided once per
 * process. Returns true or false; *reason says why not.
 */
static bool kvm_works(const struct vm *vm, const char **reason)
{
	static int verdict = -1;
	static char why[256];

	if (verdict < 0) {
		verdict = 0;
		if (!streq(host_arch(), arch_uname(vm->arch)))
			snprintf(why, sizeof(why), "the guest is %s and this host is %s",
				 arch_uname(vm->arch), host_arch());
		else if (access("/dev/kvm", R_OK | W_OK) < 0)
			snprintf(why, sizeof(why), "/dev/kvm cannot be opened: %s",
				 strerror(errno));
		else
			verdict = kvm_try(vm, why, sizeof(why));
	}
	*reason = why;
	return verdict == 1;
}

/* A value of config.txt ("kernel=vmlinuz-6.1.0", "initramfs initrd.img-6.1.0 followkernel"). */
static char *config_value(const char *config, const char *key, char sep)
{
	size_t klen = strlen(key);

	for (const char *line = config; *line;) {
		const char *end = strchrnul(line, '\n');

		if (strncmp(line, key, klen) == 0 && line[klen] == sep) {
			size_t n = strcspn(line + klen + 1, " \t\r\n");

			if (n > 0)
				return xstrndup(line + klen + 1, n);
		}
		line = *end ? end + 1 : end;
	}
	return NULL;
}

/* Reads one file of a FAT filesystem into memory (small text files only). */
static int fat_read(const char *spec, const char *name, char **ret)
{
	_cleanup_free_ char *src = xasprintf("::%s", name);
	char *argv[] = {"mtype", "-i", (char *)spec, src, NULL};
	int r;

	r = run_argv_status(argv, &(struct run_opts){.env = mtools_env, .timeout_sec = 60}, ret);
	if (r > 0) {
		free(*ret);
		*ret = NULL;
		return -ENOENT;
	}
	return r;
}

/* Copies a file out of a FAT filesystem into the work directory; *ret is its path. */
static int fat_copy_out(const char *spec, const char *name, const char *workdir, char **ret)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	_cleanup_free_ char *src = xasprintf("::%s", name);
	_cleanup_free_ char *dest = path_join(workdir, base);
	char *argv[] = {"mcopy", "-n", "-i", (char *)spec, src, dest, NULL};
	int r;

	r = run_argv(argv, &(struct run_opts){.env = mtools_env, .timeout_sec = 120}, NULL);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(dest);
	return 0;
}

/* The Pi's kernel command line, its console moved to the UART this machine shows. */
static char *pi_cmdline(const char *cmdline, enum boot_machine machine)
{
	_cleanup_free_ char *copy = xstrdup(cmdline ? cmdline : "root=LABEL=writable rw rootwait");
	struct strbuf sb = STRBUF_INIT;
	char *word, *save = NULL;

	for (word = strtok_r(copy, " \t\r\n", &save); word;
	     word = strtok_r(NULL, " \t\r\n", &save)) {
		if (str_starts_with(word, "console="))
			continue;
		/* On virt the SD card is a virtio disk. */
		if (machine == BOOT_MACHINE_VIRT && str_starts_with(word, "root=/dev/mmcblk0p"))
			strbuf_addf(&sb, "root=/dev/vda%s ", word + strlen("root=/dev/mmcblk0p"));
		else
			strbuf_addf(&sb, "%s ", word);
	}
	strbuf_adds(&sb, machine == BOOT_MACHINE_RASPI3B ? "console=ttyS1,115200"
							 : "console=ttyAMA0,115200");
	return strbuf_detach(&sb, NULL);
}

/* The path of name (a base name) in an mdir -/ -b listing, without "::". NULL if absent. */
static char *listing_find(const char *listing, const char *name)
{
	size_t len = strlen(name);

	for (const char *line = listing; line && *line;) {
		const char *end = strchrnul(line, '\n');
		size_t n = (size_t)(end - line);

		if (n > len + 2 && line[n - len - 1] == '/' &&
		    strncasecmp(line + n - len, name, len) == 0 && str_starts_with(line, "::"))
			return xstrndup(line + 2, n - 2);
		line = *end ? end + 1 : NULL;
	}
	return NULL;
}

/* Kernel, initrd, device tree and command line from a Pi image's boot partition. */
static int vm_pi_boot_files(struct vm *vm, const char *image, const struct boot_image *img)
{
	struct partition part = {.offset = img->boot_offset, .size = img->boot_size};
	_cleanup_free_ char *spec = NULL, *config = NULL, *cmdline = NULL, *listing = NULL;
	_cleanup_free_ char *kernel = NULL, *initrd = NULL, *dtb = NULL;
	int r;

	r = partition_spec(image, img, &part, vm->workdir, &spec);
	if (r < 0)
		return r;
	r = fat_list(spec, &listing);
	if (r < 0)
		return log_error_errno(r, "cannot list the boot partition of '%s'", image);
	if (fat_read(spec, "config.txt", &config) == 0) {
		kernel = config_value(config, "kernel", '=');
		initrd = config_value(config, "initramfs", ' ');
	}
	if (!kernel)
		kernel = listing_find(listing, "vmlinuz");
	if (!initrd)
		initrd = listing_find(listing, "initrd.img");
	dtb = listing_find(listing, "bcm2837-rpi-3-b.dtb");
	if (!kernel || !initrd)
		return log_error_errno(-ENOENT,
				       "the boot partition of '%s' has no kernel and initrd "
				       "(config.txt names none, no vmlinuz or initrd.img)",
				       image);
	if (vm->machine == BOOT_MACHINE_RASPI3B && !dtb)
		return log_error_errno(-ENOENT,
				       "the boot partition of '%s' has no "
				       "bcm2837-rpi-3-b.dtb, which -M raspi3b needs",
				       image);

	r = fat_copy_out(spec, kernel, vm->workdir, &vm->kernel);
	if (r == 0)
		r = fat_copy_out(spec, initrd, vm->workdir, &vm->initrd);
	if (r == 0 && vm->machine == BOOT_MACHINE_RASPI3B)
		r = fat_copy_out(spec, dtb, vm->workdir, &vm->dtb);
	if (r < 0)
		return r;
	fat_read(spec, "cmdline.txt", &cmdline);
	vm->append = pi_cmdline(cmdline, vm->machine);
	return 0;
}

/* The SD card of raspi3b must be a power of two in size: a raw copy, grown if need be. */
static int vm_sd_copy(struct vm *vm, const char *abs, const char *fmt, uint64_t virtual_size)
{
	uint64_t size = 1;
	_cleanup_free_ char *size_arg = NULL;
	int r;

	while (size < virtual_size)
		size <<= 1;
	size_arg = xasprintf("%llu", (unsigned long long)size);
	vm->disk = path_join(vm->workdir, "sd.raw");
	vm->disk_format = "raw";

	char *convert[] = {"qemu-img", "convert", "-f", (char *)fmt, "-O", "raw", (char *)abs,
			   vm->disk, NULL};
	char *resize[] = {"qemu-img", "resize", "-q", "-f", "raw", vm->disk, size_arg, NULL};

	r = run_argv(convert, &(struct run_opts){.timeout_sec = 600}, NULL);
	if (r == 0 && size != virtual_size)
		r = run_argv(resize, NULL, NULL);
	return r;
}

/* The disk QEMU writes to: a qcow2 overlay on the image, or a raw copy for raspi3b. */
static int vm_disk(struct vm *vm, const char *image, const struct boot_image *img)
{
	_cleanup_free_ char *abs = realpath(image, NULL);
	const char *fmt = img->format == BOOT_FORMAT_QCOW2 ? "qcow2" : "raw";

	if (!abs)
		return log_error_errno(-errno, "cannot resolve '%s': %s", image, strerror(errno));

	if (vm->machine == BOOT_MACHINE_RASPI3B)
		return vm_sd_copy(vm, abs, fmt, img->virtual_size);

	vm->disk = path_join(vm->workdir, "overlay.qcow2");
	vm->disk_format = "qcow2";
	char *create[] = {"qemu-img", "create", "-q", "-f", "qcow2", "-b", abs, "-F", (char *)fmt,
			  vm->disk, NULL};

	return run_argv(create, NULL, NULL);
}

/* A free TCP port on 127.0.0.1, found by binding port 0. */
static int free_port(unsigned *ret)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	_cleanup_close_ int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return log_error_errno(-errno, "cannot find a free port on 127.0.0.1: %s",
				       strerror(errno));
	*ret = ntohs(sa.sin_port);
	return 0;
}

/* The whole QEMU command line of the boot. */
static char **vm_argv(const struct vm *vm)
{
	char **argv = vm_base_argv(vm, vm->kvm);
	bool raspi = vm->machine == BOOT_MACHINE_RASPI3B;

	if (vm->kernel) {
		argv_add(&argv, "-kernel");
		argv_add(&argv, "%s", vm->kernel);
		argv_add(&argv, "-initrd");
		argv_add(&argv, "%s", vm->initrd);
		argv_add(&argv, "-append");
		argv_add(&argv, "%s", vm->append);
	}
	if (vm->dtb) {
		argv_add(&argv, "-dtb");
		argv_add(&argv, "%s", vm->dtb);
	}
	argv_add(&argv, "-drive");
	if (raspi)
		argv_add(&argv, "file=%s,if=sd,format=raw", vm->disk);
	else
		argv_add(&argv, "file=%s,if=virtio,format=%s", vm->disk, vm->disk_format);
	if (vm->seed) {
		argv_add(&argv, "-drive");
		argv_add(&argv, "file=%s,if=virtio,format=raw,readonly=on", vm->seed);
	}
	if (vm->port) {
		argv_add(&argv, "-netdev");
		argv_add(&argv, "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:%u-:%u%s%s", vm->port,
			 GATEWAY_GUEST_PORT, vm->guestfwd ? "," : "",
			 vm->guestfwd ? vm->guestfwd : "");
		argv_add(&argv, "-device");
		argv_add(&argv, "virtio-net-pci,netdev=n0");
	}
	/* raspi3b: the first serial is the PL011 the Pi's Bluetooth uses; Linux talks on the mini
	 * UART. */
	if (raspi) {
		argv_add(&argv, "-serial");
		argv_add(&argv, "null");
	}
	argv_add(&argv, "-serial");
	argv_add(&argv, "file:%s", vm->serial_log);
	return argv;
}

/* ---- watching the boot ---------------------------------------------------------------- */

struct watch {
	struct boot_report *report;
	int log_fd;
	struct strbuf partial; /* the last line while it has no newline yet */
	uint64_t start_ms;
	uint64_t deadline_ms;
	uint64_t next_probe_ms;
	uint64_t status_end_ms;
	bool panic;
	char *stuck; /* the boot stopped in a rescue shell: the line that said so */
	uint64_t stuck_ms;
	bool fetch_unreachable;
	bool no_datasource;
	CURL *curl;
	char *probe_url;
};

static double watch_seconds(const struct watch *w)
{
	return (double)(now_ms() - w->start_ms) / 1000.0;
}

static void watch_reach(struct watch *w, enum boot_milestone m)
{
	if (w->report->at[m] >= 0)
		return;
	w->report->at[m] = watch_seconds(w);
	log_info("%.0f s: %s", w->report->at[m], boot_milestone_description(m));
}

/* The boot stopped in a rescue shell; a few seconds more of log, then the verdict. */
static void watch_stuck(struct watch *w, const char *line)
{
	w->stuck = xstrdup(line);
	w->stuck_ms = now_ms();
}

/* Removes terminal colour sequences and carriage returns in place. */
static void strip_escapes(char *s)
{
	char *out = s;

	for (char *p = s; *p; p++) {
		if (*p == '\033' && p[1] == '[') {
			p += 2;
			while (*p && !(*p >= '@' && *p <= '~'))
				p++;
			if (!*p)
				break;
			continue;
		}
		if (*p != '\r')
			*out++ = *p;
	}
	*out = '\0';
}

static void report_set_unit(struct boot_report *r, const char *name, const char *state)
{
	size_t i;

	for (i = 0; i < r->n_units; i++)
		if (streq(r->units[i].name, name))
			break;
	if (i == r->n_units) {
		if (r->n_units == BOOT_MAX_UNITS)
			return;
		r->units[r->n_units++].name = xstrdup(name);
	}
	free(r->units[i].state);
	r->units[i].state = xstrdup(state);
}

/* One "faasd-image-status: ..." marker (interfaces.md). */
static void watch_marker(struct watch *w, const char *m)
{
	struct boot_report *r = w->report;
	char name[128], state[64];

	if (str_starts_with(m, "cloud-init ")) {
		free(r->cloud_init_status);
		r->cloud_init_status = xstrdup(m + strlen("cloud-init "));
	} else if (sscanf(m, "unit %127s %63s", name, state) == 2) {
		report_set_unit(r, name, state);
	} else if (str_starts_with(m, "hostname ")) {
		free(r->hostname);
		r->hostname = xstrdup(m + strlen("hostname "));
	} else if (str_starts_with(m, "gateway ")) {
		r->guest_gateway = atoi(m + strlen("gateway "));
	} else if (streq(m, "end")) {
		watch_reach(w, MILESTONE_STATUS);
		w->status_end_ms = now_ms();
	}
}

/*
 * What the first-boot fetch says when its URL cannot be reached: curl's
 * connection errors (which reach the console without a prefix when the unit
 * logs to it), or fetch-faasd's own lines with such words. Only counted
 * when faasd-fetch.service did not end active.
 */
static bool fetch_unreachable_line(const char *line)
{
	static const char *const words[] = {
		"could not reach", "cannot reach", "Failed to connect", "Could not resolve",
		"Connection refused", "Connection timed out", "Network is unreachable",
	};

	if (strstr(line, "curl: (6)") || strstr(line, "curl: (7)") || strstr(line, "curl: (28)"))
		return true;
	if (!strstr(line, "faasd-fetch") && !strstr(line, "fetch-faasd"))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcasestr(line, words[i]))
			return true;
	return false;
}

/*
 * cloud-init's last words: its default final message, or the one faasd-image's
 * user-data sets (final_message in the templates). Returns where it starts.
 */
static const char *cloud_init_final_line(const char *line)
{
	const char *p = strstr(line, "Cloud-init v. ");

	if (p && strstr(p, " finished at "))
		return p;
	return strstr(line, "faasd-image: cloud-init finished after ");
}

/* "HOSTNAME login: " at the start of a line; kernel messages may follow on the same line. */
static bool is_login_prompt(const char *line)
{
	const char *p = strstr(line, " login:");

	return p && p > line && !memchr(line, ' ', (size_t)(p - line)) &&
	       !memchr(line, '[', (size_t)(p - line));
}

/*
 * systemd reaching multi-user, or the getty target inside it (multi-user
 * itself waits for cloud-init on some images), or a login prompt.
 */
static bool is_userspace_line(const char *line)
{
	if (strstr(line, "Reached target") &&
	    (strstr(line, "Multi-User System") || strstr(line, "Graphical Interface") ||
	     strstr(line, "Login Prompts")))
		return true;
	return is_login_prompt(line);
}

static void watch_line(struct watch *w, char *line)
{
	const char *marker;

	strip_escapes(line);
	if (strstr(line, "Linux version "))
		watch_reach(w, MILESTONE_KERNEL);
	if (is_userspace_line(line))
		watch_reach(w, MILESTONE_USERSPACE);
	if (cloud_init_final_line(line)) {
		watch_reach(w, MILESTONE_CLOUD_INIT);
		free(w->report->cloud_init_line);
		w->report->cloud_init_line = xstrdup(cloud_init_final_line(line));
		if (strstr(line, "DataSourceNone"))
			w->no_datasource = true;
	}
	if (strstr(line, "Kernel panic"))
		w->panic = true;
	if (!w->stuck && (strstr(line, "You are in emergency mode") ||
			  strstr(line, "Give root password for maintenance") ||
			  strstr(line, "Failed to mount") || strstr(line, "ALERT! ")))
		watch_stuck(w, line);
	if (fetch_unreachable_line(line))
		w->fetch_unreachable = true;
	marker = strstr(line, "faasd-image-status: ");
	if (marker)
		watch_marker(w, marker + strlen("faasd-image-status: "));
}

/* Reads what the serial log gained since last time and handles each complete line. */
static void watch_read(struct watch *w)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(w->log_fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (w->partial.len < 4096)
					strbuf_addc(&w->partial, buf[i]);
				continue;
			}
			if (w->partial.buf)
				watch_line(w, w->partial.buf);
			strbuf_release(&w->partial);
		}
	}
	/* A login prompt has no newline after it, nor has the initramfs shell's. */
	if (w->partial.buf && is_login_prompt(w->partial.buf))
		watch_reach(w, MILESTONE_USERSPACE);
	if (w->partial.buf && streq(w->partial.buf, "(initramfs) ") && !w->stuck)
		watch_stuck(w, "the initramfs dropped to its shell");
}

static size_t discard_body(void *data, size_t size, size_t n, void *userdata)
{
	return size * n;
}

/* One GET of the forwarded gateway; records the HTTP code (0: no answer). */
static void watch_probe(struct watch *w)
{
	long code = 0;

	if (!w->curl) {
		w->curl = curl_easy_init();
		if (!w->curl)
			return;
		curl_easy_setopt(w->curl, CURLOPT_URL, w->probe_url);
		curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard_body);
		curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
		curl_easy_setopt(w->curl, CURLOPT_TIMEOUT_MS, 4000L);
		curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(w->curl, CURLOPT_NOPROXY, "*");
	}
	if (curl_easy_perform(w->curl) == CURLE_OK)
		curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
	w->report->host_gateway = (int)code;
	log_debug("GET '%s': %ld", w->probe_url, code);
	if (code == 200)
		watch_reach(w, MILESTONE_GATEWAY);
}

/* True when there is nothing more to wait for. */
static bool watch_done(struct watch *w)
{
	const struct boot_report *r = w->report;
	uint64_t now = now_ms();

	if (w->panic || (w->stuck && now > w->stuck_ms + 10000))
		return true;
	if (r->at[MILESTONE_STATUS] < 0)
		return false;
	if (!r->port || r->at[MILESTONE_GATEWAY] >= 0)
		return true;
	/* The guest saw no gateway: a few host probes confirm it, no more. */
	if (r->guest_gateway != 200)
		return now > w->status_end_ms + 2 * PROBE_INTERVAL_MS;
	return now > w->status_end_ms + GATEWAY_GRACE_MS;
}

/* Probe the gateway every few seconds once userspace (or anything later) was seen. */
static bool watch_should_probe(const struct watch *w)
{
	const struct boot_report *r = w->report;

	if (!r->port || r->at[MILESTONE_GATEWAY] >= 0 || now_ms() < w->next_probe_ms)
		return false;
	return r->at[MILESTONE_USERSPACE] >= 0 || r->at[MILESTONE_CLOUD_INIT] >= 0 ||
	       r->at[MILESTONE_STATUS] >= 0;
}

/*
 * Follows the boot until the verdict is in, QEMU exits, the deadline passes
 * or we are interrupted. Returns 0, or -EINTR. *ret_status is QEMU's wait
 * status when it exited by itself, -1 when it still ran.
 */
static int watch_boot(struct watch *w, int pid, int *ret_status)
{
	int status;

	*ret_status = -1;
	for (;;) {
		watch_read(w);
		if (interrupted())
			return -EINTR;
		if (watch_done(w))
			return 0;
		if (!run_running(pid, &status)) {
			watch_read(w);
			*ret_status = status;
			return 0;
		}
		if (now_ms() > w->deadline_ms)
			return 0;
		if (watch_should_probe(w)) {
			watch_probe(w);
			w->next_probe_ms = now_ms() + PROBE_INTERVAL_MS;
		}
		usleep(250000);
	}
}

/* ---- the verdict ---------------------------------------------------------------------- */

static const char *report_unit_state(const struct boot_report *r, const char *name)
{
	for (size_t i = 0; i < r->n_units; i++)
		if (streq(r->units[i].name, name))
			return r->units[i].state;
	return NULL;
}

/* Which required units are not active, as "a is failed; b is not-found". Empty if none. */
static void bad_units(const struct boot_report *r, struct strbuf *out)
{
	const char *fetch = report_unit_state(r, "faasd-fetch.service");

	if (streq(fetch, "failed"))
		strbuf_adds(out, "first-boot fetch of faasd failed (faasd-fetch.service failed); ");
	for (size_t i = 0; i < ARRAY_SIZE(required_units); i++) {
		const char *state = report_unit_state(r, required_units[i]);

		if (!streq(state, "active"))
			strbuf_addf(out, "%s is %s; ", required_units[i],
				    state ? state : "not reported");
	}
	if (out->len >= 2)
		out->buf[out->len -= 2] = '\0';
}

/* Why the boot is not healthy, from the last milestone back to the first; NULL: it is. */
static char *verdict_reason(const struct watch *w)
{
	const struct boot_report *r = w->report;
	struct strbuf units = STRBUF_INIT;

	if (w->panic)
		return xstrdup("the kernel panicked");
	if (w->stuck)
		return xasprintf("the boot stopped in a rescue shell: %s", w->stuck);
	if (r->at[MILESTONE_KERNEL] < 0)
		return xstrdup("no kernel started: the firmware or the boot loader failed "
			       "(no 'Linux version' on the console)");
	if (r->at[MILESTONE_CLOUD_INIT] < 0)
		return xstrdup("cloud-init did not finish (no 'Cloud-init v. ... finished' line; "
			       "was a NoCloud seed found?)");
	if (w->no_datasource)
		return xstrdup("cloud-init found no seed: it finished with DataSourceNone");
	if (r->at[MILESTONE_STATUS] < 0)
		return xstrdup("no status markers ('faasd-image-status: end'): the image has no "
			       "faasd-image-status.service and the seed no reporter");
	if (!streq(r->cloud_init_status, "done"))
		return xasprintf("cloud-init finished with status '%s'",
				 r->cloud_init_status ? r->cloud_init_status : "unknown");
	if (w->fetch_unreachable && !streq(report_unit_state(r, "faasd-fetch.service"), "active"))
		return xstrdup("first-boot fetch of faasd could not reach its URL");
	bad_units(r, &units);
	if (units.len)
		return strbuf_detach(&units, NULL);
	strbuf_release(&units);
	if (r->port && r->at[MILESTONE_GATEWAY] < 0) {
		if (r->host_gateway > 0)
			return xasprintf(
			    "the gateway answered HTTP %d on http://127.0.0.1:%u/healthz",
			    r->host_gateway, r->port);
		return xasprintf("the gateway did not answer on http://127.0.0.1:%u/healthz "
				 "(the guest saw %d)",
				 r->port, r->guest_gateway);
	}
	if (!r->port && r->guest_gateway != 200)
		return xasprintf("the gateway answered %d inside the guest (no NIC to probe from "
				 "the host)",
				 r->guest_gateway);
	return NULL;
}

/* The first milestone not reached; MILESTONE_COUNT when all were. */
static enum boot_milestone first_missing(const struct boot_report *r)
{
	for (int m = 0; m < MILESTONE_COUNT; m++) {
		if (m == MILESTONE_GATEWAY && !r->port)
			continue;
		if (r->at[m] < 0)
			return (enum boot_milestone)m;
	}
	return MILESTONE_COUNT;
}

static void report_verdict(struct watch *w, int qemu_status, const char *qemu_said, bool timed_out,
			   unsigned timeout)
{
	struct boot_report *r = w->report;
	_cleanup_free_ char *why = verdict_reason(w);
	enum boot_milestone missing = first_missing(r);

	r->passed = !why;
	if (r->passed) {
		r->reason = xstrdup("healthy");
		return;
	}
	if (qemu_said && missing < MILESTONE_COUNT)
		r->reason = xasprintf("QEMU failed before %s: %s",
				      boot_milestone_description(missing), qemu_said);
	else if (timed_out && missing < MILESTONE_COUNT)
		r->reason = xasprintf("timed out after %u s waiting for %s: %s", timeout,
				      boot_milestone_description(missing), why);
	else if (qemu_status >= 0 && missing < MILESTONE_COUNT)
		r->reason = xasprintf("QEMU exited (%s %d) before %s: %s",
				      WIFEXITED(qemu_status) ? "status" : "signal",
				      WIFEXITED(qemu_status) ? WEXITSTATUS(qemu_status)
							     : WTERMSIG(qemu_status),
				      boot_milestone_description(missing), why);
	else
		r->reason = TAKE_PTR(why);
}

static bool excerpt_match(const char *line)
{
	return strcasestr(line, "error") || strcasestr(line, "fail") ||
	       strstr(line, "faasd-image-status") || strstr(line, "Kernel panic");
}

/*
 * The log lines worth reading after a failure: every line before the tail
 * that mentions an error, a failure or a status marker (the last
 * EXCERPT_MATCH_LINES of them), then the last EXCERPT_TAIL_LINES lines.
 */
static char *log_excerpt(const char *path)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_strv_free_ char **lines = NULL;
	struct strbuf out = STRBUF_INIT;
	size_t n, tail, matches = 0, skip;
	char *line, *save = NULL;

	if (read_file(path, 64u << 20, &text, NULL) < 0)
		return xstrdup("");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		strip_escapes(line);
		strv_push(&lines, line);
	}
	n = strv_length(lines);
	tail = n > EXCERPT_TAIL_LINES ? n - EXCERPT_TAIL_LINES : 0;
	for (size_t i = 0; i < tail; i++)
		matches += excerpt_match(lines[i]);
	skip = matches > EXCERPT_MATCH_LINES ? matches - EXCERPT_MATCH_LINES : 0;
	for (size_t i = 0; i < tail; i++) {
		if (!excerpt_match(lines[i]) || (skip && skip--))
			continue;
		strbuf_addf(&out, "%6zu  %s\n", i + 1, lines[i]);
	}
	if (tail && out.len)
		strbuf_adds(&out, "   ...\n");
	for (size_t i = tail; i < n; i++)
		strbuf_addf(&out, "%6zu  %s\n", i + 1, lines[i]);
	return strbuf_detach(&out, NULL);
}

/* ---- the whole test ------------------------------------------------------------------- */

static int make_workdir(char **ret)
{
	const char *tmp = getenv("TMPDIR");
	_cleanup_free_ char *dir =
	    xasprintf("%s/faasd-image-test.XXXXXX", str_empty(tmp) ? "/var/tmp" : tmp);

	if (!mkdtemp(dir))
		return log_error_errno(-errno, "cannot make a work directory '%s': %s", dir,
				       strerror(errno));
	temp_register(dir);
	*ret = TAKE_PTR(dir);
	return 0;
}

/* The machine for the image: --machine checked against it, or the natural one. */
static int pick_machine(const struct boot_opts *o, const struct boot_image *img, enum arch arch,
			enum boot_machine *ret)
{
	enum boot_machine m = o->machine;

	if (m == BOOT_MACHINE_AUTO)
		m = arch == ARCH_AMD64 ? BOOT_MACHINE_Q35 : BOOT_MACHINE_VIRT;
	if (m == BOOT_MACHINE_Q35 && arch != ARCH_AMD64)
		return log_error_errno(-EINVAL, "machine q35 runs amd64 images; '%s' is %s",
				       o->image, arch_name(arch));
	if (m != BOOT_MACHINE_Q35 && arch != ARCH_ARM64)
		return log_error_errno(-EINVAL, "machine %s runs arm64 images; '%s' is %s",
				       machine_name(m), o->image, arch_name(arch));
	if (m == BOOT_MACHINE_RASPI3B && !img->pi)
		return log_error_errno(-EINVAL,
				       "machine raspi3b boots Raspberry Pi SD images; "
				       "'%s' has no system-boot partition",
				       o->image);
	*ret = m;
	return 0;
}

static int image_arch(const struct boot_opts *o, const struct boot_image *img, enum arch *ret)
{
	if (img->arch_known) {
		if (o->profile && o->profile->arch != img->arch)
			log_warn("'%s' is %s but profile '%s' says %s; booting it as %s", o->image,
				 arch_name(img->arch), o->profile->name,
				 arch_name(o->profile->arch), arch_name(img->arch));
		*ret = img->arch;
		return 0;
	}
	if (o->profile) {
		*ret = o->profile->arch;
		return 0;
	}
	return log_error_errno(-EINVAL,
			       "cannot tell the architecture of '%s': no ESP with "
			       "EFI/BOOT/BOOT*.EFI and no system-boot partition; name its profile "
			       "with --profile",
			       o->image);
}

/*
 * The guestfwd part of -netdev that makes http://10.0.2.100/ in the guest
 * reach the mirror. QEMU's "cmd:" form starts a relay for every connection
 * the guest opens; its chardev form ("tcp:HOST:PORT") connects once, at
 * start, and serves a single connection, so it is only the last resort.
 */
static char *guestfwd_option(const struct mirror *m)
{
	if (program_exists("busybox"))
		return xasprintf("guestfwd=tcp:" GUEST_MIRROR_HOST ":80-cmd:busybox nc %s %u",
				 m->host, m->port);
	if (program_exists("socat"))
		return xasprintf("guestfwd=tcp:" GUEST_MIRROR_HOST ":80-cmd:socat - TCP:%s:%u",
				 m->host, m->port);
	log_warn("neither busybox nor socat is installed: the guest can open one connection "
		 "to the mirror only");
	return xasprintf("guestfwd=tcp:" GUEST_MIRROR_HOST ":80-tcp:%s:%u", m->host, m->port);
}

/* Seed, network and accelerator of the VM; fills the report's description. */
static int vm_prepare_run(struct vm *vm, const struct boot_opts *o, struct boot_report *r)
{
	struct mirror m = {0};
	const char *why = NULL;
	int r_ = 0;

	if (o->mirror) {
		r_ = mirror_parse(o->mirror, &m);
		if (r_ < 0)
			return r_;
		vm->guestfwd = guestfwd_option(&m);
		if (vm->pi)
			log_warn("a Pi image reads its own seed: --mirror forwards the mirror, but "
				 "the faasd URL stays what the image's seed says");
	}
	if (o->seed) {
		vm->seed = realpath(o->seed, NULL);
		if (!vm->seed)
			r_ = log_error_errno(-errno, "seed '%s': %s", o->seed, strerror(errno));
		r->seed = xstrdup(o->seed);
	} else if (vm->pi) {
		r->seed = xstrdup("the image's boot partition");
	} else {
		r_ = seed_render(o, o->mirror ? &m : NULL, vm->arch, vm->workdir, &vm->seed);
		r->seed = xstrdup("rendered by the harness");
	}
	mirror_release(&m);
	if (r_ < 0)
		return r_;

	if (vm->machine != BOOT_MACHINE_RASPI3B) {
		vm->port = o->port;
		if (!vm->port && (r_ = free_port(&vm->port)) < 0)
			return r_;
	}

	vm->kvm =
	    o->accel == BOOT_ACCEL_KVM || (o->accel == BOOT_ACCEL_AUTO && kvm_works(vm, &why));
	if (o->accel == BOOT_ACCEL_AUTO && !vm->kvm) {
		log_info("using TCG: %s", why);
		r->accel_reason = xstrdup(why);
	}
	r->accel = xstrdup(vm->kvm ? "kvm" : "tcg");
	r->port = vm->port;
	return 0;
}

/* Everything up to the QEMU command line: image, arch, machine, firmware or kernel, disk. */
static int vm_prepare(struct vm *vm, const struct boot_opts *o, struct boot_report *r)
{
	struct boot_image img;
	int r_;

	r_ = boot_image_probe(o->image, vm->workdir, &img);
	if (r_ < 0)
		return r_;
	r_ = image_arch(o, &img, &vm->arch);
	if (r_ == 0)
		r_ = pick_machine(o, &img, vm->arch, &vm->machine);
	if (r_ < 0)
		return r_;
	vm->pi = img.pi;
	r->arch = xstrdup(arch_name(vm->arch));
	r->machine = xstrdup(machine_name(vm->machine));

	r_ = vm->pi ? vm_pi_boot_files(vm, o->image, &img) : vm_firmware(vm);
	if (r_ == 0)
		r_ = vm_disk(vm, o->image, &img);
	if (r_ == 0)
		r_ = vm_prepare_run(vm, o, r);
	return r_;
}

static int vm_run(struct vm *vm, const struct boot_opts *o, struct boot_report *r)
{
	_cleanup_strv_free_ char **argv = vm_argv(vm);
	unsigned timeout = o->timeout_sec ? o->timeout_sec : DEFAULT_TIMEOUT_SEC;
	struct watch w = {.report = r, .log_fd = -1};
	char qemu_said[300];
	const char *said = NULL;
	int pid, qemu_status, r_;

	r_ = write_file_atomic(vm->serial_log, "", 0, 0644);
	if (r_ < 0)
		return log_error_errno(r_, "cannot create '%s': %s", vm->serial_log, strerror(-r_));
	log_info("booting '%s': %s on %s with %s%s, serial log '%s'", o->image, r->arch, r->machine,
		 r->accel, vm->port ? "" : ", no NIC", vm->serial_log);
	if (vm->port)
		log_info("gateway forwarded to http://127.0.0.1:%u/", vm->port);

	r_ = run_spawn(argv, &(struct run_opts){.stdout_path = vm->qemu_output}, &pid);
	if (r_ < 0)
		return log_error_errno(r_, "cannot start '%s': %s", argv[0], strerror(-r_));
	w.start_ms = now_ms();
	w.deadline_ms = w.start_ms + timeout * 1000ull;
	w.log_fd = open(vm->serial_log, O_RDONLY | O_CLOEXEC);
	w.probe_url = xasprintf("http://127.0.0.1:%u/healthz", vm->port);

	r_ = watch_boot(&w, pid, &qemu_status);
	run_kill(pid);
	r->elapsed = watch_seconds(&w);
	if (w.log_fd >= 0)
		close(w.log_fd);
	if (w.curl)
		curl_easy_cleanup(w.curl);
	free(w.probe_url);
	strbuf_release(&w.partial);
	if (r_ < 0) {
		free(w.stuck);
		return r_;
	}

	/* QEMU's own complaint, when it ended by itself with an error. */
	if (qemu_status >= 0 && !(WIFEXITED(qemu_status) && WEXITSTATUS(qemu_status) == 0) &&
	    file_find_line(vm->qemu_output, "qemu-system", qemu_said, sizeof(qemu_said)))
		said = qemu_said;
	report_verdict(&w, qemu_status, said, qemu_status < 0 && !watch_done(&w), timeout);
	free(w.stuck);
	if (!r->passed)
		r->excerpt = log_excerpt(vm->serial_log);
	return 0;
}

int boot_test(const struct boot_opts *o, struct boot_report *r)
{
	struct vm vm = {0};
	_cleanup_free_ char *workdir = NULL;
	int r_;

	*r = (struct boot_report){
	    .image = xstrdup(o->image), .guest_gateway = -1, .host_gateway = -1};
	for (int m = 0; m < MILESTONE_COUNT; m++)
		r->at[m] = -1;

	r_ = make_workdir(&workdir);
	if (r_ < 0)
		return r_;
	vm.workdir = workdir;
	vm.serial_log = path_join(workdir, "serial.log");
	vm.qemu_output = path_join(workdir, "qemu.out");
	r->log_path = xstrdup(vm.serial_log);

	r_ = vm_prepare(&vm, o, r);
	if (r_ == 0)
		r_ = vm_run(&vm, o, r);
	vm_release(&vm);

	if (o->keep && r_ != -EMEDIUMTYPE) {
		temp_unregister(workdir);
		r->workdir = TAKE_PTR(workdir);
	} else {
		remove_tree(workdir);
		temp_unregister(workdir);
	}
	return r_;
}

void boot_report_free(struct boot_report *r)
{
	free(r->image);
	free(r->arch);
	free(r->machine);
	free(r->accel);
	free(r->accel_reason);
	free(r->seed);
	free(r->cloud_init_line);
	free(r->cloud_init_status);
	for (size_t i = 0; i < r->n_units; i++) {
		free(r->units[i].name);
		free(r->units[i].state);
	}
	free(r->hostname);
	free(r->reason);
	free(r->log_path);
	free(r->workdir);
	free(r->excerpt);
}
