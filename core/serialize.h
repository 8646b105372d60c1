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
 * A save writes "<path>.tmp" and renames it over path only when every byte
 * is written and flushed, so a failed save never damages an earlier file.
 * A load checks, in order, that the file opens, is not empty, has the magic,
 * a version this code reads, the full length, and the checksum, and then
 * that every record makes sense; each failure is a clear error
 * ("load: model.lnet: checksum mismatch (file corrupted)"). */
#ifndef LN_SERIALIZE_H
#define LN_SERIALIZE_H

#include "module.h"

#define LN_FILE_VERSION 1u

int ln_save(const char *path, ln_module *m);
/* A new module (one reference for the caller), or NULL after ln_fail. */
ln_module *ln_load(const char *path);

#endif
