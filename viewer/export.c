/* export.c: save_png and save_csv. */
#include "export.h"

#include <SDL_image.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static FILE *open_out(const char *path) {
  FILE *fp = fopen(path, "wb");
  if (!fp) vw_fail("cannot write %s: %s", path, strerror(errno));
  return fp;
}

int vw_save_png(vw_board *b, const char *path, const vw_view *v) {
  vw_snap *s = vw_snap_new();
  SDL_Surface *surf = NULL;
  FILE *fp;
  int rc = -1;
  if (!s) return vw_fail("out of memory");
  if (vw_snap_sync(s, b) < 0) goto done;
  /* a clear message for an unwritable path before any drawing */
  if (!(fp = open_out(path))) goto done;
  fclose(fp);
  surf = vw_render(s, v, NULL);
  if (!surf) goto done;
  if (IMG_SavePNG(surf, path) != 0) {
    vw_fail("cannot write %s: %s", path, IMG_GetError());
    goto done;
  }
  rc = 0;
done:
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
  FILE *fp;
  size_t i, j;
  int rc = -1;
  if (!s) return vw_fail("out of memory");
  if (vw_snap_sync(s, b) < 0) goto done;
  if (!(fp = open_out(path))) goto done;
  fputs("tag,step,value\n", fp);
  for (i = 0; i < s->ns; i++)
    for (j = 0; j < s->s[i].n; j++) {
      double v = s->s[i].pts[j].value;
      put_tag(fp, s->s[i].tag);
      if (isnan(v)) fprintf(fp, ",%.17g,nan\n", s->s[i].pts[j].step);
      else fprintf(fp, ",%.17g,%.9g\n", s->s[i].pts[j].step, v);
    }
  if (ferror(fp) | fclose(fp)) vw_fail("cannot write %s: %s", path, strerror(errno));
  else rc = 0;
done:
  vw_snap_free(s);
  return rc;
}
