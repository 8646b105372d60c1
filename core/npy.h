/* npy.h: NumPy's .npy format, for moving arrays to and from NumPy (npy.c).
 *
 * A file is the magic "\x93NUMPY", a version (1.0 written; 1.x, 2.x and 3.x
 * read), the length of the header, and the header: a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } padded with
 * spaces to a multiple of 64 bytes and ended by '\n'; then the elements in
 * row-major (C) order.
 *
 * Saving writes float32 ('<f4') through ln_file_open / ln_file_commit.
 * Loading reads float32, float64, int8/16/32/64, uint8/16/32/64 and bool in
 * either byte order, converting to float32 (integers past 2^24 round); it
 * refuses Fortran order, other types, a shape with a zero, more than 8
 * dimensions, and a file whose size is not exactly the header's plus the
 * shape's data. A 0-D array loads as a 1-element 1-D tensor. */
#ifndef LN_NPY_H
#define LN_NPY_H

#include "tensor.h"

int ln_npy_save(const char *path, const ln_tensor *t);
/* t = the array at path (released first, on success only). */
int ln_npy_load(ln_tensor *t, const char *path);

#endif
