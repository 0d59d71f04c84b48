/*
 * homeboy storage plugin ABI.
 *
 * The whole contract between the homeboy host and a native storage plugin (a shared
 * object). Plain C11, fixed-width types, no allocator or exception crosses it.
 *
 * A plugin exports exactly one symbol, `homeboy_storage_plugin_entry` (see the end of
 * this file). The host:
 *   1. reads entry->struct_size, then calls entry->negotiate() with the highest ABI
 *      version it speaks; the plugin answers with the version both speak;
 *   2. calls entry->create() with that version and the provider's config;
 *   3. calls the returned table's operations; each reports into a host-owned
 *      homeboy_result and returns a homeboy_status;
 *   4. calls destroy() once, before unloading the library.
 *
 * Compatibility rules (as SQLite's sqlite3_vfs and Vulkan's ICD tables):
 *   - every table starts with `struct_size`, filled by whoever owns the table;
 *   - members are only ever appended; the reader checks struct_size (or the negotiated
 *     version) before touching a member added later;
 *   - optional function pointers may be NULL.
 *
 * Ownership: every pointer the host passes in is host-owned and valid only for the
 * duration of that call unless stated otherwise. Strings are UTF-8 with an explicit
 * length and are not NUL-terminated unless stated. Everything the plugin returns is
 * plugin-owned and lives as stated on the member.
 *
 * Threading: entry functions may be called from any thread. One instance is called by
 * one thread at a time (the host serializes calls per instance); different instances may
 * be used from different threads at once.
 */
#ifndef HOMEBOY_STORAGE_PLUGIN_H
#define HOMEBOY_STORAGE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The highest ABI version this header describes. */
#define HOMEBOY_STORAGE_ABI_VERSION 1u

/* The one symbol a plugin exports. */
#define HOMEBOY_STORAGE_ENTRY_SYMBOL "homeboy_storage_plugin_entry"

#if defined(_WIN32)
#define HOMEBOY_PLUGIN_EXPORT __declspec(dllexport)
#else
#define HOMEBOY_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Outcome of a call. The error values are the storage contract's error codes. */
typedef int32_t homeboy_status;
#define HOMEBOY_OK 0
#define HOMEBOY_ERR_NOT_FOUND 1         /* "not_found": read or delete of a missing path */
#define HOMEBOY_ERR_PERMISSION_DENIED 2 /* "permission_denied" */
#define HOMEBOY_ERR_INVALID_ARGUMENT 3  /* "invalid_argument": a bad path or request */
#define HOMEBOY_ERR_UNSUPPORTED 4       /* "unsupported": the plugin does not offer this */
#define HOMEBOY_ERR_CONFLICT 5          /* "conflict" */
#define HOMEBOY_ERR_IO 6                /* "io_error": anything else */

/* Operation codes, used in batches. */
typedef int32_t homeboy_operation;
#define HOMEBOY_OP_READ 1
#define HOMEBOY_OP_WRITE 2
#define HOMEBOY_OP_LIST 3
#define HOMEBOY_OP_DELETE 4
#define HOMEBOY_OP_ENSURE_DIR 5

/*
 * Where an operation's results go. Host-owned; valid for the duration of the call it is
 * passed to. The plugin calls these on the calling thread before that call returns; the
 * host copies every string before the callback returns, so the plugin may pass stack or
 * temporary memory.
 */
typedef struct homeboy_result homeboy_result;
struct homeboy_result {
  uint32_t struct_size; /* sizeof(homeboy_result) as the host built it */
  void* host_data;      /* host-owned, opaque to the plugin */

  /* read: the file's content, byte for byte. Call once. */
  void (*set_data)(homeboy_result* result, const char* bytes, size_t size);

  /* list: one immediate child. `path` is the child's absolute path. Any order: the host sorts. */
  void (*add_entry)(homeboy_result* result, const char* path, size_t path_size, int32_t is_directory);

  /* Any failed operation: a message a person can act on. Call it exactly when the
   * operation fails; the status (return value, or the batch's status slot) gives the code. */
  void (*set_error)(homeboy_result* result, const char* message, size_t message_size);

  /* read, zero-copy alternative to set_data: makes the content exactly `size` bytes and
   * returns them for the plugin to fill. The buffer is host-owned and valid until the
   * operation returns or the next data_buffer call; calling again resizes it, keeping the
   * first bytes (to shrink after a short read, or grow). Returns NULL when out of memory. */
  char* (*data_buffer)(homeboy_result* result, size_t size);
};

/* One operation of a batch. Host-owned; valid for the duration of the batch call. */
typedef struct homeboy_op {
  uint32_t struct_size;
  homeboy_operation operation;
  const char* path;
  size_t path_size;
  const char* content; /* write only, else NULL */
  size_t content_size;
  int32_t is_directory; /* delete: the path is a directory, remove it with its contents */
} homeboy_op;

/* Flags in homeboy_storage_vtable.capabilities. */
#define HOMEBOY_CAP_BATCH 0x1u        /* `batch` is set */
#define HOMEBOY_CAP_BATCH_ATOMIC 0x2u /* a batch's writes and deletes apply all or none */

/* A plugin's instance, defined by the plugin. */
typedef struct homeboy_storage homeboy_storage;

/*
 * The operations of an instance. Plugin-owned, usually a static const table; must stay
 * valid until destroy() returns. Paths are absolute and contain no NUL byte.
 */
typedef struct homeboy_storage_vtable {
  uint32_t struct_size;  /* sizeof(homeboy_storage_vtable) as the plugin compiled it */
  uint32_t capabilities; /* HOMEBOY_CAP_* */

  /* On success, call result->set_data once with the whole content. */
  homeboy_status (*read)(homeboy_storage* self, const char* path, size_t path_size, homeboy_result* result);

  /* Atomic: a reader sees the old or the new content. Does not create parent folders. */
  homeboy_status (*write)(homeboy_storage* self, const char* path, size_t path_size, const char* content,
                          size_t content_size, homeboy_result* result);

  /* Immediate children via result->add_entry. A missing folder is a success with no entries. */
  homeboy_status (*list)(homeboy_storage* self, const char* path, size_t path_size, homeboy_result* result);

  /* A missing path is HOMEBOY_ERR_NOT_FOUND. */
  homeboy_status (*remove)(homeboy_storage* self, const char* path, size_t path_size, int32_t is_directory,
                           homeboy_result* result);

  /* Creates the folder and its parents; succeeds when it already exists. */
  homeboy_status (*ensure_dir)(homeboy_storage* self, const char* path, size_t path_size, homeboy_result* result);

  /*
   * Optional (NULL unless HOMEBOY_CAP_BATCH): runs `count` operations in order. For each i
   * it writes statuses[i] and reports into results[i] as the single operation would.
   * `results` and `statuses` are host-owned arrays of `count` items. Returns HOMEBOY_OK when
   * the batch ran (even if some operations failed), an error when it could not run at all.
   */
  homeboy_status (*batch)(homeboy_storage* self, const homeboy_op* ops, size_t count, homeboy_result* results,
                          homeboy_status* statuses);

  /* Frees the instance. Called once; nothing else is called on `self` afterwards. */
  void (*destroy)(homeboy_storage* self);
} homeboy_storage_vtable;

/* What the host tells a plugin at creation. Host-owned; valid for the duration of create(). */
typedef struct homeboy_create_info {
  uint32_t struct_size;
  uint32_t abi_version;       /* the negotiated version */
  const char* config_json;    /* the manifest's storage_provider.config as JSON, NUL-terminated */
  size_t config_json_size;
  const char* config_dir;     /* homeboy's config folder, absolute, NUL-terminated */
  const char* module_dir;     /* the plugin's module folder, absolute, NUL-terminated */

  /* A top-level config value as text (strings as they are, numbers and booleans as JSON
   * spells them), or NULL when absent or not a scalar. The pointer is valid until create()
   * returns. Lets a plain-C plugin read its settings without a JSON parser. */
  const char* (*config_get)(const struct homeboy_create_info* info, const char* key);
  void* host_data; /* host-owned, opaque to the plugin */
} homeboy_create_info;

/* The exported entry point. Plugin-owned, static, valid while the library is loaded. */
typedef struct homeboy_plugin_entry {
  uint32_t struct_size; /* sizeof(homeboy_plugin_entry) as the plugin compiled it */
  const char* name;     /* NUL-terminated, for messages */

  /*
   * Version negotiation. `host_max_version` is the highest version the host speaks; the
   * plugin writes the version it will use (at most `host_max_version`) to `*chosen` and
   * returns HOMEBOY_OK, or returns HOMEBOY_ERR_UNSUPPORTED when it speaks none of them.
   */
  homeboy_status (*negotiate)(uint32_t host_max_version, uint32_t* chosen);

  /*
   * Creates an instance. On success writes `*instance` and `*vtable` and returns HOMEBOY_OK.
   * On failure calls error->set_error with the reason and returns an error status.
   */
  homeboy_status (*create)(const homeboy_create_info* info, homeboy_storage** instance,
                           const homeboy_storage_vtable** vtable, homeboy_result* error);
} homeboy_plugin_entry;

#ifdef __cplusplus
}
#endif

#endif /* HOMEBOY_STORAGE_PLUGIN_H */
