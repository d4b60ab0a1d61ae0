// SPDX-License-Identifier: MIT
/*
 * Disk assembly without mounts or loop devices. A sized, sparse file gets a
 * partition table from sfdisk, a FAT from mkfs.fat at the boot partition's
 * offset (filled with mtools: GRUB's EFI loader from grub-mkimage, or the
 * Raspberry Pi's boot files) and an ext4 root from mke2fs -d at the root
 * partition's offset. mke2fs copies access and change times from the tree,
 * which differ from build to build, so a debugfs pass then sets them to the
 * source date epoch (and clamps later modification times to it).
 *
 * Every tool runs from an argv through run_argv() with a fixed environment
 * (epoch, TZ=UTC, C locale, no user mtools configuration). The disk is built
 * under a temporary name and renamed only when complete. Nothing here writes
 * to the root tree or the boot directory.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "disk.h"
#include "log.h"
#include "run.h"
#include "util.h"
#include "verify.h"

#define EXT4_BLOCK UINT64_C(4096)
#define EXT4_INODE_RATIO UINT64_C(16384)
#define EXT4_INODE_SIZE UINT64_C(256)
#define EXT4_BLOCKS_PER_GROUP UINT64_C(32768)
#define EXT4_MIN_ROOT (16 * DISK_MIB)
#define TREE_MAX_DEPTH 256

#define EFI_ESP_OFFSET (1 * DISK_MIB)
#define EFI_ESP_SIZE (100 * DISK_MIB)
#define EFI_TAIL (1 * DISK_MIB) /* holds GPT's backup table */
#define RPI_BOOT_OFFSET (4 * DISK_MIB)
#define RPI_BOOT_SIZE (256 * DISK_MIB)

#define GPT_TYPE_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GPT_TYPE_ROOT_AMD64 "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
#define GPT_TYPE_ROOT_ARM64 "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"

static uint64_t div_round_up(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static uint64_t round_up(uint64_t a, uint64_t b)
{
	return div_round_up(a, b) * b;
}

/* ---- identifiers ------------------------------------------------------- */

static void seed_digest(const char *seed, const char *role, uint8_t out[32])
{
	_cleanup_free_ char *text = xasprintf("%s:%s", seed, role);
	char hex[SHA256_HEX_LEN + 1];

	sha256_buffer(text, strlen(text), hex);
	for (int i = 0; i < 32; i++) {
		unsigned byte;

		sscanf(hex + 2 * i, "%2x", &byte);
		out[i] = (uint8_t)byte;
	}
}

void disk_uuid_derive(const char *seed, const char *role, char out[DISK_UUID_LEN + 1])
{
	uint8_t d[32];

	seed_digest(seed, role, d);
	d[6] = (uint8_t)((d[6] & 0x0f) | 0x80); /* version 8: custom */
	d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(out, DISK_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0], d[1],
		 d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14],
		 d[15]);
}

uint32_t disk_id32_derive(const char *seed, const char *role)
{
	uint8_t d[32];

	seed_digest(seed, role, d);
	return (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
}

/* ---- geometry ---------------------------------------------------------- */

static uint64_t round_pow2(uint64_t n)
{
	uint64_t p = 1;

	while (p < n && p < (1ull << 62))
		p <<= 1;
	return p;
}

/* The fixed part of a layout: everything but the root partition. */
static uint64_t layout_fixed_size(enum disk_layout layout)
{
	if (layout == DISK_LAYOUT_RPI)
		return RPI_BOOT_OFFSET + RPI_BOOT_SIZE;
	return EFI_ESP_OFFSET + EFI_ESP_SIZE + EFI_TAIL;
}

int disk_layout_compute(const struct disk_spec *spec, struct disk_geometry *ret)
{
	struct disk_geometry g = {0};
	uint64_t fixed = layout_fixed_size(spec->layout);

	g.disk_size = round_up(spec->disk_size, DISK_MIB);
	if (spec->round_pow2)
		g.disk_size = round_pow2(g.disk_size);
	if (g.disk_size < fixed + EXT4_MIN_ROOT)
		return -EINVAL;

	if (spec->layout == DISK_LAYOUT_RPI) {
		g.boot = (struct disk_part){RPI_BOOT_OFFSET, RPI_BOOT_SIZE};
		g.root.offset = RPI_BOOT_OFFSET + RPI_BOOT_SIZE;
	} else {
		g.boot = (struct disk_part){EFI_ESP_OFFSET, EFI_ESP_SIZE};
		g.root.offset = EFI_ESP_OFFSET + EFI_ESP_SIZE;
	}
	g.root.size = g.disk_size - fixed;
	*ret = g;
	return 0;
}

/* ---- what a tree needs ------------------------------------------------- */

struct inode_ref {
	dev_t dev;
	ino_t ino;
	uint64_t blocks, bytes;
};

struct tree_walk {
	struct tree_usage usage;
	struct inode_ref *links; /* entries with more than one link, counted each time */
	size_t n_links, alloc_links;
	uint64_t epoch;          /* 0: do not collect */
	char **late;             /* "/path" of entries modified after epoch */
};

static uint64_t entry_blocks(const struct stat *st)
{
	uint64_t size = (uint64_t)st->st_size;

	if (S_ISLNK(st->st_mode))
		return size < 60 ? 0 : 1; /* short targets live in the inode */
	if (!S_ISREG(st->st_mode))
		return 0;
	/* A sparse file: mke2fs leaves its holes (and zero blocks) unallocated. */
	if ((uint64_t)st->st_blocks * 512 < size)
		size = (uint64_t)st->st_blocks * 512;
	return div_round_up(size, EXT4_BLOCK);
}

static void walk_note_link(struct tree_walk *w, const struct stat *st, uint64_t blocks)
{
	uint64_t bytes = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;

	if (w->n_links == w->alloc_links) {
		w->alloc_links = w->alloc_links ? 2 * w->alloc_links : 64;
		w->links = xrealloc(w->links, w->alloc_links * sizeof(*w->links));
	}
	w->links[w->n_links++] = (struct inode_ref){st->st_dev, st->st_ino, blocks, bytes};
}

static int inode_ref_cmp(const void *a, const void *b)
{
	const struct inode_ref *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* Hard links were counted once per name; take back all but one of each. */
static void walk_fold_links(struct tree_walk *w)
{
	if (w->n_links)
		qsort(w->links, w->n_links, sizeof(*w->links), inode_ref_cmp);
	for (size_t i = 1; i < w->n_links; i++) {
		if (inode_ref_cmp(&w->links[i - 1], &w->links[i]) != 0)
			continue;
		w->usage.inodes--;
		w->usage.blocks -= w->links[i].blocks;
		w->usage.bytes -= w->links[i].bytes;
	}
}

static int walk_dir(int dirfd, const char *rel, struct tree_walk *w, unsigned depth);

static int walk_entry(int dirfd, const char *rel, const char *name, struct tree_walk *w,
		      unsigned depth, uint64_t *dir_bytes)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", rel, name);
	uint64_t blocks;
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;

	/* A directory entry: 8 bytes and the name, padded to 4. */
	*dir_bytes += round_up(8 + strlen(name), 4);
	blocks = entry_blocks(&st);
	w->usage.inodes++;
	w->usage.blocks += blocks;
	if (S_ISREG(st.st_mode))
		w->usage.bytes += (uint64_t)st.st_size;
	if (!S_ISDIR(st.st_mode) && st.st_nlink > 1)
		walk_note_link(w, &st, blocks);
	if (w->epoch && (uint64_t)st.st_mtime > w->epoch)
		strv_push(&w->late, path);

	if (!S_ISDIR(st.st_mode))
		return 0;

	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return walk_dir(fd, path, w, depth + 1);
}

/* Takes ownership of dirfd. */
static int walk_dir(int dirfd, const char *rel, struct tree_walk *w, unsigned depth)
{
	uint64_t dir_bytes = 24; /* "." and ".." */
	DIR *d;
	struct dirent *e;
	int r = 0;

	if (depth > TREE_MAX_DEPTH) {
		close(dirfd);
		return -ELOOP;
	}
	d = fdopendir(dirfd);
	if (!d) {
		r = -errno;
		close(dirfd);
		return r;
	}
	while (r == 0 && (e = readdir(d))) {
		if (streq(e->d_name, ".") || streq(e->d_name, ".."))
			continue;
		r = walk_entry(dirfd, rel, e->d_name, w, depth, &dir_bytes);
	}
	closedir(d);

	/* Hashed directories run about three quarters full. */
	w->usage.blocks += div_round_up(dir_bytes * 4 / 3, EXT4_BLOCK);
	return r;
}

static int tree_walk_run(const char *dir, struct tree_walk *w)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	w->usage.inodes++; /* the root directory */
	r = walk_dir(fd, "", w, 0);
	walk_fold_links(w);
	free(w->links);
	w->links = NULL;
	return r;
}

int tree_usage_measure(const char *dir, struct tree_usage *ret)
{
	struct tree_walk w = {0};
	int r = tree_walk_run(dir, &w);

	if (r < 0)
		return r;
	*ret = w.usage;
	return 0;
}

/* mke2fs's default journal size (e2fsprogs 1.46+), in blocks, for a filesystem of blocks. */
static uint64_t ext4_journal_blocks(uint64_t blocks)
{
	static const struct {
		uint64_t below, journal;
	} table[] = {
		{32768, 1024},       {256 * 1024, 4096},    {512 * 1024, 8192},
		{4096 * 1024, 16384}, {8192 * 1024, 32768}, {16384 * 1024, 65536},
		{32768 * 1024, 131072},
	};

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (blocks < table[i].below)
			return table[i].journal;
	return 262144;
}

/* Groups holding a superblock and descriptor copies: 0, 1 and powers of 3, 5, 7. */
static uint64_t ext4_backup_groups(uint64_t groups)
{
	uint64_t n = groups > 1 ? 2 : 1;

	for (uint64_t base = 3; base <= 7; base += 2)
		for (uint64_t g = base; g < groups; g *= base)
			n++;
	return n;
}

static uint64_t ext4_wanted_inodes(const struct tree_usage *u)
{
	/* The reserved inodes, lost+found and a tenth more for the first boot. */
	return u->inodes + u->inodes / 10 + 64;
}

uint64_t disk_ext4_inode_count(const struct tree_usage *usage, uint64_t fs_size)
{
	uint64_t wanted = ext4_wanted_inodes(usage);

	return wanted > fs_size / EXT4_INODE_RATIO ? wanted : 0;
}

uint64_t disk_ext4_min_size(const struct tree_usage *usage)
{
	/* The tree, 2 % for extent blocks and estimates, and 8 MiB to breathe. */
	uint64_t need = usage->blocks + usage->blocks / 50 + 2048;
	uint64_t inodes = ext4_wanted_inodes(usage);
	uint64_t blocks = need, prev = 0;

	/* The metadata grows with the size: iterate to the fixed point. */
	for (int i = 0; i < 32 && blocks != prev; i++) {
		uint64_t groups = div_round_up(blocks, EXT4_BLOCKS_PER_GROUP);
		uint64_t n_inodes = blocks * EXT4_BLOCK / EXT4_INODE_RATIO;
		uint64_t gdt = div_round_up(groups * 64, EXT4_BLOCK);
		/* resize_inode reserves descriptors for a 1024-fold growth, at most 1024 blocks. */
		uint64_t reserved = div_round_up(groups * 1024 * 64, EXT4_BLOCK);
		uint64_t meta;

		if (n_inodes < inodes)
			n_inodes = inodes;
		if (reserved > 1024)
			reserved = 1024;
		meta = div_round_up(n_inodes * EXT4_INODE_SIZE, EXT4_BLOCK) +
		       ext4_journal_blocks(blocks) + groups * 2 +
		       ext4_backup_groups(groups) * (1 + gdt + reserved);
		prev = blocks;
		blocks = need + meta;
		if (blocks < prev)
			blocks = prev;
	}
	return round_up(blocks * EXT4_BLOCK, DISK_MIB);
}

/* ---- GRUB -------------------------------------------------------------- */

char *disk_grub_config(const char *root_label, const char *kernel_cmdline)
{
	struct strbuf sb = STRBUF_INIT;
	const char *args = kernel_cmdline ? kernel_cmdline : "";

	strbuf_adds(&sb, "set timeout=0\n");
	strbuf_addf(&sb, "search --no-floppy --label --set=root %s\n", root_label);
	strbuf_adds(&sb, "linux /vmlinuz");
	if (!strstr(args, "root="))
		strbuf_addf(&sb, " root=LABEL=%s", root_label);
	if (*args)
		strbuf_addf(&sb, " %s", args);
	strbuf_adds(&sb, "\ninitrd /initrd.img\nboot\n");
	return strbuf_detach(&sb, NULL);
}

/* ---- assembly ---------------------------------------------------------- */

struct assembly {
	const struct disk_spec *spec;
	struct disk_geometry geo;
	const char *root_label;
	struct tree_usage usage;
	char **late;   /* root entries modified after the epoch, "/path" */
	char *disk;    /* the temporary disk file */
	char *work;    /* a temporary directory for scripts and the EFI loader */
	char **env;    /* the tools' environment */
};

static void assembly_release(struct assembly *a)
{
	strv_free(a->late);
	strv_free(a->env);
	free(a->disk);
	free(a->work);
}

static int tool_run(const struct assembly *a, char *const argv[], const char *stdin_path)
{
	struct run_opts opts = {.env = a->env, .stdin_path = stdin_path};

	return run_argv(argv, &opts, NULL);
}

/* "DISK@@OFFSET", the mtools way of naming a filesystem inside a disk file. */
static char *fat_image(const struct assembly *a)
{
	return xasprintf("%s@@%" PRIu64, a->disk, a->geo.boot.offset);
}

/* "DISK?offset=N", the e2fsprogs way. */
static char *ext4_image(const struct assembly *a)
{
	return xasprintf("%s?offset=%" PRIu64, a->disk, a->geo.root.offset);
}

static bool label_valid(const char *label, size_t max)
{
	size_t n = strlen(label);

	if (n == 0 || n > max)
		return false;
	return strspn(label, "abcdefghijklmnopqrstuvwxyz" "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			     "0123456789._-") == n;
}

/* GRUB's script parser gives these characters meaning; a command line never needs them. */
static bool cmdline_valid(const char *cmdline)
{
	for (const char *p = cmdline; p && *p; p++)
		if ((unsigned char)*p < 0x20 || strchr("\"'\\$;|&<>{}#`", *p))
			return false;
	return true;
}

/* True when root/name resolves, following one symlink relative to root. */
static bool root_has(const char *root, const char *name)
{
	_cleanup_free_ char *path = path_join(root, name), *target = NULL;
	char buf[4096];
	struct stat st;
	ssize_t n;

	if (lstat(path, &st) < 0)
		return false;
	if (!S_ISLNK(st.st_mode))
		return S_ISREG(st.st_mode);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	target = path_join(root, buf); /* absolute and top-level relative targets alike */
	return stat(target, &st) == 0 && S_ISREG(st.st_mode);
}

static int spec_check(const struct disk_spec *spec, const char *root_label)
{
	if (str_empty(spec->output) || str_empty(spec->seed) || str_empty(spec->root_dir))
		return log_error_errno(-EINVAL, "disk: output, seed and root tree are required");
	if (!dir_exists(spec->root_dir))
		return log_error_errno(-ENOENT, "root tree '%s' is not a directory",
				       spec->root_dir);
	if (!label_valid(root_label, 16))
		return log_error_errno(-EINVAL, "root label '%s' is not 1-16 letters, digits, "
				       "'.', '_' or '-'", root_label);
	if (spec->layout == DISK_LAYOUT_RPI) {
		if (str_empty(spec->boot_dir) || !dir_exists(spec->boot_dir))
			return log_error_errno(-ENOENT, "boot files directory '%s' is missing",
					       spec->boot_dir ? spec->boot_dir : "");
		return 0;
	}
	if (!cmdline_valid(spec->kernel_cmdline))
		return log_error_errno(-EINVAL, "kernel command line '%s' holds quotes, '$', "
				       "';' or similar, which GRUB would interpret",
				       spec->kernel_cmdline);
	for (const char *const *f = (const char *const[]){"vmlinuz", "initrd.img", NULL}; *f; f++)
		if (!root_has(spec->root_dir, *f))
			return log_error_errno(-ENOENT, "root tree '%s' has no /%s, which GRUB "
					       "boots", spec->root_dir, *f);
	return 0;
}

/* Measures the root tree and refuses, with the size it needs, when it cannot fit. */
static int root_check_fits(struct assembly *a)
{
	struct tree_walk w = {.epoch = a->spec->source_date_epoch};
	char need_s[16], have_s[16], tree_s[16];
	uint64_t min_fs, need;
	int r;

	r = tree_walk_run(a->spec->root_dir, &w);
	a->late = w.late;
	if (r < 0)
		return log_error_errno(r, "cannot measure root tree '%s': %s", a->spec->root_dir,
				       strerror(-r));
	a->usage = w.usage;

	min_fs = disk_ext4_min_size(&a->usage);
	need = min_fs + layout_fixed_size(a->spec->layout);
	log_debug("root tree: %" PRIu64 " inodes, %" PRIu64 " blocks; ext4 needs %" PRIu64,
		  a->usage.inodes, a->usage.blocks, min_fs);
	if (a->geo.root.size >= min_fs)
		return 0;
	return log_error_errno(-ENOSPC, "root tree '%s' (%s in %" PRIu64 " files) needs a disk of "
			       "at least %s, disk_size is %s", a->spec->root_dir,
			       format_size(a->usage.bytes, tree_s, sizeof(tree_s)),
			       a->usage.inodes, format_size(need, need_s, sizeof(need_s)),
			       format_size(a->geo.disk_size, have_s, sizeof(have_s)));
}

static int disk_create(struct assembly *a)
{
	_cleanup_close_ int fd = open(a->disk, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0)
		return log_error_errno(-errno, "cannot create '%s': %s", a->disk, strerror(errno));
	temp_register(a->disk);
	if (fchmod(fd, 0644) < 0 || ftruncate(fd, (off_t)a->geo.disk_size) < 0)
		return log_error_errno(-errno, "cannot size '%s': %s", a->disk, strerror(errno));
	return 0;
}

static char *sfdisk_script(const struct assembly *a)
{
	const struct disk_spec *spec = a->spec;
	const struct disk_geometry *g = &a->geo;
	struct strbuf sb = STRBUF_INIT;
	char id[DISK_UUID_LEN + 1], esp[DISK_UUID_LEN + 1], root[DISK_UUID_LEN + 1];

	if (spec->layout == DISK_LAYOUT_RPI) {
		strbuf_addf(&sb, "label: dos\nlabel-id: 0x%08" PRIx32 "\nunit: sectors\n\n",
			    disk_id32_derive(spec->seed, "disk"));
		strbuf_addf(&sb, "start=%" PRIu64 ", size=%" PRIu64 ", type=c\n",
			    g->boot.offset / DISK_SECTOR, g->boot.size / DISK_SECTOR);
		strbuf_addf(&sb, "start=%" PRIu64 ", size=%" PRIu64 ", type=83\n",
			    g->root.offset / DISK_SECTOR, g->root.size / DISK_SECTOR);
		return strbuf_detach(&sb, NULL);
	}

	disk_uuid_derive(spec->seed, "disk", id);
	disk_uuid_derive(spec->seed, "esp-partition", esp);
	disk_uuid_derive(spec->seed, "root-partition", root);
	strbuf_addf(&sb, "label: gpt\nlabel-id: %s\nunit: sectors\n\n", id);
	strbuf_addf(&sb, "start=%" PRIu64 ", size=%" PRIu64 ", type=%s, uuid=%s, name=\"esp\"\n",
		    g->boot.offset / DISK_SECTOR, g->boot.size / DISK_SECTOR, GPT_TYPE_ESP, esp);
	strbuf_addf(&sb, "start=%" PRIu64 ", size=%" PRIu64 ", type=%s, uuid=%s, name=\"root\"\n",
		    g->root.offset / DISK_SECTOR, g->root.size / DISK_SECTOR,
		    spec->arch == ARCH_ARM64 ? GPT_TYPE_ROOT_ARM64 : GPT_TYPE_ROOT_AMD64, root);
	return strbuf_detach(&sb, NULL);
}

static int disk_partition(struct assembly *a)
{
	_cleanup_free_ char *script = sfdisk_script(a);
	_cleanup_free_ char *path = path_join(a->work, "sfdisk.txt");
	char *argv[] = {"sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", a->disk, NULL};
	int r = write_file_atomic(path, script, strlen(script), 0644);

	if (r < 0)
		return log_error_errno(r, "cannot write '%s': %s", path, strerror(-r));
	return tool_run(a, argv, path);
}

static int fat_make(struct assembly *a, const char *label)
{
	_cleanup_free_ char *offset = xasprintf("%" PRIu64, a->geo.boot.offset / DISK_SECTOR);
	_cleanup_free_ char *kib = xasprintf("%" PRIu64, a->geo.boot.size / 1024);
	_cleanup_free_ char *id = xasprintf("%08" PRIx32, disk_id32_derive(a->spec->seed,
									  "boot-volume"));
	/* -s 1: 512-byte clusters keep a 100-256 MiB FAT32 above its cluster minimum. */
	/* --invariant first: it would otherwise replace the volume ID with its constant. */
	char *argv[] = {"mkfs.fat", "--invariant", "-F", "32", "-s", "1", "-S", "512", "-n",
			(char *)label, "-i", id, "--mbr=n", "-h", offset, "--offset", offset,
			a->disk, kib, NULL};

	return tool_run(a, argv, NULL);
}

/* mmd or mcopy: argv[0..n-1] given, then -i IMAGE, the sources, and a destination (or none). */
static int mtools_run(const struct assembly *a, const char *program, char **paths,
		      const char *dest)
{
	_cleanup_free_ char *image = fat_image(a);
	_cleanup_strv_free_ char **argv = NULL;

	strv_push(&argv, program);
	if (streq(program, "mcopy"))
		strv_push(&argv, "-Q"); /* stop at the first file that fails */
	strv_push(&argv, "-i");
	strv_push(&argv, image);
	for (char **p = paths; p && *p; p++)
		strv_push(&argv, *p);
	if (dest)
		strv_push(&argv, dest);
	return tool_run(a, argv, NULL);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of dir, without "." and "..". */
static int list_dir(const char *dir, char ***ret)
{
	_cleanup_strv_free_ char **names = NULL;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (!streq(e->d_name, ".") && !streq(e->d_name, ".."))
			strv_push(&names, e->d_name);
	closedir(d);
	if (names)
		qsort(names, strv_length(names), sizeof(char *), name_cmp);
	*ret = TAKE_PTR(names);
	return 0;
}

/*
 * Copies src (a directory on the host) into fat_dir ("::" or "::/a/b") in
 * sorted order, one mmd and one mcopy per directory, so that the FAT's
 * directory entries never depend on the host's readdir order.
 */
static int fat_copy_dir(const struct assembly *a, const char *src, const char *fat_dir,
			unsigned depth)
{
	_cleanup_strv_free_ char **names = NULL, **files = NULL, **dirs = NULL, **fat_dirs = NULL;
	_cleanup_free_ char *dest = xasprintf("%s/", fat_dir);
	int r = list_dir(src, &names);

	if (r < 0)
		return log_error_errno(r, "cannot read '%s': %s", src, strerror(-r));
	if (depth > 16)
		return log_error_errno(-ELOOP, "boot files nest too deep at '%s'", src);

	for (char **n = names; n && *n; n++) {
		_cleanup_free_ char *path = path_join(src, *n);
		struct stat st;

		for (char **m = names; m < n; m++)
			if (strcasecmp(*m, *n) == 0)
				return log_error_errno(-EEXIST, "boot files '%s' and '%s' in '%s' "
						       "differ only in case; FAT cannot hold both",
						       *m, *n, src);
		if (stat(path, &st) < 0)
			return log_error_errno(-errno, "cannot read '%s': %s", path,
					       strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			_cleanup_free_ char *fat_path = xasprintf("%s/%s", fat_dir, *n);

			strv_push(&dirs, path);
			strv_push(&fat_dirs, fat_path);
		} else if (S_ISREG(st.st_mode)) {
			strv_push(&files, path);
		} else {
			return log_error_errno(-EINVAL, "boot file '%s' is not a regular file or "
					       "directory", path);
		}
	}

	if (files && (r = mtools_run(a, "mcopy", files, dest)) < 0)
		return r;
	if (fat_dirs && (r = mtools_run(a, "mmd", fat_dirs, NULL)) < 0)
		return r;
	for (size_t i = 0; dirs && dirs[i]; i++)
		if ((r = fat_copy_dir(a, dirs[i], fat_dirs[i], depth + 1)) < 0)
			return r;
	return 0;
}

static const char *grub_platform(enum arch arch)
{
	return arch == ARCH_ARM64 ? "arm64-efi" : "x86_64-efi";
}

static const char *grub_loader_name(enum arch arch)
{
	return arch == ARCH_ARM64 ? "BOOTAA64.EFI" : "BOOTX64.EFI";
}

/* GRUB as the removable-media loader, its configuration embedded: no grub.cfg on the ESP. */
static int esp_fill(const struct assembly *a)
{
	const struct disk_spec *spec = a->spec;
	const char *platform = grub_platform(spec->arch);
	_cleanup_free_ char *modules_dir = spec->grub_dir ? xstrdup(spec->grub_dir)
							  : path_join("/usr/lib/grub", platform);
	_cleanup_free_ char *config = disk_grub_config(a->root_label, spec->kernel_cmdline);
	_cleanup_free_ char *config_path = path_join(a->work, "grub-embedded.cfg");
	_cleanup_free_ char *loader = path_join(a->work, grub_loader_name(spec->arch));
	char *grub_argv[] = {"grub-mkimage", "-O", (char *)platform, "-d", modules_dir,
			     "-p", "/EFI/BOOT", "-c", config_path, "-o", loader,
			     "part_gpt", "part_msdos", "fat", "ext2", "search", "search_label",
			     "normal", "configfile", "linux", "gzio", "echo", "boot", "all_video",
			     NULL};
	char *dirs[] = {"::/EFI", "::/EFI/BOOT", NULL};
	char *files[] = {loader, NULL};
	int r;

	if (!dir_exists(modules_dir))
		return log_error_errno(-ENOENT, "GRUB modules '%s' are missing; install "
				       "grub-efi-%s-bin (ci/install-deps.sh)", modules_dir,
				       spec->arch == ARCH_ARM64 ? "arm64" : "amd64");
	r = write_file_atomic(config_path, config, strlen(config), 0644);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s': %s", config_path, strerror(-r));
	r = tool_run(a, grub_argv, NULL);
	if (r == 0)
		r = mtools_run(a, "mmd", dirs, NULL);
	if (r == 0)
		r = mtools_run(a, "mcopy", files, "::/EFI/BOOT/");
	return r;
}

/* The file system holding path (the disk file) is full: mke2fs's ENOSPC was the host's. */
static bool host_out_of_space(const char *output, const char *path)
{
	struct statvfs st;

	return output && strstr(output, "No space left on device") && statvfs(path, &st) == 0 &&
	       (uint64_t)st.f_bavail * st.f_frsize < (64u << 20);
}

static bool mke2fs_out_of_space(const char *output)
{
	return output && (strstr(output, "Could not allocate") || strstr(output, "No space left") ||
			  strstr(output, "Filesystem too small"));
}

static int ext4_make(const struct assembly *a)
{
	const struct disk_spec *spec = a->spec;
	char uuid[DISK_UUID_LEN + 1], hash_seed[DISK_UUID_LEN + 1], size_s[16];
	_cleanup_free_ char *extended = NULL, *size = NULL, *output = NULL, *inodes = NULL;
	_cleanup_strv_free_ char **argv = NULL;
	struct run_opts opts = {.env = a->env};
	uint64_t n_inodes = disk_ext4_inode_count(&a->usage, a->geo.root.size);
	int r;

	disk_uuid_derive(spec->seed, "root-filesystem", uuid);
	disk_uuid_derive(spec->seed, "root-hash-seed", hash_seed);
	/* Fixed block, inode size and ratio: the host's "small" type would change them. */
	extended = xasprintf("root_owner=0:0,hash_seed=%s,offset=%" PRIu64 ",nodiscard,"
			     "lazy_itable_init=0,lazy_journal_init=0", hash_seed,
			     a->geo.root.offset);
	size = xasprintf("%" PRIu64 "k", a->geo.root.size / 1024);
	for (const char *const *s = (const char *const[]){"mke2fs", "-F", "-q", "-t", "ext4", "-b",
			"4096", "-I", "256", "-i", "16384", "-L", a->root_label, "-U", uuid,
			"-E", extended, "-d", spec->root_dir, NULL}; *s; s++)
		strv_push(&argv, *s);
	if (n_inodes) {
		inodes = xasprintf("%" PRIu64, n_inodes);
		strv_push(&argv, "-N");
		strv_push(&argv, inodes);
	}
	strv_push(&argv, a->disk);
	strv_push(&argv, size);

	r = run_argv_status(argv, &opts, &output);
	if (r == 0)
		return 0;
	if (r > 0 && host_out_of_space(output, a->disk))
		return log_error_errno(-ENOSPC, "cannot write '%s': No space left on device",
				       a->disk);
	if (r > 0 && mke2fs_out_of_space(output))
		return log_error_errno(-ENOSPC, "root tree '%s' does not fit in the %s root "
				       "partition: mke2fs ran out of space; make disk_size larger",
				       spec->root_dir, format_size(a->geo.root.size, size_s,
								   sizeof(size_s)));
	if (r == -EINTR)
		return r;
	if (r < 0)
		return log_error_errno(r, "cannot run 'mke2fs': %s", strerror(-r));
	log_error("'mke2fs' failed with exit status %d:", r);
	fputs(output ? output : "", stderr);
	return -EIO;
}

/* Runs debugfs with commands (NULL: read-only "-R request") and returns its output. */
static int debugfs_run(const struct assembly *a, const char *request, const char *commands,
		       char **ret_output)
{
	_cleanup_free_ char *image = ext4_image(a);
	char *argv_r[] = {"debugfs", "-R", (char *)request, image, NULL};
	char *argv_w[] = {"debugfs", "-w", "-f", (char *)commands, image, NULL};
	struct run_opts opts = {.env = a->env};

	return run_argv(commands ? argv_w : argv_r, &opts, ret_output);
}

static uint64_t output_number(const char *output, const char *key)
{
	const char *p = output ? strstr(output, key) : NULL;

	return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

/* The used inodes are 1..N when mke2fs -d allocated them in one run, as it does. */
static int ext4_used_inodes(const struct assembly *a, uint64_t *ret)
{
	_cleanup_free_ char *stats = NULL, *free_inode = NULL;
	uint64_t count, unused, first_free;
	int r;

	r = debugfs_run(a, "stats", NULL, &stats);
	if (r == 0)
		r = debugfs_run(a, "ffi", NULL, &free_inode);
	if (r < 0)
		return r;
	count = output_number(stats, "Inode count:");
	unused = output_number(stats, "Free inodes:");
	first_free = output_number(free_inode, "Free inode found:");
	if (count == 0 || unused >= count || first_free != count - unused + 1)
		return log_error_errno(-EIO, "the new ext4 root's used inodes are not 1..%" PRIu64
				       " (first free: %" PRIu64 "); cannot fix its times",
				       count - unused, first_free);
	*ret = count - unused;
	return 0;
}

/* debugfs quotes with double quotes and knows no escapes. */
static bool debugfs_can_name(const char *path)
{
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '"')
			return false;
	return true;
}

/*
 * mke2fs copies each entry's access and change times from the tree, and the
 * change time cannot be set on the host: set both to the epoch here, and
 * clamp modification times later than the epoch, as tar --clamp-mtime does.
 */
static int ext4_fix_times(const struct assembly *a)
{
	const uint64_t epoch = a->spec->source_date_epoch;
	_cleanup_free_ char *path = path_join(a->work, "debugfs.cmd"), *output = NULL;
	struct strbuf sb = STRBUF_INIT;
	uint64_t used = 0;
	int r = ext4_used_inodes(a, &used);

	if (r < 0)
		return r;
	for (uint64_t ino = 2; ino <= used; ino++) {
		if (ino > 2 && ino < 11)
			continue; /* reserved inodes: mke2fs gave them the epoch already */
		strbuf_addf(&sb, "sif <%" PRIu64 "> atime @%" PRIu64 "\n", ino, epoch);
		strbuf_addf(&sb, "sif <%" PRIu64 "> ctime @%" PRIu64 "\n", ino, epoch);
	}
	for (char **p = a->late; p && *p; p++) {
		if (!debugfs_can_name(*p)) {
			log_warn("'%s' keeps its modification time: debugfs cannot name it", *p);
			continue;
		}
		strbuf_addf(&sb, "sif \"%s\" mtime @%" PRIu64 "\n", *p, epoch);
	}
	r = write_file_atomic(path, sb.buf, sb.len, 0644);
	strbuf_release(&sb);
	if (r < 0)
		return log_error_errno(r, "cannot write '%s': %s", path, strerror(-r));

	r = debugfs_run(a, NULL, path, &output);
	if (r < 0)
		return r;
	/* debugfs exits 0 whatever its commands did; every line but the echoes is an error. */
	for (char *line = output, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*line && !str_starts_with(line, "debugfs"))
			return log_error_errno(-EIO, "debugfs could not set times in the root "
					       "filesystem: %s", line);
	}
	return 0;
}

static int disk_commit(const struct assembly *a)
{
	_cleanup_close_ int fd = open(a->disk, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *dir = xstrdup(a->spec->output);
	char *slash = strrchr(dir, '/');

	if (fd < 0 || fsync(fd) < 0)
		return log_error_errno(-errno, "cannot sync '%s': %s", a->disk, strerror(errno));
	if (rename(a->disk, a->spec->output) < 0)
		return log_error_errno(-errno, "cannot rename '%s' to '%s': %s", a->disk,
				       a->spec->output, strerror(errno));
	temp_unregister(a->disk);

	if (slash)
		*slash = '\0';
	_cleanup_close_ int dfd = open(slash ? (*dir ? dir : "/") : ".",
				       O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void)fsync(dfd);
	return 0;
}

static void assembly_env(struct assembly *a)
{
	_cleanup_free_ char *sde = xasprintf("SOURCE_DATE_EPOCH=%" PRIu64,
					     a->spec->source_date_epoch);
	_cleanup_free_ char *fake = xasprintf("E2FSPROGS_FAKE_TIME=%" PRIu64,
					      a->spec->source_date_epoch);

	strv_push(&a->env, "LC_ALL=C");
	strv_push(&a->env, "TZ=UTC"); /* FAT stores local time */
	strv_push(&a->env, "MTOOLSRC=/dev/null");
	strv_push(&a->env, "MTOOLS_SKIP_CHECK=1");
	strv_push(&a->env, sde);  /* mkfs.fat, mtools */
	strv_push(&a->env, fake); /* mke2fs, debugfs */
}

static int assemble_steps(struct assembly *a)
{
	const bool rpi = a->spec->layout == DISK_LAYOUT_RPI;
	int r;

	if ((r = root_check_fits(a)) < 0)
		return r;
	if (mkdir(a->work, 0700) < 0)
		return log_error_errno(-errno, "cannot create '%s': %s", a->work, strerror(errno));
	temp_register(a->work);

	if ((r = disk_create(a)) < 0 || (r = disk_partition(a)) < 0)
		return r;
	if ((r = fat_make(a, rpi ? "system-boot" : "UEFI")) < 0)
		return r;
	r = rpi ? fat_copy_dir(a, a->spec->boot_dir, "::", 0) : esp_fill(a);
	if (r < 0)
		return r;
	if (interrupted())
		return -EINTR;
	if ((r = ext4_make(a)) < 0 || (r = ext4_fix_times(a)) < 0)
		return r;
	if (interrupted())
		return -EINTR;
	return disk_commit(a);
}

int disk_assemble(const struct disk_spec *spec)
{
	struct assembly a = {.spec = spec};
	_cleanup_free_ char *work_name = NULL;
	char size_s[16];
	uint64_t start = now_ms();
	int r;

	a.root_label = spec->root_label ? spec->root_label
					: spec->layout == DISK_LAYOUT_RPI ? "writable" : "root";
	r = spec_check(spec, a.root_label);
	if (r < 0)
		return r;
	if (disk_layout_compute(spec, &a.geo) < 0)
		return log_error_errno(-EINVAL, "disk_size %s leaves no room for a root partition",
				       format_size(spec->disk_size, size_s, sizeof(size_s)));

	work_name = xasprintf("%s.work", spec->output);
	a.work = temp_name_for(work_name);
	a.disk = temp_name_for(spec->output);
	assembly_env(&a);

	/* Interrupted: main says so once, for the whole run. */
	r = assemble_steps(&a);
	if (r < 0) {
		remove_tree(a.disk);
		temp_unregister(a.disk);
	}
	remove_tree(a.work);
	temp_unregister(a.work);
	if (r == 0)
		log_info("wrote '%s' (%s, %s) in %.1f s", spec->output,
			 spec->layout == DISK_LAYOUT_RPI ? "MBR" : "GPT",
			 format_size(a.geo.disk_size, size_s, sizeof(size_s)),
			 (double)(now_ms() - start) / 1000);
	assembly_release(&a);
	return r;
}
