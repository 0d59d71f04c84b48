/* A plugin that misbehaves in the way named by its config's "mode" (see run.sh). It keeps a
 * few files in memory so that reads, writes and conditional writes can be exercised. */
#include <homeboy/storage_plugin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

struct homeboy_storage { char state[512]; char mode[64]; char content[256]; size_t size; int exists; unsigned counter; };

static int mode_is(homeboy_storage* s, const char* m) { return strcmp(s->mode, m) == 0; }
static homeboy_status err(homeboy_result* r, homeboy_status st, const char* m) { r->set_error(r, m, strlen(m)); return st; }

static void put_version(homeboy_storage* s, homeboy_result* r) {
  if (mode_is(s, "version10k")) {
    /* 10 KB: the same first 300 bytes every time, the counter at the end. */
    static char v[10240];
    memset(v, 'v', sizeof v);
    char tail[16]; int n = snprintf(tail, sizeof tail, "%08u", s->counter);
    memcpy(v + sizeof v - n, tail, (size_t)n);
    r->set_version(r, v, sizeof v);
  } else if (mode_is(s, "version_nonutf8")) {
    char v[8] = {'v', (char)0xff, (char)0xfe, '0' + (char)(s->counter % 10), 0};
    r->set_version(r, v, 4);
  } else {
    char v[16]; int n = snprintf(v, sizeof v, "%u", s->counter);
    r->set_version(r, v, (size_t)n);
  }
}

static homeboy_status ev_read(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) {
  (void)p; (void)n;
  if (mode_is(s, "nonutf8_error")) return err(r, HOMEBOY_ERR_IO, "bad \xff\xfe bytes \xc3");
  if (mode_is(s, "huge_error")) {
    size_t big = (size_t)64 << 20; char* m = malloc(big); memset(m, 'e', big);
    r->set_error(r, m, big); free(m); return HOMEBOY_ERR_IO;
  }
  if (mode_is(s, "error_and_ok")) { r->set_data(r, "x", 1); r->set_error(r, "oops", 4); return HOMEBOY_OK; }
  if (mode_is(s, "null_data")) { r->set_data(r, NULL, 5); return HOMEBOY_OK; }
  if (mode_is(s, "buffer_then_data")) { char* b = r->data_buffer(r, 10); memset(b, 'b', 10); r->set_data(r, "dd", 2); return HOMEBOY_OK; }
  if (mode_is(s, "data_then_buffer")) { r->set_data(r, "dd", 2); char* b = r->data_buffer(r, 3); memcpy(b, "BBB", 3); return HOMEBOY_OK; }
  if (mode_is(s, "weird_status")) return err(r, 12345, "weird status");
  if (mode_is(s, "negative_status")) return err(r, -1, "negative status");
  if (mode_is(s, "fail_no_error")) return HOMEBOY_ERR_NOT_FOUND;
  if (!s->exists) return err(r, HOMEBOY_ERR_NOT_FOUND, "no such file");
  r->set_data(r, s->content, s->size);
  put_version(s, r);
  return HOMEBOY_OK;
}
static void save(homeboy_storage* s) {
  if (!s->state[0]) return;
  FILE* f = fopen(s->state, "wb"); if (!f) return;
  fwrite(&s->counter, sizeof s->counter, 1, f); fwrite(&s->exists, sizeof s->exists, 1, f);
  fwrite(&s->size, sizeof s->size, 1, f); fwrite(s->content, 1, s->size, f); fclose(f);
}
static void load(homeboy_storage* s) {
  FILE* f = s->state[0] ? fopen(s->state, "rb") : NULL; if (!f) return;
  if (fread(&s->counter, sizeof s->counter, 1, f) && fread(&s->exists, sizeof s->exists, 1, f) && fread(&s->size, sizeof s->size, 1, f))
    s->size = fread(s->content, 1, s->size > sizeof s->content ? sizeof s->content : s->size, f);
  fclose(f);
}
static homeboy_status do_write(homeboy_storage* s, const char* c, size_t n, homeboy_result* r) {
  if (n > sizeof s->content) n = sizeof s->content;
  memcpy(s->content, c, n); s->size = n; s->exists = 1; s->counter++; save(s);
  if (mode_is(s, "data_on_write")) r->set_data(r, "unexpected", 10);
  put_version(s, r);
  return HOMEBOY_OK;
}
static homeboy_status ev_write(homeboy_storage* s, const char* p, size_t pn, const char* c, size_t n, homeboy_result* r) {
  (void)p; (void)pn; return do_write(s, c, n, r);
}
static homeboy_status ev_write_if(homeboy_storage* s, const char* p, size_t pn, const char* c, size_t n,
                                  const homeboy_condition* cond, homeboy_result* r) {
  (void)p; (void)pn;
  if (cond->kind == HOMEBOY_IF_ABSENT) { if (s->exists) return err(r, HOMEBOY_ERR_CONFLICT, "exists"); return do_write(s, c, n, r); }
  /* compare against the full current version */
  homeboy_result probe = *r; (void)probe;
  char cur[10240]; size_t cn;
  if (mode_is(s, "version10k")) { memset(cur, 'v', sizeof cur); char tail[16]; int k = snprintf(tail, sizeof tail, "%08u", s->counter); memcpy(cur + sizeof cur - k, tail, (size_t)k); cn = sizeof cur; }
  else cn = (size_t)snprintf(cur, sizeof cur, "%u", s->counter);
  if (!s->exists || cond->version_size != cn || memcmp(cond->version, cur, cn) != 0) return err(r, HOMEBOY_ERR_CONFLICT, "changed");
  return do_write(s, c, n, r);
}
static homeboy_status ev_list(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) {
  if (mode_is(s, "entry_nonutf8")) {
    char e[300]; memcpy(e, p, n); memcpy(e + n, "/\xff\xfe", 3); r->add_entry(r, e, n + 3, 0);
  }
  return HOMEBOY_OK;
}
static homeboy_status ev_remove(homeboy_storage* s, const char* p, size_t n, int32_t d, homeboy_result* r) {
  (void)p; (void)n; (void)d; if (!s->exists) return err(r, HOMEBOY_ERR_NOT_FOUND, "no such file"); s->exists = 0; save(s); return HOMEBOY_OK;
}
static homeboy_status ev_remove_if(homeboy_storage* s, const char* p, size_t n, int32_t d, const homeboy_condition* c, homeboy_result* r) {
  (void)c; return ev_remove(s, p, n, d, r);
}
static homeboy_status ev_ensure(homeboy_storage* s, const char* p, size_t n, homeboy_result* r) { (void)s; (void)p; (void)n; (void)r; return HOMEBOY_OK; }
static homeboy_status ev_batch_v2(homeboy_storage* s, const homeboy_op* const* ops, homeboy_result* const* results,
                                  homeboy_status* statuses, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const homeboy_op* op = ops[i]; homeboy_result* r = results[i];
    homeboy_status st;
    switch (op->operation) {
      case HOMEBOY_OP_READ: st = ev_read(s, op->path, op->path_size, r); break;
      case HOMEBOY_OP_WRITE: st = op->condition ? ev_write_if(s, op->path, op->path_size, op->content, op->content_size, op->condition, r)
                                                : ev_write(s, op->path, op->path_size, op->content, op->content_size, r); break;
      case HOMEBOY_OP_LIST: st = ev_list(s, op->path, op->path_size, r); break;
      case HOMEBOY_OP_DELETE: st = ev_remove(s, op->path, op->path_size, op->is_directory, r); break;
      default: st = ev_ensure(s, op->path, op->path_size, r);
    }
    if (mode_is(s, "batch_garbage_status")) statuses[i] = (homeboy_status)(0x7fff0000 + (int)i);
    else if (mode_is(s, "batch_ok_status_no_data")) statuses[i] = HOMEBOY_OK;
    else if (mode_is(s, "batch_skip_statuses")) { /* leave statuses untouched */ }
    else statuses[i] = st;
  }
  if (mode_is(s, "batch_data_twice")) { results[0]->set_data(results[0], "a", 1); results[0]->set_data(results[0], "b", 1); }
  return HOMEBOY_OK;
}
static void ev_destroy(homeboy_storage* s) { free(s); }

static const homeboy_storage_vtable vt = {
  sizeof(homeboy_storage_vtable), HOMEBOY_CAP_BATCH | HOMEBOY_CAP_VERSIONS,
  ev_read, ev_write, ev_list, ev_remove, ev_ensure, NULL, ev_destroy, ev_write_if, ev_remove_if, ev_batch_v2};
static const homeboy_storage_vtable vt_noversions = {
  sizeof(homeboy_storage_vtable), HOMEBOY_CAP_BATCH,
  ev_read, ev_write, ev_list, ev_remove, ev_ensure, NULL, ev_destroy, NULL, NULL, ev_batch_v2};

static homeboy_status ev_negotiate(uint32_t host, uint32_t* chosen) { *chosen = host >= 2 ? 2 : host; return HOMEBOY_OK; }
static homeboy_status ev_create(const homeboy_create_info* info, homeboy_storage** out, const homeboy_storage_vtable** v, homeboy_result* e) {
  (void)e;
  homeboy_storage* s = calloc(1, sizeof *s);
  const char* m = info->config_get(info, "mode");
  strncpy(s->mode, m ? m : "", sizeof s->mode - 1);
  const char* st = info->config_get(info, "state_file");
  if (st) { strncpy(s->state, st, sizeof s->state - 1); load(s); }
  *out = s;
  *v = mode_is(s, "version_no_cap") ? &vt_noversions : &vt;
  return HOMEBOY_OK;
}
HOMEBOY_PLUGIN_EXPORT const homeboy_plugin_entry homeboy_storage_plugin_entry = {
  sizeof(homeboy_plugin_entry), "evil", ev_negotiate, ev_create};
