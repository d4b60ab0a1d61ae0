/* SPDX-License-Identifier: MIT */
/*
 * Where things live: the shipped data (profiles, templates), the download
 * cache and the output directory. The data directory is the source tree when
 * the binary runs from it, the installed one otherwise.
 */
#ifndef FAASD_IMAGE_PATHS_H
#define FAASD_IMAGE_PATHS_H

/* FAASD_IMAGE_DATADIR, else the directory of the running binary if it holds
 * profiles/ (the source tree), else BINDIR/../share/faasd-image if it exists
 * (an install, relocatable), else the compiled-in DATADIR. Static string. */
const char *data_dir(void);

/* data_dir() + "/" + rel. Caller frees. */
char *data_path(const char *rel);

/* --cache, else $FAASD_IMAGE_CACHE, else $XDG_CACHE_HOME/faasd-image, else ~/.cache/faasd-image. */
const char *cache_dir(void);
void cache_dir_set(const char *dir);

#endif
