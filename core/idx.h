/* idx.h: reading IDX files (the MNIST / Fashion-MNIST format).
 *
 * An IDX file is a 4-byte magic (0, 0, type code, number of dimensions), the
 * dimensions as big-endian uint32, then the values, big-endian, row-major.
 * Type codes: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64.
 * Files are read through zlib's gzread, which reads gzip and plain files
 * alike. Errors name the path: a missing file, a truncated one, a foreign one
 * (bad magic, unknown type code, more than LN_MAXDIM dimensions, a zero
 * dimension) and sizes that overflow are all reported, never crashed on. */
#ifndef LN_IDX_H
#define LN_IDX_H

#include <stdint.h>
#include "tensor.h"

/* Raw bytes of a u8 IDX file, kept as bytes: 60000 images take 47 MB
 * instead of 188 MB as floats (torchvision keeps MNIST as uint8 too). */
typedef struct ln_bytes {
  uint8_t *data;   /* NULL: empty */
  int ndim;
  size_t size[LN_MAXDIM];
} ln_bytes;

/* t becomes a float32 tensor of the file's values and shape (releasing what
 * it held). max_rows > 0 reads only the first max_rows entries of the first
 * dimension; 0 reads all and rejects trailing data. */
int ln_idx_read(ln_tensor *t, const char *path, size_t max_rows);
/* The same for u8 files only, into b (releasing what it held). */
int ln_idx_read_bytes(ln_bytes *b, const char *path, size_t max_rows);
size_t ln_bytes_numel(const ln_bytes *b);
/* Frees b's data; b becomes empty. Safe to call twice. */
void ln_bytes_free(ln_bytes *b);

#endif
