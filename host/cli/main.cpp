#include "cli/app.hpp"

#include <iostream>

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return homeboy::cli::run(argc, argv, std::cout, std::cerr);
}
