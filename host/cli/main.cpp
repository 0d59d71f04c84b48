#include "cli/app.hpp"

#include <iostream>

// The standard streams stay in step with stdio (no sync_with_stdio(false)): unsyncing them
// allocates new buffers for eight streams on every start, and homeboy writes its output in
// large pieces anyway.
int main(int argc, char** argv) { return homeboy::cli::run(argc, argv, std::cout, std::cerr); }
