// SPDX-License-Identifier: MIT
/*
 * Seeds on a Pi image's boot partition (personalize.h). The MBR and the
 * FAT boot sector are read here, with explicit bounds, rather than by a
 * tool whose output would have to be parsed: four primary entries, a FAT
 * type byte, a start and a length that must lie inside the file, and the
 * volume label of the BIOS parameter block. mtools then works on
 * "IMAGE@@OFFSET", which confines every write to that byte range.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "board-rpi.h"
#include "log.h"
#include "personalize.h"
#include "render.h"
#include "run.h"

#define SECTOR 512u
#define MTOOLS_TIMEOUT_SEC 120
#define SEED_FILE_MAX (1u << 20)

static char *const mtools_env[] = {"MTOOLS_SKIP_CHECK=1", NULL};

int pi_seed_render(const struct profile *p, const struct lock *l, const char *salt,
		   struct pi_seed *ret)
{
	struct strbuf id_input = STRBUF_INIT;
	int r;

	*ret = (struct pi_seed){STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, false};
	r = render_user_data(p, l, RENDER_INSTANCE, &ret->user_data);
	if (r < 0)
		return r;
	r = render_network_config(p, &ret->network_config);
	if (r < 0)
		return r;
	ret->has_network_config = r > 0;

	/* The instance-id follows everything the instance is told, and the salt. */
	strbuf_add(&id_input, ret->user_data.buf, ret->user_data.len);
	strbuf_addc(&id_input, '\0');
	if (ret->has_network_config)
		strbuf_add(&id_input, ret->network_config.buf, ret->network_config.len);
	strbuf_addc(&id_input, '\0');
	if (salt)
		strbuf_adds(&id_input, salt);
	r = render_meta_data_for(p, id_input.buf, id_input.len, &ret->meta_data);
	strbuf_release(&id_input);
	return r;
}

void pi_seed_release(struct pi_seed *s)
{
	strbuf_release(&s->user_data);
	strbuf_release(&s->meta_data);
	strbuf_release(&s->network_config);
}

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* MBR partition types of FAT filesystems. */
static bool fat_type(unsigned char t)
{
	return t == 0x01 || t == 0x04 || t == 0x06 || t == 0x0b || t == 0x0c || t == 0x0e;
}

/* The volume label of a FAT boot sector (FAT32 or FAT12/16 layout), blanks trimmed. */
static void fat_label(const unsigned char *bs, char out[12])
{
	/* FAT32 keeps its sectors-per-FAT at 36 and a zero 16-bit count at 22. */
	bool fat32 = bs[22] == 0 && bs[23] == 0;
	const unsigned char *label = bs + (fat32 ? 71 : 43);
	size_t n = 11;

	memcpy(out, label, 11);
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static int refuse_format(const char *path, const unsigned char *head, size_t len)
{
	static const unsigned char xz_magic[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
	static const unsigned char qcow_magic[] = {'Q', 'F', 'I', 0xfb};

	if ((len >= sizeof(xz_magic) && memcmp(head, xz_magic, sizeof(xz_magic)) == 0) ||
	    str_ends_with(path, ".xz"))
		return log_error_errno(-EMEDIUMTYPE, "'%s' is xz-compressed: decompress it first "
				       "(xz -dk '%s') and personalize the .img", path, path);
	if (len >= sizeof(qcow_magic) && memcmp(head, qcow_magic, sizeof(qcow_magic)) == 0)
		return log_error_errno(-EMEDIUMTYPE, "'%s' is a qcow2 image; personalize works on "
				       "a Raspberry Pi's raw .img (its seed lives on the boot "
				       "partition)", path);
	return 0;
}

/* Reads up to len bytes at offset: their count, or a negative errno. */
static ssize_t read_some(int fd, void *buf, size_t len, uint64_t offset)
{
	ssize_t n = pread(fd, buf, len, (off_t)offset);

	return n < 0 ? -errno : n;
}

/* Reads len bytes at offset; -EIO on a short read. */
static int read_at(int fd, void *buf, size_t len, uint64_t offset)
{
	ssize_t n = read_some(fd, buf, len, offset);

	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

int pi_boot_partition_find(const char *path, struct pi_boot_partition *ret)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char mbr[SECTOR], bs[SECTOR];
	struct stat st;
	off_t end;
	ssize_t n;
	int r;

	if (fd < 0)
		return log_error_errno(-errno, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return log_error_errno(-errno, "cannot stat '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return log_error_errno(-EMEDIUMTYPE, "'%s' is not an image file", path);
	/* A block device (a card already written) has no st_size: ask for its end. */
	end = lseek(fd, 0, SEEK_END);
	if (end < 0)
		return log_error_errno(-errno, "cannot size '%s': %s", path, strerror(errno));
	n = read_some(fd, mbr, sizeof(mbr), 0);
	if (n < 0)
		return log_error_errno((int)n, "cannot read '%s': %s", path, strerror((int)-n));
	r = refuse_format(path, mbr, (size_t)n);
	if (r < 0)
		return r;
	if ((size_t)n < sizeof(mbr) || mbr[510] != 0x55 || mbr[511] != 0xaa)
		return log_error_errno(-ENOENT, "'%s' has no MBR partition table: not a Raspberry "
				       "Pi image", path);

	for (unsigned i = 0; i < 4; i++) {
		const unsigned char *e = mbr + 446 + 16 * i;
		uint64_t start = (uint64_t)le32(e + 8) * SECTOR;
		uint64_t size = (uint64_t)le32(e + 12) * SECTOR;
		char label[12];

		if (!fat_type(e[4]) || size < SECTOR || start + size > (uint64_t)end)
			continue;
		if (read_at(fd, bs, sizeof(bs), start) < 0 || bs[510] != 0x55 || bs[511] != 0xaa)
			continue;
		fat_label(bs, label);
		if (strcasecmp(label, BOARD_RPI_BOOT_LABEL) != 0)
			continue;
		*ret = (struct pi_boot_partition){.offset = start, .size = size, .index = i + 1};
		return 0;
	}
	return log_error_errno(-ENOENT, "'%s' has no FAT partition labelled '%s': not a "
			       "Raspberry Pi image made by faasd-image", path,
			       BOARD_RPI_BOOT_LABEL);
}

/* A work directory under $TMPDIR (or /var/tmp), registered for removal. */
static int work_dir_new(char **ret)
{
	const char *tmp = getenv("TMPDIR");
	_cleanup_free_ char *dir = xasprintf("%s/faasd-image-personalize.XXXXXX",
					     str_empty(tmp) ? "/var/tmp" : tmp);

	if (!mkdtemp(dir))
		return log_error_errno(-errno, "cannot make a work directory '%s': %s", dir,
				       strerror(errno));
	temp_register(dir);
	*ret = TAKE_PTR(dir);
	return 0;
}

/* The meta-data now on the partition, or NULL when there is none. */
static char *old_meta_data(const char *spec, const char *work)
{
	_cleanup_free_ char *dest = path_join(work, "old-meta-data");
	char *argv[] = {"mcopy", "-n", "-i", (char *)spec, "::/meta-data", dest, NULL};
	char *text = NULL;

	if (run_argv_status(argv, &(struct run_opts){.env = mtools_env,
						    .timeout_sec = MTOOLS_TIMEOUT_SEC},
			    NULL) != 0)
		return NULL;
	if (read_file(dest, SEED_FILE_MAX, &text, NULL) < 0)
		return NULL;
	return text;
}

static int write_work_file(const char *work, const char *name, const struct strbuf *sb,
			   char **ret)
{
	_cleanup_free_ char *path = path_join(work, name);
	int r = write_file_atomic(path, sb->buf ? sb->buf : "", sb->len, 0644);

	if (r < 0)
		return log_error_errno(r, "cannot write '%s': %s", path, strerror(-r));
	*ret = TAKE_PTR(path);
	return 0;
}

/* mcopy -o of files (NULL-terminated) to the root of the partition. */
static int fat_put(const char *spec, char **files)
{
	char **argv = NULL;
	int r;

	strv_push(&argv, "mcopy");
	strv_push(&argv, "-o");
	strv_push(&argv, "-i");
	strv_push(&argv, spec);
	for (char **f = files; *f; f++)
		strv_push(&argv, *f);
	strv_push(&argv, "::/");
	r = run_argv(argv, &(struct run_opts){.env = mtools_env, .timeout_sec = MTOOLS_TIMEOUT_SEC},
		     NULL);
	strv_free(argv);
	return r;
}

/* Removes ::/network-config when it is there. */
static int fat_remove_network_config(const char *spec)
{
	char *dir[] = {"mdir", "-b", "-i", (char *)spec, "::/network-config", NULL};
	char *del[] = {"mdel", "-i", (char *)spec, "::/network-config", NULL};
	struct run_opts o = {.env = mtools_env, .timeout_sec = MTOOLS_TIMEOUT_SEC};

	if (run_argv_status(dir, &o, NULL) != 0)
		return 0;
	return run_argv(del, &o, NULL);
}

/* Writes the rendered seed: user-data and network-config, then meta-data, which makes it new. */
static int seed_put(const char *path, const char *spec, const char *work,
		    const struct pi_seed *seed)
{
	_cleanup_free_ char *ud = NULL, *md = NULL, *nc = NULL;
	char *first[3] = {NULL, NULL, NULL}, *last[2] = {NULL, NULL};
	int r;

	r = write_work_file(work, "user-data", &seed->user_data, &ud);
	if (r == 0)
		r = write_work_file(work, "meta-data", &seed->meta_data, &md);
	if (r == 0 && seed->has_network_config)
		r = write_work_file(work, "network-config", &seed->network_config, &nc);
	if (r < 0)
		return r;

	first[0] = ud;
	first[1] = nc;
	last[0] = md;
	r = fat_put(spec, first);
	if (r < 0)
		return log_error_errno(r, "writing user-data%s to '%s' failed part way: the "
				       "image's seed may be mixed; run personalize again",
				       nc ? " and network-config" : "", path);
	if (!nc && (r = fat_remove_network_config(spec)) < 0)
		return log_error_errno(r, "user-data of '%s' is new but its old network-config "
				       "could not be removed; run personalize again", path);
	r = fat_put(spec, last);
	if (r < 0)
		return log_error_errno(r, "user-data%s of '%s' are new but meta-data could not "
				       "be written: cloud-init may not see a new instance; run "
				       "personalize again", nc ? " and network-config" : "", path);
	return 0;
}

int personalize_image(const char *path, const struct profile *p, const struct lock *l)
{
	_cleanup_free_ char *work = NULL, *spec = NULL, *old = NULL;
	struct pi_boot_partition part;
	struct pi_seed seed;
	int r;

	r = pi_boot_partition_find(path, &part);
	if (r < 0)
		return r;
	if (access(path, W_OK) < 0)
		return log_error_errno(-errno, "cannot write to '%s': %s", path, strerror(errno));
	spec = xasprintf("%s@@%llu", path, (unsigned long long)part.offset);

	r = work_dir_new(&work);
	if (r < 0)
		return r;
	old = old_meta_data(spec, work);
	r = pi_seed_render(p, l, old ? old : "", &seed);
	if (r == 0)
		r = seed_put(path, spec, work, &seed);
	if (r == 0)
		log_info("'%s': user-data, meta-data%s written to partition %u (%s)", path,
			 seed.has_network_config ? " and network-config" : "", part.index,
			 BOARD_RPI_BOOT_LABEL);
	pi_seed_release(&seed);
	remove_tree(work);
	temp_unregister(work);
	return r;
}
