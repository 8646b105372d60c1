/* export.c: save_png, save_csv (scalars, or histogram summaries) and
 * save_json.
 *
 * Both write through core/file.h ("../core/file.h", the writer lunet.save
 * uses): a fresh, uniquely named temporary file beside the target, created
 * exclusively and never through a symlink, flushed, synced and checked, then
 * renamed over the target. So a full disk, a failed encoder or a kill never
 * leaves an empty or truncated file where an earlier one was, and two
 * writers of one path each leave a whole file. */
#include "export.h"
#include "hist.h"

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

/* A board's snapshot written to path by fn, through an ln_file. */
static int save_with(vw_board *b, const char *path, void (*fn)(FILE *, const vw_snap *)) {
  vw_snap *s = vw_snap_new();
  ln_file w;
  int rc = -1;
  if (!s) return vw_fail("out of memory");
  if (vw_snap_sync(s, b) < 0) goto done;
  if (ln_file_open(&w, NULL, path)) {
    file_fail(&w, path);
    goto done;
  }
  fn(w.f, s);
  /* Every write error is in ferror(w.f): the commit reports it. */
  if (ln_file_commit(&w, NULL)) file_fail(&w, path);
  else rc = 0;
done:
  vw_snap_free(s);
  return rc;
}

static void scalars_csv(FILE *fp, const vw_snap *s) {
  size_t i, j;
  fputs("tag,step,value\n", fp);
  for (i = 0; i < s->ns; i++)
    for (j = 0; j < s->s[i].n; j++) {
      double v = s->s[i].pts[j].value;
      put_tag(fp, s->s[i].tag);
      if (isnan(v)) fprintf(fp, ",%.17g,nan\n", s->s[i].pts[j].step);
      else fprintf(fp, ",%.17g,%.9g\n", s->s[i].pts[j].step, v);
    }
}

int vw_save_csv(vw_board *b, const char *path) { return save_with(b, path, scalars_csv); }

/* The statistics of one snapshot, as both exports give them. */
typedef struct summary {
  int finite;             /* has finite values: the rest is set */
  uint64_t nfinite;
  double mean, std, q[VW_NQUANT];
} summary;

static void summarize(const vw_hist *h, summary *m) {
  m->nfinite = h->n - h->nan - h->pinf - h->ninf;
  m->finite = vw_hist_moments(h, &m->mean, &m->std) &&
              vw_hist_quantiles(h, vw_quant, VW_NQUANT, m->q);
}

static const char *const quant_names[VW_NQUANT] = {
  "0", "6.68", "15.87", "30.85", "50", "69.15", "84.13", "93.32", "100"
};

static void hists_csv(FILE *fp, const vw_snap *s) {
  size_t i, j;
  int k;
  fputs("tag,step,wall,count,finite,mean,std,min,max,zeros,nan,pinf,ninf,saturated,saturation",
        fp);
  for (k = 0; k < VW_NQUANT; k++) fprintf(fp, ",p%s", quant_names[k]);
  fputc('\n', fp);
  for (i = 0; i < s->nh; i++)
    for (j = 0; j < s->h[i].n; j++) {
      const vw_hist *h = &s->h[i].h[j];
      summary m;
      summarize(h, &m);
      put_tag(fp, s->h[i].tag);
      fprintf(fp, ",%.17g,%.17g,%llu,%llu", h->step, h->wall, (unsigned long long)h->n,
              (unsigned long long)m.nfinite);
      if (m.finite) fprintf(fp, ",%.9g,%.9g,%.9g,%.9g", m.mean, m.std, m.q[0], m.q[8]);
      else fputs(",,,,", fp);
      fprintf(fp, ",%llu,%llu,%llu,%llu,%llu,%.9g", (unsigned long long)h->zeros,
              (unsigned long long)h->nan, (unsigned long long)h->pinf,
              (unsigned long long)h->ninf, (unsigned long long)h->sat, h->sat_at);
      for (k = 0; k < VW_NQUANT; k++)
        if (m.finite) fprintf(fp, ",%.9g", m.q[k]);
        else fputc(',', fp);
      fputc('\n', fp);
    }
}

int vw_save_hist_csv(vw_board *b, const char *path) { return save_with(b, path, hists_csv); }

/* ---- JSON ---- */

/* A JSON string: quotes, backslashes and control bytes escaped; other
 * bytes (UTF-8) as they are. NULL is null. */
static void json_str(FILE *fp, const char *s) {
  if (!s) { fputs("null", fp); return; }
  fputc('"', fp);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(fp, "\\%c", c);
    else if (c < 0x20) fprintf(fp, "\\u%04x", c);
    else fputc(c, fp);
  }
  fputc('"', fp);
}

/* A number, or null for NaN and infinities (JSON has none). */
static void json_num(FILE *fp, double v, int digits) {
  if (isfinite(v)) fprintf(fp, "%.*g", digits, v);
  else fputs("null", fp);
}

static void json_snapshot(FILE *fp, const vw_hist *h) {
  summary m;
  int k;
  summarize(h, &m);
  fputs("{\"step\": ", fp);
  json_num(fp, h->step, 17);
  fputs(", \"wall\": ", fp);
  json_num(fp, h->wall, 17);
  fprintf(fp, ", \"count\": %llu, \"finite\": %llu", (unsigned long long)h->n,
          (unsigned long long)m.nfinite);
  if (m.finite) {
    fprintf(fp, ", \"mean\": %.9g, \"std\": %.9g, \"min\": %.9g, \"max\": %.9g", m.mean,
            m.std, m.q[0], m.q[8]);
  } else {
    fputs(", \"mean\": null, \"std\": null, \"min\": null, \"max\": null", fp);
  }
  fprintf(fp, ", \"zeros\": %llu, \"nan\": %llu, \"pinf\": %llu, \"ninf\": %llu, "
          "\"saturated\": %llu, \"saturation\": %.9g, \"percentiles\": ",
          (unsigned long long)h->zeros, (unsigned long long)h->nan,
          (unsigned long long)h->pinf, (unsigned long long)h->ninf,
          (unsigned long long)h->sat, h->sat_at);
  if (!m.finite) { fputs("null}", fp); return; }
  fputc('{', fp);
  for (k = 0; k < VW_NQUANT; k++) fprintf(fp, "%s\"%s\": %.9g", k ? ", " : "", quant_names[k],
                                          m.q[k]);
  fputs("}}", fp);
}

static void board_json(FILE *fp, const vw_snap *s) {
  size_t i, j;
  fputs("{\"format\": \"lunet.board\", \"version\": 1,\n\"scalars\": [", fp);
  for (i = 0; i < s->ns; i++) {
    const vw_sseries *r = &s->s[i];
    fputs(i ? ",\n {\"tag\": " : "\n {\"tag\": ", fp);
    json_str(fp, r->tag);
    fputs(", \"group\": ", fp);
    json_str(fp, r->group);
    fputs(", \"run\": ", fp);
    json_str(fp, r->run);
    fputs(", \"points\": [", fp);
    for (j = 0; j < r->n; j++) {
      fputs(j ? ", [" : "[", fp);
      json_num(fp, r->pts[j].step, 17);
      fputs(", ", fp);
      json_num(fp, r->pts[j].value, 9);
      fputs(", ", fp);
      json_num(fp, r->pts[j].wall, 17);
      fputc(']', fp);
    }
    fputs("]}", fp);
  }
  fputs("],\n\"histograms\": [", fp);
  for (i = 0; i < s->nh; i++) {
    const vw_shist *t = &s->h[i];
    fputs(i ? ",\n {\"tag\": " : "\n {\"tag\": ", fp);
    json_str(fp, t->tag);
    fputs(", \"run\": ", fp);
    json_str(fp, t->run);
    fputs(", \"layer\": ", fp);
    json_str(fp, t->layer);
    fputs(", \"snapshots\": [", fp);
    for (j = 0; j < t->n; j++) {
      fputs(j ? ",\n  " : "\n  ", fp);
      json_snapshot(fp, &t->h[j]);
    }
    fputs("]}", fp);
  }
  fputs("],\n\"axes\": [", fp);
  for (i = 0; i < s->nax; i++) {
    fputs(i ? ", {\"group\": " : "{\"group\": ", fp);
    json_str(fp, s->ax[i].group);
    fputs(", \"xlabel\": ", fp);
    json_str(fp, s->ax[i].x);
    fputs(", \"ylabel\": ", fp);
    json_str(fp, s->ax[i].y);
    fputc('}', fp);
  }
  fputs("]}\n", fp);
}

int vw_save_json(vw_board *b, const char *path) { return save_with(b, path, board_json); }
