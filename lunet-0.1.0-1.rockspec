-- luarocks make (in a clone) builds lunet and installs the module `lunet`
-- and the `lunet` executable into luarocks' tree; luarocks remove lunet
-- removes them. The build is the Makefile's portable one (any x86-64);
-- its Debian packages are installed by tools/deps.sh when run as root.
rockspec_format = "3.0"
package = "lunet"
version = "0.1.0-1"
source = {
  -- Built from the clone it sits in (luarocks make); no archive is fetched.
  url = "git+file://.",
}
description = {
  summary = "A Lua-scriptable neural-network training toolkit in C with a live viewer",
  detailed = [[
    Tensors, layers (Linear, Conv2d, BatchNorm, LayerNorm, ...), losses,
    optimizers and schedules in a C core, driven from Lua 5.4, with an SDL2
    viewer of per-layer histograms and cost curves.
  ]],
}
dependencies = { "lua >= 5.4, < 5.5" }
build = {
  type = "make",
  build_target = "portable",
  build_variables = { OPT = "-O3 -mtune=generic" },
  install_target = "install",
  install_variables = {
    OPT = "-O3 -mtune=generic",
    BINDIR = "$(BINDIR)", LIBDIR = "$(LIBDIR)",
    DOCDIR = "$(PREFIX)/doc", DATADIR = "$(PREFIX)/share",
  },
}
