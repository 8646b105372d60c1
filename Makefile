# lunet: `make` builds build/lunet and build/lunet.so; `make test` runs every test.
# Missing Debian packages are installed by tools/deps.sh first (see README).

PREFIX ?= /usr/local
LUA ?= lua5.4
OPT ?= -O3 -march=native
CFLAGS ?= $(OPT) -g
# override: `make CFLAGS=-O0` replaces the optimisation, never what the build needs.
# -fno-trapping-math: GCC if-converts, and so vectorizes, float selects (floor,
# ceil, clamps in tanh) only when float operations may not trap; lunet never
# reads the floating-point exception flags.
override CFLAGS += -std=c99 -Wall -Wextra -fPIC -fno-math-errno -fno-trapping-math -fopenmp-simd \
  -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -MMD -MP

# The packages of each layer (docs/architecture.md): core/ is compiled with
# the include paths of its own libraries only, so a Lua or SDL header there is
# a build error; viewer/ gets SDL but not Lua; bindings/ sees everything.
CORE_PKGS = openblas zlib
VIEWER_PKGS = sdl2 SDL2_ttf SDL2_image zlib
BIND_PKGS = $(CORE_PKGS) $(VIEWER_PKGS) lua5.4
EXE_PKGS = $(BIND_PKGS) readline
# Open MPI, for lunet.dist (core/dist.c only): used when pkg-config finds it,
# unless MPI=0; without it lunet.dist is a job of one process.
MPI ?= 1

B = build
CORE_SRC = $(wildcard core/*.c)
VIEWER_SRC = $(wildcard viewer/*.c)
EXE_SRC = bindings/main.c $(wildcard bindings/repl*.c)
BIND_SRC = $(filter-out $(EXE_SRC),$(wildcard bindings/*.c))
CORE_OBJ = $(CORE_SRC:%.c=$(B)/%.o)
VIEWER_OBJ = $(VIEWER_SRC:%.c=$(B)/%.o)
BIND_OBJ = $(BIND_SRC:%.c=$(B)/%.o) $(B)/gen/api_doc.o
EXE_OBJ = $(EXE_SRC:%.c=$(B)/%.o)
CORE_TESTS = $(patsubst tests/core/%.c,$(B)/tests/%,$(wildcard tests/core/test_*.c))
VIEWER_TESTS = $(patsubst tests/viewer/%.c,$(B)/tests/%,$(wildcard tests/viewer/test_*.c))

all: $(B)/lunet $(B)/lunet.so

# Goals that need no configuration here: `make clean` never runs apt-get, and
# the install goals configure build-install through `portable`.
NOCONFIG_GOALS = clean portable install uninstall test-install
ifneq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
# pkg-config runs once the packages are there: this file is remade first,
# and again whenever a package list above changes (CONFIG_KEY records them).
CONFIG_KEY = core:$(CORE_PKGS) viewer:$(VIEWER_PKGS) bind:$(BIND_PKGS) exe:$(EXE_PKGS) mpi:$(MPI)
include $(B)/config.mk
ifneq ($(CONFIG_KEY),$(CONFIG_DONE))
$(B)/config.mk: FORCE
endif
-include $(wildcard $(B)/*/*.d $(B)/tests/*.d)
endif

$(B)/config.mk: tools/deps.sh
	@mkdir -p $(B)
	@tools/deps.sh build
	@mpi=; [ "$(MPI)" = 0 ] || ! pkg-config --exists ompi-c || mpi=ompi-c; \
	{ echo "CONFIG_DONE = $(CONFIG_KEY)"; \
	  echo "MPI_CFLAGS = $${mpi:+-DLN_HAVE_MPI $$(pkg-config --cflags ompi-c)}"; \
	  echo "MPI_LIBS = $${mpi:+$$(pkg-config --libs ompi-c) -ldl}"; \
	  echo "CORE_CFLAGS = $$(pkg-config --cflags $(CORE_PKGS))"; \
	  echo "VIEWER_CFLAGS = $$(pkg-config --cflags $(VIEWER_PKGS))"; \
	  echo "BIND_CFLAGS = $$(pkg-config --cflags $(BIND_PKGS))"; \
	  echo "EXE_CFLAGS = $$(pkg-config --cflags $(EXE_PKGS))"; \
	  echo "CORE_LIBS = $$(pkg-config --libs $(CORE_PKGS)) \$$(MPI_LIBS) -lpthread -lm"; \
	  echo "SO_LIBS = $$(pkg-config --libs $(CORE_PKGS) $(VIEWER_PKGS)) \$$(MPI_LIBS) -lpthread -lm"; \
	  echo "EXE_LIBS = $$(pkg-config --libs $(EXE_PKGS)) \$$(MPI_LIBS) -lpthread -lm"; } > $@.tmp
	@mv $@.tmp $@

# Each directory's objects see only the include paths of their layer.
$(CORE_OBJ): LAYER_CFLAGS = $(CORE_CFLAGS)
$(VIEWER_OBJ): LAYER_CFLAGS = $(VIEWER_CFLAGS)
$(BIND_OBJ): LAYER_CFLAGS = $(BIND_CFLAGS)
$(EXE_OBJ): LAYER_CFLAGS = $(EXE_CFLAGS)
# The one core file that calls MPI.
$(B)/core/dist.o: LAYER_CFLAGS = $(CORE_CFLAGS) $(MPI_CFLAGS)

# Its polynomials contract into FMAs where the target has them.
$(B)/core/vmath.o: KERNEL_CFLAGS = -ffp-contract=fast

# Header dependencies come from -MMD (the .d files included above).
$(B)/%.o: %.c $(B)/config.mk
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LAYER_CFLAGS) $(KERNEL_CFLAGS) -c $< -o $@

# -z nodelete: lua_close must not unmap the module while a viewer thread may
# still be finishing, and leak checkers then see its memory as its own.
$(B)/lunet.so: $(CORE_OBJ) $(VIEWER_OBJ) $(BIND_OBJ)
	$(CC) $(CFLAGS) -shared -Wl,-z,nodelete -o $@ $^ $(SO_LIBS) $(LDFLAGS)

$(B)/lunet: $(EXE_OBJ) $(CORE_OBJ) $(VIEWER_OBJ) $(BIND_OBJ)
	$(CC) $(CFLAGS) -rdynamic -o $@ $^ $(EXE_LIBS) $(LDFLAGS)

# lunet.help() (the REPL's help()) prints docs/api.md, compiled into the
# module (one source with the README).
$(B)/gen/api_doc.c: docs/api.md tools/embed_doc.sh
	@mkdir -p $(dir $@)
	tools/embed_doc.sh docs/api.md > $@

$(B)/gen/api_doc.o: $(B)/gen/api_doc.c
	$(CC) $(CFLAGS) -c $< -o $@

# The C tests are built as their layer is: core tests without SDL or Lua.
$(B)/tests/%: tests/core/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CORE_CFLAGS) -Icore -o $@ $< $(CORE_OBJ) $(CORE_LIBS) $(LDFLAGS)

$(B)/tests/%: tests/viewer/%.c $(CORE_OBJ) $(VIEWER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CORE_CFLAGS) $(VIEWER_CFLAGS) -Icore -Iviewer -Itests/core -o $@ $< \
	  $(VIEWER_OBJ) $(CORE_OBJ) $(SO_LIBS) $(LDFLAGS)

test: all $(CORE_TESTS) $(VIEWER_TESTS)
	@tools/deps.sh test
	@LUA=$(LUA) tests/run.sh

bench: all
	@tools/deps.sh bench
	@LUA=$(LUA) scripts/bench/run.sh

demo: all
	$(B)/lunet scripts/bn_compare.lua

# Sanitizer builds live in their own directories so they never mix with -O3 objects.
# float-cast-overflow is not part of -fsanitize=undefined in GCC: named apart.
SAN = address,undefined,float-cast-overflow
ASAN_MAKE = $(MAKE) B=build-asan LDFLAGS="-fsanitize=$(SAN)" \
  OPT="-O1 -fno-omit-frame-pointer -fsanitize=$(SAN) -fno-sanitize-recover=all"

asan:
	$(ASAN_MAKE) test-asan

test-asan: all $(CORE_TESTS) $(VIEWER_TESTS)
	@tools/deps.sh test
	@ASAN_OPTIONS=detect_leaks=1 B=$(B) LUA=$(LUA) tests/run.sh --asan

# make fuzz SEEDS="1-100" CALLS=10000: the API fuzzer (tests/fuzz/) under the
# ASan+UBSan build, every seed of the list or range, CALLS calls each.
SEEDS ?= 1-20
CALLS ?= 5000
fuzz:
	$(ASAN_MAKE) build-asan/lunet
	B=build-asan tests/fuzz/fuzz.bash $(SEEDS) $(CALLS)

tsan:
	$(MAKE) B=build-tsan OPT="-O1 -fsanitize=thread" LDFLAGS="-fsanitize=thread" \
	  build-tsan/tests/test_board_threads
	build-tsan/tests/test_board_threads

# Installing. `make` builds for this machine (-march=native); what is
# installed is built apart, in build-install, for any x86-64 (OpenBLAS picks
# its kernels at run time). `make install OPT="-O3 -march=native"` trades
# that for speed on this machine's CPU only. luarocks (lunet-*.rockspec) and
# debian/rules use these targets, with their own directories.
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib/lua/5.4
DOCDIR ?= $(PREFIX)/share/doc/lunet
DATADIR ?= $(PREFIX)/share/lunet
# -Wno-psabi: the 8-float vectors of core/v8.h (convolutions, BatchNorm) are
# passed and returned by static functions only, never across a library's ABI, so
# GCC's note that their ABI differs without AVX does not apply.
PORTABLE_OPT = -O3 -mtune=generic -Wno-psabi
INSTALL_OPT = $(if $(filter command line,$(origin OPT)),$(OPT),$(PORTABLE_OPT))
IB = build-install
SCRIPTS = $(wildcard scripts/*.lua) $(wildcard scripts/lib/*.lua)

portable:
	$(MAKE) B=$(IB) OPT="$(INSTALL_OPT)" all

install: portable
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(DOCDIR) \
	  $(DESTDIR)$(DATADIR)/scripts/lib
	install -m 755 $(IB)/lunet $(DESTDIR)$(BINDIR)/lunet
	install -m 644 $(IB)/lunet.so $(DESTDIR)$(LIBDIR)/lunet.so
	install -m 644 docs/api.md README.md $(DESTDIR)$(DOCDIR)
	for f in $(SCRIPTS); do install -m 644 $$f $(DESTDIR)$(DATADIR)/$$f || exit 1; done

# make install/uninstall, luarocks make/remove and the Debian package, each
# in a scratch tree (tests/install/install.sh; the package needs root).
test-install:
	@tools/deps.sh install
	@tests/install/install.sh

# Removes exactly what install wrote, and lunet's own directories.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/lunet $(DESTDIR)$(LIBDIR)/lunet.so \
	  $(DESTDIR)$(DOCDIR)/api.md $(DESTDIR)$(DOCDIR)/README.md \
	  $(addprefix $(DESTDIR)$(DATADIR)/,$(SCRIPTS))
	-rmdir $(DESTDIR)$(DATADIR)/scripts/lib $(DESTDIR)$(DATADIR)/scripts \
	  $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)

clean:
	rm -rf build build-asan build-tsan build-install out

FORCE:
.PHONY: all test bench demo asan test-asan fuzz tsan portable install uninstall test-install clean FORCE
.SECONDARY:
