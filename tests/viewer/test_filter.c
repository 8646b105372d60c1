/* test_filter.c: the filter typed in the window. Only tags holding the
 * pattern (any case) are laid out; the notice says how many of how many
 * match, and pages and "+N" count only those; no match says so. The keys:
 * `/` starts typing (its own text is not typed), keys type instead of
 * acting, Backspace, Enter applies, Esc drops and clears, a second Esc
 * closes. */
#include "board.h"
#include "draw.h"
#include "input.h"
#include "check.h"
#include "pixels.h"
#include "render.h"

#include <stdio.h>
#include <string.h>

static vw_layout lay;

static vw_board *layers(int n) {
  vw_board *b = vw_board_new(0, 0);
  float x[8] = {-1, 0, 1, 2, 3, 4, 5, 6};
  char tag[32];
  int i;
  for (i = 1; i <= n; i++) {
    snprintf(tag, sizeof tag, "A/layer%d", i);
    vw_board_histogram(b, tag, 0, x, 8, VW_SAT);
  }
  return b;
}

static SDL_Surface *draw_with(vw_board *b, const char *filter, int w, int h, int page) {
  vw_view v;
  vw_view_defaults(&v);
  v.width = w;
  v.height = h;
  v.page = page;
  snprintf(v.filter, sizeof v.filter, "%s", filter);
  return render_board(b, &v, &lay);
}

static void test_hist(void) {
  vw_board *b = layers(100);
  SDL_Surface *s = draw_with(b, "LAYER1", 1280, 800, 0);
  int i, bad = 0;
  CHECK(s && lay.npanels == 12 && lay.tags_match == 12 && lay.tags_total == 100,
        "%d panels, %d of %d", lay.npanels, lay.tags_match, lay.tags_total);
  for (i = 0; i < lay.npanels; i++) bad += !strstr(lay.panel[i].title, "layer1");
  CHECK(!bad, "%d panels not of layer1*", bad);
  CHECK(strstr(lay.notice, "12 of 100 tags match") && !strstr(lay.notice, "+"),
        "notice '%s'", lay.notice);
  CHECK(s && count_in(s, lay.notice_box, rgb(vw_warn)) > 50, "notice not drawn");
  if (s) SDL_FreeSurface(s);
  /* pages count what matches only */
  s = draw_with(b, "layer", 640, 400, 0);
  {
    char want[48];
    snprintf(want, sizeof want, "+%d histograms", 100 - lay.hist_drawn);
    CHECK(s && lay.npages > 1 && lay.hist_tags == 100 && strstr(lay.notice, "100 of 100") &&
          strstr(lay.notice, want), "notice '%s'", lay.notice);
  }
  if (s) SDL_FreeSurface(s);
  s = draw_with(b, "layer9", 640, 400, 0);   /* 9, 90..99: "+N" counts the 11 only */
  {
    char want[48];
    snprintf(want, sizeof want, "+%d histogram", 11 - lay.hist_drawn);
    CHECK(s && lay.hist_tags == 11 && strstr(lay.notice, "11 of 100") &&
          (lay.hist_drawn == 11 ? !strstr(lay.notice, "+") : !!strstr(lay.notice, want)),
          "%d of %d drawn, notice '%s'", lay.hist_drawn, lay.hist_tags, lay.notice);
  }
  if (s) SDL_FreeSurface(s);
  /* nothing matches: said in the notice and in the middle */
  s = draw_with(b, "zzz", 640, 400, 0);
  CHECK(s && lay.npanels == 0 && strstr(lay.notice, "0 of 100"), "notice '%s'", lay.notice);
  {
    SDL_Rect mid = {100, 170, 440, 30};
    CHECK(s && count_in(s, mid, rgb(vw_background)) < 440 * 30, "no message drawn");
  }
  if (s) SDL_FreeSurface(s);
  vw_board_release(b);
}

static void test_scalars(void) {
  vw_board *b = vw_board_new(0, 0);
  SDL_Surface *s;
  vw_board_scalar(b, "cost/A", 0, 1);
  vw_board_scalar(b, "cost/B", 0, 2);
  vw_board_scalar(b, "acc/A", 0, 3);
  s = draw_with(b, "cost/b", 800, 500, 0);
  CHECK(s && lay.npanels == 1 && lay.nlegend == 1 && !strncmp(lay.legend[0].name, "B ", 2) &&
        lay.tags_match == 1 && lay.tags_total == 3, "%d panels, %d legend, %d of %d",
        lay.npanels, lay.nlegend, lay.tags_match, lay.tags_total);
  /* colours stay those of the whole board: B is the second run */
  CHECK(lay.nlegend == 1 && rgb(lay.legend[0].color) == rgb(vw_run_color(1)), "colour");
  if (s) SDL_FreeSurface(s);
  vw_board_release(b);
}

static int key(vw_view *v, vw_input *in, SDL_Keycode k) {
  SDL_Event e;
  memset(&e, 0, sizeof e);
  e.type = SDL_KEYDOWN;
  e.key.keysym.sym = k;
  return vw_input_event(v, &lay, in, &e);
}

static int text(vw_view *v, vw_input *in, const char *t) {
  SDL_Event e;
  memset(&e, 0, sizeof e);
  e.type = SDL_TEXTINPUT;
  snprintf(e.text.text, sizeof e.text.text, "%s", t);
  return vw_input_event(v, &lay, in, &e);
}

static void test_keys(void) {
  vw_board *b = layers(20);
  vw_view v;
  vw_input in;
  char help[512];
  SDL_Surface *s;
  memset(&in, 0, sizeof in);
  vw_view_defaults(&v);
  s = render_board(b, &v, &lay);
  if (s) SDL_FreeSurface(s);
  vw_key_help(&lay, help, sizeof help);
  CHECK(strstr(help, "/ filter") && !strstr(help, "Esc clear"), "help '%s'", help);
  CHECK(key(&v, &in, SDLK_SLASH) == VW_IN_REDRAW && v.typing, "/ does not start typing");
  CHECK(text(&v, &in, "/") == VW_IN_NONE && !v.typed[0], "the / was typed");
  /* keys that act otherwise type: l, o, s, q */
  CHECK(key(&v, &in, SDLK_l) == VW_IN_NONE && key(&v, &in, SDLK_s) == VW_IN_NONE &&
        key(&v, &in, SDLK_q) == VW_IN_NONE && !v.logy, "keys acted while typing");
  text(&v, &in, "l");
  text(&v, &in, "s");
  text(&v, &in, "q");
  CHECK(!strcmp(v.typed, "lsq"), "typed '%s'", v.typed);
  key(&v, &in, SDLK_BACKSPACE);
  key(&v, &in, SDLK_BACKSPACE);
  key(&v, &in, SDLK_BACKSPACE);
  text(&v, &in, "R1");
  CHECK(!strcmp(v.typed, "R1") && !v.filter[0], "typed '%s', filter '%s'", v.typed, v.filter);
  s = render_board(b, &v, &lay);
  if (s) SDL_FreeSurface(s);
  vw_key_help(&lay, help, sizeof help);
  CHECK(strstr(help, "Enter") && !strstr(help, "save"), "typing help '%s'", help);
  CHECK(key(&v, &in, SDLK_RETURN) == VW_IN_REDRAW && !v.typing && !strcmp(v.filter, "R1"),
        "Enter: filter '%s'", v.filter);
  s = render_board(b, &v, &lay);
  CHECK(s && lay.npanels == 11 && lay.tags_match == 11, "layer1, 10..19: %d", lay.npanels);
  if (s) SDL_FreeSurface(s);
  vw_key_help(&lay, help, sizeof help);
  CHECK(strstr(help, "Esc clear"), "help '%s'", help);
  CHECK(key(&v, &in, SDLK_ESCAPE) == VW_IN_REDRAW && !v.filter[0], "Esc kept '%s'", v.filter);
  CHECK(key(&v, &in, SDLK_ESCAPE) == VW_IN_CLOSE, "a second Esc does not close");
  /* Esc while typing drops the pattern and the filter */
  snprintf(v.filter, sizeof v.filter, "x");
  key(&v, &in, SDLK_SLASH);
  text(&v, &in, "abc");
  CHECK(key(&v, &in, SDLK_ESCAPE) == VW_IN_REDRAW && !v.typing && !v.filter[0], "Esc typing");
  CHECK(key(&v, &in, SDLK_s) == VW_IN_SAVE && key(&v, &in, SDLK_q) == VW_IN_CLOSE, "keys back");
  vw_board_release(b);
}

int main(void) {
  test_hist();
  test_scalars();
  test_keys();
  return check_summary();
}
