/* serialize.h: saving and loading modules (Sequential included).
 *
 * File format, version 1, every integer and float little-endian:
 *   header:   magic "LUNET\0" (6 bytes), version u32, body length u64
 *   body:     one module record, recursively:
 *               name      u8 length + bytes ("Linear", "BatchNorm", ...)
 *               training  u8
 *               config    Linear: in u64, out u64
 *                         BatchNorm: nfeat u64, eps f64, momentum f64, affine u8
 *                         Sequential: child count u64, then the child records
 *                         activations: nothing
 *               params    u8 count, then tensors (weight before bias)
 *               buffers   u8 count, then tensors (running_mean, running_var)
 *             a tensor is ndim u8, sizes u64 x ndim, float32 x numel
 *   checksum: CRC-32 (zlib's) u32 of everything before it
 *
 * A save writes through core/file.h (a fresh, uniquely named temporary file
 * beside path, renamed over it only when every byte is written, flushed and
 * synced), so a failed or killed save never damages an earlier file. A tree
 * deeper than LN_MAXDEPTH is never written (none can be built).
 *
 * A load checks, in order, that the file opens and is a regular file (not
 * /dev/zero, a FIFO or a directory), is not empty, has the magic, a version
 * this code reads, and a body length matching the file's size; only then is
 * the rest read, exactly as many bytes as the header declares. Then the
 * checksum, then that every record makes sense, modules nested at most
 * LN_MAXDEPTH deep; each failure is a clear error ("load: model.lnet:
 * checksum mismatch (file corrupted)"). */
#ifndef LN_SERIALIZE_H
#define LN_SERIALIZE_H

#include "module.h"

#define LN_FILE_VERSION 1u

int ln_save(const char *path, ln_module *m);
/* A new module (one reference for the caller), or NULL after ln_fail. */
ln_module *ln_load(const char *path);

#endif
