/* file.h: the one way lunet writes a file (models, checkpoints, PNG, CSV).
 *
 * ln_file_open creates a fresh temporary file in the target's directory,
 * exclusively and without following a symlink (O_CREAT|O_EXCL|O_NOFOLLOW),
 * under a unique name, so two processes saving the same path never share a
 * temporary file and a planted symlink is never written through. The caller
 * writes to f; ln_file_commit flushes, checks every error (fwrite, fflush,
 * fsync, fclose), then renames the temporary file over the target. On any
 * failure the temporary file is removed and the earlier file at path, if
 * any, is left as it was. ln_file_abort gives up without touching path.
 *
 * The viewer uses this too, so it is plain C with no tensor in it. */
#ifndef LN_FILE_H
#define LN_FILE_H

#include <stdio.h>

typedef struct ln_file {
  FILE *f;          /* write here between open and commit */
  char *tmp;        /* the temporary file's name */
  char *path;       /* the target's name */
  int err;          /* an errno a writer recorded (0: none); after a failed
                     * open or commit, the errno of the failure */
} ln_file;

/* who names the caller in messages ("save: m.lnet: ..."); NULL or "" for
 * none ("m.lnet: ..."). Failures record a message (ln_error) and leave the
 * errno in w->err, for a caller that words its own message. */
int ln_file_open(ln_file *w, const char *who, const char *path);
/* Flushes, syncs, closes and renames; removes the temporary file on error. */
int ln_file_commit(ln_file *w, const char *who);
/* Closes and removes the temporary file (safe after a failed open). */
void ln_file_abort(ln_file *w);

#endif
