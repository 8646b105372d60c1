/* serialize.h: the versioned, checksummed file of modules and values.
 *
 * File format, every integer and float little-endian:
 *   header:   magic "LUNET\0" (6 bytes), version u32, body length u64
 *   body:     version 1: one module record (below, v1 layout)
 *             version 2: one value (below)
 *             version 3, 4, 5: as 2; a kind's fields added since are in
 *             its records (module.h, since: BatchNorm's track_running_stats
 *             3, sync 4; Flatten's start_dim and end_dim and Linear's bias 5)
 *   checksum: CRC-32 (zlib's) u32 of everything before it
 *
 * A value (version 2) is a tag byte and what the tag says:
 *   LN_V_NIL, LN_V_FALSE, LN_V_TRUE   nothing more
 *   LN_V_INT     i64                  (a Lua integer)
 *   LN_V_NUM     f64                  (a Lua float)
 *   LN_V_STR     u64 length + bytes
 *   LN_V_TABLE   (key value)* LN_V_END: keys and values are values
 *   LN_V_REF     u64 id: the value with that id again (shared, or a cycle)
 *   LN_V_TENSOR  a tensor record
 *   LN_V_MODULE  a module record
 *   LN_V_PATH    a value (a module), depth u8, then depth child positions
 *                u64 (0-based): the module that far down inside it
 *   LN_V_OPTIM   three values: the kind (a string), the modules it
 *                optimizes (a table), its state (opt:state_dict())
 * TABLE, TENSOR, MODULE and OPTIM values get ids 1, 2, 3, ... in the order
 * they start in the stream (a table's id before its contents, so a cycle can
 * refer to it). The walk over Lua values lives in the bindings (l_io.c);
 * ln_save writes a body of one LN_V_MODULE value.
 *
 * A module record:
 *   tag       u8 length + bytes (a registered tag: "Linear", "Sequential")
 *   training  u8
 *   children  u64 count, then per child: name (u8 length + bytes, empty for
 *             a position), the child's record [v1: only Sequential has a
 *             count, and no names]
 *   config    the kind's fields in order (module.h), then what its save
 *             writes (modules written in Lua: their class and Lua fields)
 *             [the fields of the file's version: module.h, since]
 *   params    u32 count [v1: u8], then per parameter: name (u8 length +
 *             bytes) [v1: none], a tensor record
 *   buffers   as params
 * A tensor record is ndim u8, sizes u64 x ndim, float32 x numel.
 *
 * A save writes through core/file.h (a fresh, uniquely named temporary file
 * beside path, renamed over it only when every byte is written, flushed and
 * synced), so a failed or killed save never damages an earlier file. The
 * body is produced twice, once to count its bytes for the header, then to
 * write them. A tree deeper than LN_MAXDEPTH is never written (none can be
 * built).
 *
 * A load checks, in order, that the file opens and is a regular file (not
 * /dev/zero, a FIFO or a directory), is not empty, has the magic, a version
 * this code reads, and a body length matching the file's size; only then is
 * the rest read, exactly as many bytes as the header declares. Then the
 * checksum, then that every record makes sense, modules nested at most
 * LN_MAXDEPTH deep, and a kind registered for every tag; each failure is a
 * clear error ("load: model.lnet: checksum mismatch (file corrupted)"). */
#ifndef LN_SERIALIZE_H
#define LN_SERIALIZE_H

#include <stdio.h>

#include "module.h"

#define LN_FILE_VERSION 5u

enum {
  LN_V_NIL, LN_V_FALSE, LN_V_TRUE, LN_V_INT, LN_V_NUM, LN_V_STR, LN_V_TABLE, LN_V_END,
  LN_V_REF, LN_V_TENSOR, LN_V_MODULE, LN_V_PATH, LN_V_OPTIM
};

/* Writes the body: a first pass (f NULL) only counts bytes. err is the
 * errno of a failed write, or -1 after ln_fail (a kind's save failed); once
 * set, nothing more is written. */
struct ln_writer {
  FILE *f;
  uint64_t n;          /* body bytes so far */
  unsigned long crc;
  int err;
  void *ctx;           /* the caller's, for kinds that need it (the bindings' Lua state) */
};

void ln_put_bytes(ln_writer *w, const void *p, size_t len);
void ln_put_u(ln_writer *w, uint64_t v, int bytes);
void ln_put_f64(ln_writer *w, double d);
/* u8 length + bytes; a name is at most 255 bytes. */
void ln_put_name(ln_writer *w, const char *s);
void ln_put_tensor(ln_writer *w, const ln_tensor *t);
/* A module record; refuses (w->err = -1) a tree too deep or with an empty
 * parameter. */
void ln_put_module(ln_writer *w, ln_module *m);

/* Reads a body already checked against its checksum. */
struct ln_reader {
  const unsigned char *p, *end;
  const char *path;
  unsigned version;    /* the file's format version */
  void *ctx;           /* the caller's */
};

/* Each returns LN_ERR after ln_fail("load: <path>: corrupted record (...)")
 * when the record runs past the end. */
int ln_get_bytes(ln_reader *r, void *out, size_t len);
int ln_get_u(ln_reader *r, uint64_t *v, int bytes);
int ln_get_f64(ln_reader *r, double *d);
/* A name into buf (at least 256 bytes), NUL-terminated. */
int ln_get_name(ln_reader *r, char *buf);
/* A tensor record into t, which must have the record's shape. */
int ln_get_tensor(ln_reader *r, ln_tensor *t);
/* A tensor record into a new tensor t of the record's shape, refused when
 * its data could not be in the rest of the file. */
int ln_get_tensor_new(ln_reader *r, ln_tensor *t);
/* A module record: a new module (one reference for the caller) or NULL.
 * depth: the modules above it (0 for a value of the stream). */
ln_module *ln_get_module(ln_reader *r, int depth);
/* Fails with "load: <path>: corrupted record (<what>)". */
int ln_bad(ln_reader *r, const char *what);
size_t ln_left(const ln_reader *r);

/* Writes path: header, body(w, ud) (called twice), checksum. ctx goes to
 * the writer. */
int ln_save_file(const char *path, int (*body)(ln_writer *w, void *ud), void *ud, void *ctx);
/* Reads and checks path, then body(r, ud), which must read all of it. */
int ln_load_file(const char *path, int (*body)(ln_reader *r, void *ud), void *ud, void *ctx);

/* A module alone (a version 2 file whose value is the module). */
int ln_save(const char *path, ln_module *m);
/* A new module (one reference for the caller), or NULL after ln_fail; reads
 * version 1 files and version 2 files whose value is a module. */
ln_module *ln_load(const char *path);

#endif
