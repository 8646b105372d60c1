# lunet: `make` builds build/lunet and build/lunet.so; `make test` runs every test.
# Missing Debian packages are installed by tools/deps.sh first (see README).

PREFIX ?= /usr/local
LUA ?= lua5.4
OPT ?= -O3 -march=native
CFLAGS ?= $(OPT) -g
CFLAGS += -std=c99 -Wall -Wextra -fPIC -fno-math-errno -fno-trapping-math -fopenmp-simd -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
PKGS = openblas sdl2 SDL2_ttf SDL2_image lua5.4 readline zlib

B = build
CORE_SRC = $(wildcard core/*.c)
VIEWER_SRC = $(wildcard viewer/*.c)
EXE_SRC = bindings/main.c $(wildcard bindings/repl*.c)
BIND_SRC = $(filter-out $(EXE_SRC),$(wildcard bindings/*.c))
CORE_OBJ = $(CORE_SRC:%.c=$(B)/%.o)
VIEWER_OBJ = $(VIEWER_SRC:%.c=$(B)/%.o)
BIND_OBJ = $(BIND_SRC:%.c=$(B)/%.o)
EXE_OBJ = $(EXE_SRC:%.c=$(B)/%.o) $(B)/gen/api_doc.o
CORE_TESTS = $(patsubst tests/core/%.c,$(B)/tests/%,$(wildcard tests/core/test_*.c))
VIEWER_TESTS = $(patsubst tests/viewer/%.c,$(B)/tests/%,$(wildcard tests/viewer/test_*.c))

all: $(B)/lunet $(B)/lunet.so

# pkg-config runs once the packages are there: this file is remade first.
$(B)/config.mk: tools/deps.sh
	@mkdir -p $(B)
	@tools/deps.sh build
	@echo "PKG_CFLAGS = $$(pkg-config --cflags $(PKGS))" > $@.tmp
	@echo "PKG_LIBS = $$(pkg-config --libs $(PKGS)) -lpthread -lm" >> $@.tmp
	@mv $@.tmp $@
include $(B)/config.mk

$(B)/%.o: %.c $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

# -z nodelete: lua_close must not unmap the module while a viewer thread may
# still be finishing, and leak checkers then see its memory as its own.
$(B)/lunet.so: $(CORE_OBJ) $(VIEWER_OBJ) $(BIND_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-z,nodelete -o $@ $^ $(filter-out -llua5.4 -lreadline,$(PKG_LIBS)) $(LDFLAGS)

$(B)/lunet: $(EXE_OBJ) $(CORE_OBJ) $(VIEWER_OBJ) $(BIND_OBJ)
	$(CC) $(CFLAGS) -rdynamic -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

# help() in the REPL prints docs/api.md, compiled in (one source with the README).
$(B)/gen/api_doc.c: docs/api.md tools/embed_doc.sh
	@mkdir -p $(dir $@)
	tools/embed_doc.sh docs/api.md > $@

$(B)/gen/api_doc.o: $(B)/gen/api_doc.c
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/tests/%: tests/core/%.c $(CORE_OBJ) tests/core/check.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Icore -o $@ $< $(CORE_OBJ) $(PKG_LIBS) $(LDFLAGS)

$(B)/tests/%: tests/viewer/%.c $(CORE_OBJ) $(VIEWER_OBJ) tests/core/check.h tests/viewer/pixels.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -Icore -Iviewer -Itests/core -o $@ $< $(VIEWER_OBJ) \
	  $(CORE_OBJ) $(PKG_LIBS) $(LDFLAGS)

test: all $(CORE_TESTS) $(VIEWER_TESTS)
	@tools/deps.sh test
	@LUA=$(LUA) tests/run.sh

bench: all
	@tools/deps.sh bench
	@LUA=$(LUA) scripts/bench/run.sh

demo: all
	$(B)/lunet scripts/bn_compare.lua

# Sanitizer builds live in their own directories so they never mix with -O3 objects.
asan:
	$(MAKE) B=build-asan LDFLAGS="-fsanitize=address,undefined" \
	  OPT="-O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	  -fno-sanitize-recover=undefined" test-asan

test-asan: all $(CORE_TESTS) $(VIEWER_TESTS)
	@ASAN_OPTIONS=detect_leaks=1 B=$(B) LUA=$(LUA) tests/run.sh --asan

tsan:
	$(MAKE) B=build-tsan OPT="-O1 -fsanitize=thread" LDFLAGS="-fsanitize=thread" \
	  build-tsan/tests/test_board_threads
	build-tsan/tests/test_board_threads

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/lua/5.4
	install -m 755 $(B)/lunet $(DESTDIR)$(PREFIX)/bin/lunet
	install -m 755 $(B)/lunet.so $(DESTDIR)$(PREFIX)/lib/lua/5.4/lunet.so

clean:
	rm -rf build build-asan build-tsan out

.PHONY: all test bench demo asan test-asan tsan install clean
.SECONDARY:
