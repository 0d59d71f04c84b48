/*
 * example-c: a complete homeboy storage plugin in plain C11, built with nothing but the
 * public header. It keeps every stored path under one folder on disk:
 * storage path "/a/b.txt" lives at "<root>/a/b.txt". The root comes from the provider
 * config key "root" (default: "<config dir>/<module id>-store", the module id being the
 * module folder's name).
 *
 * Read it as the reference for writing a plugin: negotiation, creation with config,
 * results through the host's callbacks, error codes with messages, atomic writes.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <homeboy/storage_plugin.h>

#include <dirent.h>
#include <ftw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct homeboy_storage {
  char root[4096];
};

static homeboy_status fail(homeboy_result* r, homeboy_status status, const char* what, const char* path) {
  char message[4600];
  int n = snprintf(message, sizeof message, "%s: %s", what, path);
  r->set_error(r, message, n < 0 ? 0 : (size_t)n < sizeof message ? (size_t)n : sizeof message - 1);
  return status;
}

static homeboy_status from_errno(int error) {
  switch (error) {
    case ENOENT: case ENOTDIR: return HOMEBOY_ERR_NOT_FOUND;
    case EACCES: case EPERM: return HOMEBOY_ERR_PERMISSION_DENIED;
    case EISDIR: case EINVAL: return HOMEBOY_ERR_INVALID_ARGUMENT;
    default: return HOMEBOY_ERR_IO;
  }
}

/* Maps a storage path onto the store. Refuses ".." so nothing escapes the root. */
static int map_path(const homeboy_storage* s, const char* path, size_t size, char* out, size_t out_size) {
  if (size == 0 || path[0] != '/' || memchr(path, '\0', size)) return -1;
  for (size_t i = 0; i + 1 < size; ++i)
    if (path[i] == '.' && path[i + 1] == '.' && (i == 0 || path[i - 1] == '/') && (i + 2 == size || path[i + 2] == '/'))
      return -1;
  while (size > 1 && path[size - 1] == '/') --size;
  int n = snprintf(out, out_size, "%s%.*s", s->root, (int)size, path);
  return (n < 0 || (size_t)n >= out_size) ? -1 : 0;
}

static int make_dirs(char* path) {
  for (char* p = path + 1; *p; ++p) {
    if (*p != '/') continue;
    *p = '\0';
    int rc = mkdir(path, 0777);
    *p = '/';
    if (rc != 0 && errno != EEXIST) return -1;
  }
  return (mkdir(path, 0777) == 0 || errno == EEXIST) ? 0 : -1;
}

static homeboy_status ex_read(homeboy_storage* s, const char* path, size_t size, homeboy_result* r) {
  char file[8192];
  if (map_path(s, path, size, file, sizeof file)) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "bad path", "");
  FILE* f = fopen(file, "rb");
  if (!f) return fail(r, from_errno(errno), "cannot read", file);
  char* data = NULL;
  size_t len = 0, cap = 0, got;
  char chunk[65536];
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (len + got > cap) {
      cap = (len + got) * 2;
      char* grown = realloc(data, cap);
      if (!grown) {
        free(data);
        fclose(f);
        return fail(r, HOMEBOY_ERR_IO, "out of memory reading", file);
      }
      data = grown;
    }
    memcpy(data + len, chunk, got);
    len += got;
  }
  int failed = ferror(f);
  fclose(f);
  if (failed) {
    free(data);
    return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "cannot read (a folder?)", file);
  }
  r->set_data(r, data ? data : "", len); /* the host copies before returning */
  free(data);
  return HOMEBOY_OK;
}

/* Writes go through the folder's one temp file, ".homeboy-tmp", while an exclusive flock on
 * the folder is held: whatever a killed writer left there is ours to replace, concurrent
 * writers wait their turn, and the rename makes the change atomic for readers. The temp file
 * is created with the old file's mode (0600 for a new one; the umask applies), never more. */
static homeboy_status ex_write(homeboy_storage* s, const char* path, size_t size, const char* content,
                               size_t content_size, homeboy_result* r) {
  char file[8192], dir[8192], tmp[8300];
  if (map_path(s, path, size, file, sizeof file)) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "bad path", "");
  snprintf(dir, sizeof dir, "%s", file);
  *strrchr(dir, '/') = '\0';
  int dir_fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (dir_fd < 0) return fail(r, HOMEBOY_ERR_NOT_FOUND, "folder does not exist for", file);
  if (flock(dir_fd, LOCK_EX) != 0) {
    close(dir_fd);
    return fail(r, HOMEBOY_ERR_IO, "cannot lock the folder of", file);
  }
  struct stat old;
  int exists = stat(file, &old) == 0;
  if (exists && S_ISDIR(old.st_mode)) {
    close(dir_fd);
    return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder", file);
  }
  snprintf(tmp, sizeof tmp, "%s/.homeboy-tmp", dir);
  unlink(tmp); /* a killed writer's leftover: we hold the lock */
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, exists ? (old.st_mode & 0777) : 0600);
  homeboy_status status = HOMEBOY_OK;
  if (fd < 0) {
    status = fail(r, from_errno(errno), "cannot write", tmp);
  } else {
    size_t done = 0;
    while (done < content_size && status == HOMEBOY_OK) {
      ssize_t n = write(fd, content + done, content_size - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) status = fail(r, HOMEBOY_ERR_IO, "cannot write", file);
      else done += (size_t)n;
    }
    if (status == HOMEBOY_OK && (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, file) != 0))
      status = fail(r, HOMEBOY_ERR_IO, "cannot write", file);
    else if (status != HOMEBOY_OK)
      close(fd);
    if (status != HOMEBOY_OK) unlink(tmp);
  }
  close(dir_fd); /* releases the lock */
  return status;
}

static homeboy_status ex_list(homeboy_storage* s, const char* path, size_t size, homeboy_result* r) {
  char dir[8192], child[8192], shown[8192];
  if (map_path(s, path, size, dir, sizeof dir)) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "bad path", "");
  DIR* d = opendir(dir);
  if (!d && errno == ENOTDIR) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "is a file, not a folder", dir);
  if (!d) return errno == ENOENT ? HOMEBOY_OK : fail(r, from_errno(errno), "cannot list", dir);
  struct dirent* e;
  size_t shown_prefix = size;
  while (shown_prefix > 1 && path[shown_prefix - 1] == '/') --shown_prefix;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".homeboy-tmp")) continue;
    struct stat st;
    if ((size_t)snprintf(child, sizeof child, "%s/%s", dir, e->d_name) >= sizeof child) continue; /* too long to stat */
    int is_dir = stat(child, &st) == 0 && S_ISDIR(st.st_mode);
    int n = snprintf(shown, sizeof shown, "%.*s/%s", shown_prefix == 1 ? 0 : (int)shown_prefix, path, e->d_name);
    if (n < 0 || (size_t)n >= sizeof shown) continue;
    r->add_entry(r, shown, (size_t)n, is_dir); /* any order: the host sorts */
  }
  closedir(d);
  return HOMEBOY_OK;
}

static int remove_entry(const char* path, const struct stat* st, int type, struct FTW* ftw) {
  (void)st; (void)type; (void)ftw;
  return remove(path);
}

static homeboy_status ex_remove(homeboy_storage* s, const char* path, size_t size, int32_t is_directory,
                                homeboy_result* r) {
  char file[8192];
  if (map_path(s, path, size, file, sizeof file)) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "bad path", "");
  struct stat st;
  if (lstat(file, &st) != 0) return fail(r, HOMEBOY_ERR_NOT_FOUND, "no such file or folder", file);
  if (S_ISDIR(st.st_mode)) {
    if (!is_directory) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "is a folder (set is_directory)", file);
    if (strcmp(file, s->root) == 0) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "refusing to delete the store", file);
    /* Children first (FTW_DEPTH), without following symlinks (FTW_PHYS). */
    if (nftw(file, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) return fail(r, from_errno(errno), "cannot delete", file);
    return HOMEBOY_OK;
  }
  return unlink(file) == 0 ? HOMEBOY_OK : fail(r, from_errno(errno), "cannot delete", file);
}

static homeboy_status ex_ensure_dir(homeboy_storage* s, const char* path, size_t size, homeboy_result* r) {
  char dir[8192];
  if (map_path(s, path, size, dir, sizeof dir)) return fail(r, HOMEBOY_ERR_INVALID_ARGUMENT, "bad path", "");
  struct stat st;
  if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) return fail(r, HOMEBOY_ERR_CONFLICT, "a file is in the way", dir);
  if (make_dirs(dir) == 0) return HOMEBOY_OK;
  /* mkdir says ENOTDIR below a file (and EEXIST at it, which make_dirs passes over). */
  if (errno == ENOTDIR) return fail(r, HOMEBOY_ERR_CONFLICT, "a file is in the way of", dir);
  return fail(r, from_errno(errno), "cannot create folder", dir);
}

static void ex_destroy(homeboy_storage* s) { free(s); }

/* No batch (the host sends operations one by one), no versions: the members left out are NULL. */
static const homeboy_storage_vtable example_vtable = {
    .struct_size = sizeof(homeboy_storage_vtable), .capabilities = 0, .read = ex_read, .write = ex_write,
    .list = ex_list, .remove = ex_remove, .ensure_dir = ex_ensure_dir, .destroy = ex_destroy};

static homeboy_status ex_negotiate(uint32_t host_max_version, uint32_t* chosen) {
  if (host_max_version < 1) return HOMEBOY_ERR_UNSUPPORTED;
  *chosen = 1; /* the only version this plugin speaks */
  return HOMEBOY_OK;
}

static homeboy_status ex_create(const homeboy_create_info* info, homeboy_storage** instance,
                                const homeboy_storage_vtable** vtable, homeboy_result* error) {
  homeboy_storage* s = calloc(1, sizeof *s);
  if (!s) return fail(error, HOMEBOY_ERR_IO, "out of memory", "");
  const char* root = info->config_get(info, "root");
  const char* module_id = strrchr(info->module_dir, '/');
  int n = root ? snprintf(s->root, sizeof s->root, "%s", root)
               : snprintf(s->root, sizeof s->root, "%s/%s-store", info->config_dir, module_id ? module_id + 1 : "example-c");
  if (n < 0 || (size_t)n >= sizeof s->root || s->root[0] != '/') {
    free(s);
    return fail(error, HOMEBOY_ERR_INVALID_ARGUMENT, "config \"root\" must be an absolute folder path", root ? root : "");
  }
  if (make_dirs(s->root) != 0) {
    homeboy_status status = fail(error, from_errno(errno), "cannot create the store folder", s->root);
    free(s);
    return status;
  }
  *instance = s;
  *vtable = &example_vtable;
  return HOMEBOY_OK;
}

HOMEBOY_PLUGIN_EXPORT const homeboy_plugin_entry homeboy_storage_plugin_entry = {
    sizeof(homeboy_plugin_entry), "example-c", ex_negotiate, ex_create};
