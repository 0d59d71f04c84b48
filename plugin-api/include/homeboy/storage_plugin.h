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
 * How the ABI grows (docs/plugin-authoring.md, "Versions and growth"):
 *   - every table starts with `struct_size`, filled by whoever owns the table with the
 *     size it was compiled with;
 *   - members are only ever appended, each one marked with the version that added it;
 *     nothing is removed, reordered or retyped;
 *   - the reader of a table checks struct_size before touching a member (HOMEBOY_HAS);
 *     the host also accepts any table at least as large as its frozen version-1 size
 *     (HOMEBOY_*_V1_SIZE) and never reads past the size the plugin declared;
 *   - arrays of tables are never indexed by sizeof: version 2 passes arrays of pointers,
 *     and the version-1 batch receives its arrays laid out at the frozen v1 strides;
 *   - a plugin negotiates a version; the host calls members added after that version
 *     only when struct_size says they are there, and never sends a request that needs
 *     them (a conditional write, say) to a plugin that does not offer them;
 *   - a plugin returns a status added by a version only when it negotiated that version
 *     or a later one: the host reads a status the negotiated version does not define as
 *     HOMEBOY_ERR_IO.
 *   A new version is declared when members are appended to a table, or when a plugin may
 *   return something an older host would not understand (a new status); the host keeps
 *   loading every older version (version 1 included) for as long as the major version
 *   of the homeboy-plugin-api package stays the same. What the host may send a plugin
 *   without a new member (an operation code, gated by a capability flag the plugin sets)
 *   needs no new version.
 *
 * Ownership: every pointer the host passes in is host-owned and valid only for the
 * duration of that call unless stated otherwise. Strings carry an explicit length and
 * are not NUL-terminated unless stated; content and paths are bytes (not necessarily
 * UTF-8). Everything the plugin returns is plugin-owned and lives as stated on the member.
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
#define HOMEBOY_STORAGE_ABI_VERSION 3u

/* The one symbol a plugin exports. */
#define HOMEBOY_STORAGE_ENTRY_SYMBOL "homeboy_storage_plugin_entry"

#if defined(_WIN32)
#define HOMEBOY_PLUGIN_EXPORT __declspec(dllexport)
#else
#define HOMEBOY_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* The size of a table up to and including `member`. */
#define HOMEBOY_SIZE_THROUGH(type, member) (offsetof(type, member) + sizeof(((type*)0)->member))

/* Whether the table `ptr` (of type `type`) is large enough to hold `member`. */
#define HOMEBOY_HAS(ptr, type, member) ((size_t)(ptr)->struct_size >= HOMEBOY_SIZE_THROUGH(type, member))

/* Outcome of a call. The error values are the storage contract's error codes. */
typedef int32_t homeboy_status;
#define HOMEBOY_OK 0
#define HOMEBOY_ERR_NOT_FOUND 1         /* "not_found": read or delete of a missing path */
#define HOMEBOY_ERR_PERMISSION_DENIED 2 /* "permission_denied" */
#define HOMEBOY_ERR_INVALID_ARGUMENT 3  /* "invalid_argument": a bad path or request */
#define HOMEBOY_ERR_UNSUPPORTED 4       /* "unsupported": the plugin does not offer this */
#define HOMEBOY_ERR_CONFLICT 5          /* "conflict": a condition did not hold, or something is in the way */
#define HOMEBOY_ERR_IO 6                /* "io_error": anything else */
#define HOMEBOY_ERR_UNAVAILABLE 7       /* v2, "unavailable": the backend cannot be reached (server down) */
#define HOMEBOY_ERR_ABORTED 8           /* v2, "aborted": not applied, another change of an all-or-nothing batch failed */
/* v3, "too_large": content above HOMEBOY_CONTENT_LIMIT (a file too large to read). Version 3
 * adds this status and nothing else: a plugin returns it only when it negotiated version 3
 * or later (create_info->abi_version), and HOMEBOY_ERR_INVALID_ARGUMENT otherwise. */
#define HOMEBOY_ERR_TOO_LARGE 9

/* Operation codes, used in batches. */
typedef int32_t homeboy_operation;
#define HOMEBOY_OP_READ 1
#define HOMEBOY_OP_WRITE 2
#define HOMEBOY_OP_LIST 3
#define HOMEBOY_OP_DELETE 4
#define HOMEBOY_OP_ENSURE_DIR 5
/* Changes nothing: succeeds (reporting nothing) while op->condition holds, and fails with
 * HOMEBOY_ERR_CONFLICT otherwise. HOMEBOY_IF_VERSION holds while a FILE is at the path with
 * that version (a folder has none: conflict); HOMEBOY_IF_ABSENT while nothing, file or
 * folder, is at the path. The host sends it only to a plugin declaring
 * HOMEBOY_CAP_TRANSACTIONS, only through batch_v2 (a check on its own goes as a batch of
 * one), and always with op->condition non-NULL. A plugin that gets an operation code it
 * does not know answers HOMEBOY_ERR_UNSUPPORTED for it. Added without a table member, so
 * with no new ABI version: a plugin that does not declare the flag never sees it. */
#define HOMEBOY_OP_CHECK 6

/* The largest content a read or write carries (256 MiB). data_buffer and set_data refuse
 * more; a plugin may refuse earlier (a file larger than this) with HOMEBOY_ERR_TOO_LARGE
 * (HOMEBOY_ERR_INVALID_ARGUMENT when it negotiated a version before 3). */
#define HOMEBOY_CONTENT_LIMIT ((size_t)256 << 20)

/*
 * Where an operation's results go. Host-owned; valid for the duration of the call it is
 * passed to. The plugin calls these on the calling thread before that call returns; the
 * host copies every string before the callback returns, so the plugin may pass stack or
 * temporary memory.
 */
typedef struct homeboy_result homeboy_result;
struct homeboy_result {
  uint32_t struct_size; /* the size the host built it with; at least HOMEBOY_RESULT_V1_SIZE */
  void* host_data;      /* host-owned, opaque to the plugin */

  /* read: the file's content, byte for byte. Call once (a second call is a contract violation). */
  void (*set_data)(homeboy_result* result, const char* bytes, size_t size);

  /* list: one immediate child. `path` is the child's absolute path. Any order: the host sorts. */
  void (*add_entry)(homeboy_result* result, const char* path, size_t path_size, int32_t is_directory);

  /* Any failed operation: a message a person can act on. Call it exactly when the
   * operation fails; the status (return value, or the batch's status slot) gives the code. */
  void (*set_error)(homeboy_result* result, const char* message, size_t message_size);

  /* read, zero-copy alternative to set_data: makes the content exactly `size` bytes and
   * returns them for the plugin to fill. The buffer is host-owned and valid until the
   * operation returns or the next data_buffer call; calling again resizes it, keeping the
   * first bytes (to shrink after a short read, or grow). Returns NULL when out of memory or
   * above HOMEBOY_CONTENT_LIMIT; the plugin then fails the operation. */
  char* (*data_buffer)(homeboy_result* result, size_t size);

  /* --- version 2 --------------------------------------------------------------------- */

  /* read and write (HOMEBOY_CAP_VERSIONS): the version of the content read or written, an
   * opaque token of at most 256 bytes that changes on every successful write of the path
   * (even of identical content) and that a later conditional write or delete quotes. */
  void (*set_version)(homeboy_result* result, const char* version, size_t version_size);
};
/* The version-1 size (and sizeof) of each table: the offset of its first version-2 member. */
#define HOMEBOY_RESULT_V1_SIZE offsetof(homeboy_result, set_version)

/* A condition on a write or delete (HOMEBOY_CAP_VERSIONS). Host-owned, valid for the call. */
typedef struct homeboy_condition {
  uint32_t struct_size;
  uint32_t kind;       /* HOMEBOY_IF_VERSION or HOMEBOY_IF_ABSENT */
  const char* version; /* HOMEBOY_IF_VERSION: a version the plugin reported earlier */
  size_t version_size;
} homeboy_condition;
#define HOMEBOY_IF_VERSION 1u /* apply only while the path's current version is `version` */
#define HOMEBOY_IF_ABSENT 2u  /* write and check only: apply only while nothing exists at the path */
/* When the condition does not hold, the operation changes nothing and fails with
 * HOMEBOY_ERR_CONFLICT. Checking and applying are one atomic step, also against other
 * processes and other hosts using the same backend. */

/* One operation of a batch. Host-owned; valid for the duration of the batch call. */
typedef struct homeboy_op {
  uint32_t struct_size;
  homeboy_operation operation;
  const char* path;
  size_t path_size;
  const char* content; /* write only, else NULL */
  size_t content_size;
  int32_t is_directory; /* delete: the path is a directory, remove it with its contents */
  /* --- version 2 --- */
  const homeboy_condition* condition; /* write and delete: NULL when unconditional; check: never NULL */
} homeboy_op;
#define HOMEBOY_OP_V1_SIZE offsetof(homeboy_op, condition)

/* Flags in homeboy_storage_vtable.capabilities. */
#define HOMEBOY_CAP_BATCH 0x1u        /* `batch` (v1) or `batch_v2` is set */
#define HOMEBOY_CAP_BATCH_ATOMIC 0x2u /* a batch's writes and deletes apply all or none (see batch_v2) */
#define HOMEBOY_CAP_VERSIONS 0x4u     /* v2: reads and writes report versions; write_if and remove_if are set */
/* Batches are serializable transactions (see batch_v2): HOMEBOY_OP_CHECK is understood, a
 * batch applies all or none, and every batch that changes something or holds a check runs
 * as if no other such batch ran at the same time on the same backend, from any host.
 * Needs HOMEBOY_CAP_BATCH, HOMEBOY_CAP_BATCH_ATOMIC and HOMEBOY_CAP_VERSIONS: the host
 * refuses to load a plugin that sets it without them. A flag and an operation code, no
 * new member: it needs no new ABI version, and a version-2 plugin may set it. */
#define HOMEBOY_CAP_TRANSACTIONS 0x8u

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
   * Version 1 batch, optional (HOMEBOY_CAP_BATCH): runs `count` operations in order. For
   * each i it writes statuses[i] and reports into results[i] as the single operation would.
   * `ops` and `results` are host-owned arrays laid out at the frozen version-1 strides
   * (HOMEBOY_OP_V1_SIZE, HOMEBOY_RESULT_V1_SIZE): index them by those, not by sizeof.
   * The host calls it only on a plugin that negotiated version 1; from version 2 on it
   * calls batch_v2. Returns HOMEBOY_OK when the batch ran (even if some operations
   * failed), an error when it could not run at all.
   */
  homeboy_status (*batch)(homeboy_storage* self, const homeboy_op* ops, size_t count, homeboy_result* results,
                          homeboy_status* statuses);

  /* Frees the instance. Called once; nothing else is called on `self` afterwards. */
  void (*destroy)(homeboy_storage* self);

  /* --- version 2 ------------------------------------------------------------------------ */

  /* HOMEBOY_CAP_VERSIONS: write, applied only while `condition` holds (HOMEBOY_ERR_CONFLICT
   * otherwise). On success, reports the new version through result->set_version. */
  homeboy_status (*write_if)(homeboy_storage* self, const char* path, size_t path_size, const char* content,
                             size_t content_size, const homeboy_condition* condition, homeboy_result* result);

  /* HOMEBOY_CAP_VERSIONS: remove, applied only while `condition` (HOMEBOY_IF_VERSION) holds. */
  homeboy_status (*remove_if)(homeboy_storage* self, const char* path, size_t path_size, int32_t is_directory,
                              const homeboy_condition* condition, homeboy_result* result);

  /*
   * Optional (HOMEBOY_CAP_BATCH): runs `count` operations in order, each as the single
   * operation would (a conditional write or delete included). `ops` and `results` are
   * arrays of `count` pointers, so each table carries its own struct_size; `statuses` is
   * an array of `count` statuses. With HOMEBOY_CAP_BATCH_ATOMIC, when any write, delete or
   * ensure_dir fails, none of the batch's changes remain: the failing operation reports
   * its own error, and every other change, and every operation after the failing one,
   * reports HOMEBOY_ERR_ABORTED with a message that names the operation that failed. The
   * host never splits a batch for such a plugin. With HOMEBOY_CAP_TRANSACTIONS a batch may
   * hold HOMEBOY_OP_CHECK operations, and a check that fails fails the batch exactly as a
   * change does (it reports HOMEBOY_ERR_CONFLICT; every other change and check, and every
   * operation after it, HOMEBOY_ERR_ABORTED). Returns as `batch` does.
   */
  homeboy_status (*batch_v2)(homeboy_storage* self, const homeboy_op* const* ops, homeboy_result* const* results,
                             homeboy_status* statuses, size_t count);
} homeboy_storage_vtable;
#define HOMEBOY_VTABLE_V1_SIZE offsetof(homeboy_storage_vtable, write_if)

/* What the host tells a plugin at creation. Host-owned; valid for the duration of create(). */
typedef struct homeboy_create_info {
  uint32_t struct_size;
  uint32_t abi_version;       /* the negotiated version */
  const char* config_json;    /* the manifest's storage_provider.config as JSON, NUL-terminated */
  size_t config_json_size;
  const char* config_dir;     /* homeboy's config folder, absolute, NUL-terminated */
  const char* module_dir;     /* the plugin's module folder, absolute, NUL-terminated */

  /* A top-level config value as text (strings as they are, numbers and booleans as JSON
   * spells them), or NULL when absent or not a scalar. Every pointer it returns stays
   * valid until create() returns. Lets a plain-C plugin read its settings without a JSON
   * parser. */
  const char* (*config_get)(const struct homeboy_create_info* info, const char* key);
  void* host_data; /* host-owned, opaque to the plugin */
} homeboy_create_info;
#define HOMEBOY_CREATE_INFO_V1_SIZE HOMEBOY_SIZE_THROUGH(homeboy_create_info, host_data)

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
#define HOMEBOY_ENTRY_V1_SIZE HOMEBOY_SIZE_THROUGH(homeboy_plugin_entry, create)

#ifdef __cplusplus
}
#endif

#endif /* HOMEBOY_STORAGE_PLUGIN_H */
