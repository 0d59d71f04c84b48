// Replays a fuzz target's inputs without libFuzzer: each argument is a file or a folder of
// files (walked recursively, in name order); a missing folder is reported and skipped, so a
// target with no regressions yet needs no placeholder. Any broken invariant aborts.

#include "fuzz_support.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path root(argv[i]);
    std::vector<fs::path> inputs;
    if (fs::is_directory(root)) {
      for (const auto& entry : fs::recursive_directory_iterator(root))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
      std::sort(inputs.begin(), inputs.end());
    } else if (fs::is_regular_file(root)) {
      inputs.push_back(root);
    } else {
      std::cout << root.string() << ": absent, nothing to replay\n";
      continue;
    }
    for (const auto& input : inputs) {
      std::ifstream in(input, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        std::cerr << input.string() << ": cannot be read\n";
        return 1;
      }
      // Named before it runs: when an input aborts, the log says which one.
      std::cout << "replay " << input.string() << '\n' << std::flush;
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++replayed;
    }
    std::cout << root.string() << ": " << inputs.size() << " inputs\n";
  }
  std::cout << replayed << " inputs replayed, every invariant held\n";
  return replayed ? 0 : 1;
}
