/* export.c: save_png and save_csv.
 *
 * Both write through core/file.h ("../core/file.h", the writer lunet.save
 * uses): a fresh, uniquely named temporary file beside the target, created
 * exclusively and never through a symlink, flushed, synced and checked, then
 * renamed over the target. So a full disk, a failed encoder or a kill never
 * leaves an empty or truncated file where an earlier one was, and two
 * writers of one path each leave a whole file. */
#include "export.h"

#include <SDL_image.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../core/file.h"

/* "cannot write p.png: No space left on device" from a failed ln_file. */
static int file_fail(const ln_file *w, const char *path) {
  return vw_fail("cannot write %s: %s", path, strerror(w->err ? w->err : EIO));
}

int vw_save_png(vw_board *b, const char *path, const vw_view *v) {
  vw_snap *s = vw_snap_new();
  SDL_Surface *surf = NULL;
  SDL_RWops *rw;
  ln_file w;
  int rc = -1, pending = 0;
  if (!s) return vw_fail("out of memory");
  if (vw_snap_sync(s, b) < 0) goto done;
  /* the temporary file first: a clear message for an unwritable path
   * before any drawing */
  if (ln_file_open(&w, NULL, path)) {
    file_fail(&w, path);
    goto done;
  }
  pending = 1;
  surf = vw_render(s, v, NULL);
  if (!surf) goto done;
  if (!(rw = SDL_RWFromFP(w.f, SDL_FALSE))) {
    vw_fail("cannot write %s: %s", path, SDL_GetError());
    goto done;
  }
  /* Freeing rw leaves w.f open. A write error shows in ferror(w.f), and the
   * commit then reports its errno; any other encoder failure is SDL's. */
  if (IMG_SavePNG_RW(surf, rw, 1) != 0 && !ferror(w.f)) {
    vw_fail("cannot write %s: %s", path, IMG_GetError());
    goto done;
  }
  pending = 0;
  if (ln_file_commit(&w, NULL)) {
    file_fail(&w, path);
    goto done;
  }
  rc = 0;
done:
  if (pending) ln_file_abort(&w);
  if (surf) SDL_FreeSurface(surf);
  vw_snap_free(s);
  return rc;
}

static void put_tag(FILE *fp, const char *tag) {
  const char *p;
  if (!strpbrk(tag, ",\"\n")) { fputs(tag, fp); return; }
  fputc('"', fp);
  for (p = tag; *p; p++) {
    if (*p == '"') fputc('"', fp);
    fputc(*p, fp);
  }
  fputc('"', fp);
}

int vw_save_csv(vw_board *b, const char *path) {
  vw_snap *s = vw_snap_new();
  ln_file w;
  size_t i, j;
  int rc = -1;
  if (!s) return vw_fail("out of memory");
  if (vw_snap_sync(s, b) < 0) goto done;
  if (ln_file_open(&w, NULL, path)) {
    file_fail(&w, path);
    goto done;
  }
  fputs("tag,step,value\n", w.f);
  for (i = 0; i < s->ns; i++)
    for (j = 0; j < s->s[i].n; j++) {
      double v = s->s[i].pts[j].value;
      put_tag(w.f, s->s[i].tag);
      if (isnan(v)) fprintf(w.f, ",%.17g,nan\n", s->s[i].pts[j].step);
      else fprintf(w.f, ",%.17g,%.9g\n", s->s[i].pts[j].step, v);
    }
  /* Every write error is in ferror(w.f): the commit reports it. */
  if (ln_file_commit(&w, NULL)) file_fail(&w, path);
  else rc = 0;
done:
  vw_snap_free(s);
  return rc;
}
