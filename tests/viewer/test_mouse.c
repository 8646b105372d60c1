/* test_mouse.c: the mouse in a real window under Xvfb, driven by xdotool.
 * Hover reads every run's value at the step under the cursor (scalars) and
 * the bin's range and count (histograms); a drag zooms, the wheel zooms,
 * a double-click resets; a click on a legend entry hides its run and a
 * second click shows it again. Checked on the window's layout records and
 * on screenshots of the window (import). Without a display the test runs
 * itself again under xvfb-run; without xvfb-run or xdotool it is skipped. */
#include "board.h"
#include "draw.h"
#include "window.h"
#include "check.h"
#include "pixels.h"

#include <SDL_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static vw_window *win;
static vw_layout lay;
static char wid[32];

static int sh(const char *fmt, const char *arg, int x, int y, char *out, size_t n) {
  char cmd[512];
  FILE *p;
  size_t k = 0;
  snprintf(cmd, sizeof cmd, fmt, arg, x, y);
  p = popen(cmd, "r");
  if (!p) return -1;
  if (out) {
    k = fread(out, 1, n - 1, p);
    out[k] = 0;
  } else {
    char buf[256];
    while (fread(buf, 1, sizeof buf, p) > 0) {}
  }
  return pclose(p);
}

/* Polls the window's layout until cond holds, for at most 10 s. */
static int until(int (*cond)(void)) {
  struct timespec nap = {0, 10000000};
  int i;
  for (i = 0; i < 1000; i++) {
    vw_window_layout(win, &lay);
    if (cond()) return 1;
    nanosleep(&nap, NULL);
  }
  return 0;
}

static int scalar_panel(void) {
  int i;
  for (i = 0; i < lay.npanels; i++)
    if (lay.panel[i].kind == VW_SCALAR) return i;
  return -1;
}
static int hist_panel(void) {
  int i;
  for (i = 0; i < lay.npanels; i++)
    if (lay.panel[i].kind == VW_HISTOGRAM) return i;
  return -1;
}

static int drawn(void) { return lay.npanels == 2 && scalar_panel() >= 0; }
static int hover_scalar(void) {
  return lay.hover_panel == scalar_panel() && strstr(lay.hover, "\na ") &&
         strstr(lay.hover, "\nb ");
}
static int hover_hist(void) {
  return lay.hover_panel == hist_panel() && strstr(lay.hover, "[") && strstr(lay.hover, " of ");
}
static double span0;
static double span(void) {
  const vw_panel *p = &lay.panel[scalar_panel()];
  return p->x1 - p->x0;
}
static int zoomed(void) { return scalar_panel() >= 0 && span() < span0 * 0.6; }
static int wheeled(void) { return scalar_panel() >= 0 && span() < span0 * 0.9; }
static int reset(void) { return scalar_panel() >= 0 && span() == span0; }
static const vw_legend_item *entry_b(void) {
  int i;
  for (i = 0; i < lay.nlegend; i++)
    if (!strncmp(lay.legend[i].name, "b ", 2)) return &lay.legend[i];
  return NULL;
}
static int b_hidden(void) { return entry_b() && entry_b()->hidden; }
static int b_shown(void) { return entry_b() && !entry_b()->hidden; }

/* Polls the window's title until it is want, for at most 10 s. */
static int title_is(const char *want) {
  struct timespec nap = {0, 20000000};
  char got[256];
  int i;
  for (i = 0; i < 500; i++) {
    sh("xdotool getwindowname %s", wid, 0, 0, got, sizeof got);
    got[strcspn(got, "\n")] = 0;
    if (!strcmp(got, want)) return 1;
    nanosleep(&nap, NULL);
  }
  return 0;
}

/* A screenshot of the window; NULL when import fails. */
static SDL_Surface *shot(void) {
  char path[64];
  SDL_Surface *s, *c;
  snprintf(path, sizeof path, "/tmp/lunet-mouse-%d.png", (int)getpid());
  {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "import -window %s %s 2>/dev/null", wid, path);
    if (system(cmd) != 0) return NULL;
  }
  s = IMG_Load(path);
  if (getenv("KEEP_SHOTS")) {   /* KEEP_SHOTS=dir: keep them to look at */
    static int n;
    char keep[256];
    snprintf(keep, sizeof keep, "%s/mouse-%d.png", getenv("KEEP_SHOTS"), ++n);
    if (rename(path, keep) != 0) remove(path);
  }
  remove(path);
  if (!s) return NULL;
  c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
  SDL_FreeSurface(s);
  return c;
}

static void move(int x, int y) { sh("xdotool mousemove --window %s %d %d", wid, x, y, NULL, 0); }

int main(int argc, char **argv) {
  vw_board *b;
  vw_view v;
  float x[200];
  char dir[] = "/tmp/lunet-mouse-XXXXXX";
  int i, sp, hp;
  const char *asan = getenv("ASAN_OPTIONS");
  (void)argc;
  /* As for the window scripts under --asan (tests/run.sh): SDL's shutdown
   * unloads X11 libraries whose leftovers LeakSanitizer cannot name, so
   * leaks are checked by every other test, not this one. The last
   * detect_leaks given wins. */
  if (asan && !strstr(asan, "detect_leaks=0")) {
    char buf[1024];
    snprintf(buf, sizeof buf, "%s:detect_leaks=0", asan);
    setenv("ASAN_OPTIONS", buf, 1);
    execv("/proc/self/exe", argv);
  }
  if (!getenv("DISPLAY")) {
    if (system("command -v xvfb-run >/dev/null && command -v xdotool >/dev/null "
               "&& command -v import >/dev/null") != 0) {
      printf("SKIP: test_mouse needs xvfb-run, xdotool and import\n0 passed, 0 failed, "
             "1 skipped\n");
      return 0;
    }
    execlp("xvfb-run", "xvfb-run", "-a", "-s", "-screen 0 1024x768x24", argv[0], (char *)NULL);
    perror("xvfb-run");
    return 1;
  }
  unsetenv("SDL_VIDEODRIVER");
  /* `s` writes into the current directory: a scratch one */
  if (!mkdtemp(dir) || chdir(dir) != 0) { perror(dir); return 1; }
  b = vw_board_new(0, 0);
  for (i = 0; i <= 100; i++) {
    vw_board_scalar(b, "cost/a", i, i);
    vw_board_scalar(b, "cost/b", i, 100 - i);
  }
  for (i = 0; i < 200; i++) x[i] = (float)(i % 20);
  vw_board_histogram(b, "a/L1", 0, x, 200, VW_SAT);
  vw_view_defaults(&v);
  v.width = 800;
  v.height = 600;
  win = vw_window_open(b, &v, "lunet mouse");
  CHECK(win != NULL, "open: %s", vw_error());
  if (!win) return check_summary();
  sh("timeout 20 xdotool search --sync --name '^%s$' | head -1", "lunet mouse", 0, 0, wid,
     sizeof wid);
  wid[strcspn(wid, "\n")] = 0;
  CHECK(wid[0] != 0, "no window id");
  CHECK(until(drawn), "not drawn: %d panels", lay.npanels);
  sp = scalar_panel();
  hp = hist_panel();
  if (!wid[0] || sp < 0 || hp < 0) { vw_window_free(win); return check_summary(); }
  span0 = span();
  {   /* hover over the curves at step ~50: both runs' values */
    const SDL_Rect p = lay.panel[sp].plot;
    SDL_Surface *s;
    move(p.x + p.w / 2, p.y + p.h / 2);
    CHECK(until(hover_scalar), "hover over the curves: panel %d, '%s'", lay.hover_panel,
          lay.hover);
    CHECK(strstr(lay.hover, "a  5") && strstr(lay.hover, "b  5"), "values: '%s'", lay.hover);
    s = shot();
    CHECK(s && count_in(s, lay.hover_box, rgb(vw_run_color(0))) >= 20 &&
          count_in(s, lay.hover_box, rgb(vw_run_color(1))) >= 20,
          "the screenshot lacks the read-out's swatches");
    if (s) SDL_FreeSurface(s);
  }
  {   /* hover over the bars: the bin and its count */
    const SDL_Rect p = lay.panel[hp].plot;
    move(p.x + p.w / 4, p.y + p.h - 5);
    CHECK(until(hover_hist), "hover over the bars: '%s'", lay.hover);
  }
  {   /* drag from 20% to 50% of the plot: zoom on that range */
    const SDL_Rect p = lay.panel[sp].plot;
    int y = p.y + p.h / 2;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "xdotool mousemove --window %s %d %d mousedown 1 "
             "mousemove --window %s %d %d mousemove --window %s %d %d mouseup 1", wid,
             p.x + p.w / 5, y, wid, p.x + p.w / 3, y, wid, p.x + p.w / 2, y);
    CHECK(system(cmd) == 0, "xdotool drag");
    CHECK(until(zoomed), "drag: span %g of %g", span(), span0);
    CHECK(lay.panel[sp].x0 > 15 && lay.panel[sp].x0 < 25 && lay.panel[sp].x1 > 45 &&
          lay.panel[sp].x1 < 55, "zoomed to %g..%g", lay.panel[sp].x0, lay.panel[sp].x1);
    sh("xdotool mousemove --window %s %d %d click --repeat 2 --delay 40 1", wid,
       p.x + p.w / 2, y, NULL, 0);
    CHECK(until(reset), "double-click: span %g of %g", span(), span0);
    sh("xdotool mousemove --window %s %d %d click 4", wid, p.x + p.w / 2, y, NULL, 0);
    CHECK(until(wheeled), "wheel: span %g of %g", span(), span0);
    sh("xdotool mousemove --window %s %d %d click --repeat 2 --delay 40 1", wid,
       p.x + p.w / 2, y, NULL, 0);
    CHECK(until(reset), "double-click after the wheel: span %g of %g", span(), span0);
  }
  {   /* the legend: b hidden, then shown */
    const vw_legend_item *e = entry_b();
    SDL_Rect box;
    SDL_Surface *s;
    CHECK(e != NULL, "no legend entry for b");
    if (e) {
      box = e->box;
      sh("xdotool mousemove --window %s %d %d click 1", wid, box.x + box.w / 2,
         box.y + box.h / 2, NULL, 0);
      CHECK(until(b_hidden), "b not hidden by a click");
      move(5, 5);   /* the read-out out of the way */
      s = shot();
      CHECK(s && count_in(s, lay.panel[sp].plot, rgb(vw_run_color(1))) == 0 &&
            count_in(s, lay.panel[sp].plot, rgb(vw_run_color(0))) > 100,
            "hidden b still drawn, or a not");
      if (s) SDL_FreeSurface(s);
      sh("xdotool mousemove --window %s %d %d click 1", wid, box.x + box.w / 2,
         box.y + box.h / 2, NULL, 0);
      CHECK(until(b_shown), "b not shown again by a second click");
    }
  }
  {   /* s: a PNG of the window, said in the title and the footer, then not */
    SDL_Surface *png;
    sh("xdotool key --window %s s", wid, 0, 0, NULL, 0);
    CHECK(title_is("lunet: saved lunet-1.png"), "no 'saved' title");
    png = IMG_Load("lunet-1.png");
    CHECK(png && png->w == 800 && png->h == 600, "lunet-1.png: %s", IMG_GetError());
    if (png) SDL_FreeSurface(png);
    CHECK(title_is("lunet mouse"), "the title did not revert");
    remove("lunet-1.png");
  }
  vw_window_free(win);
  vw_board_release(b);
  if (chdir("/") == 0) rmdir(dir);
  return check_summary();
}
