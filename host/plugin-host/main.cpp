// homeboy-plugin-host: runs one native storage plugin in a process of its own, for homeboy
// (see host/homeboy/transport/plugin_host.hpp).

#include "homeboy/transport/plugin_host.hpp"

int main(int argc, char** argv) { return homeboy::plugin_host::run(argc, argv); }
