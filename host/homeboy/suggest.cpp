#include "homeboy/suggest.hpp"

#include <algorithm>
#include <tuple>

namespace homeboy {

namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
// neighbouring characters each cost one.
std::size_t distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

std::size_t allowed_edits(std::size_t length) { return length <= 2 ? 0 : length <= 5 ? 1 : length <= 9 ? 2 : 3; }

}  // namespace

std::vector<std::string> suggest(std::string_view typed, const std::vector<std::string>& candidates,
                                 std::size_t limit) {
  // (rank, distance, position): 0 starts with it, 1 ends with it, 2 near it.
  std::vector<std::tuple<int, std::size_t, std::size_t>> found;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    std::string_view c = candidates[i];
    if (c == typed || c.empty()) continue;
    std::size_t d = distance(typed, c);
    if (typed.size() >= 3 && c.starts_with(typed))
      found.emplace_back(0, d, i);
    else if (typed.size() >= 3 && c.ends_with(typed))
      found.emplace_back(1, d, i);
    else if (d <= allowed_edits(typed.size()))
      found.emplace_back(2, d, i);
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (const auto& [rank, d, i] : found) {
    if (out.size() == limit) break;
    if (std::find(out.begin(), out.end(), candidates[i]) == out.end()) out.push_back(candidates[i]);
  }
  return out;
}

std::string did_you_mean(const std::vector<std::string>& suggestions) {
  if (suggestions.empty()) return {};
  std::string text = "Did you mean ";
  for (std::size_t i = 0; i < suggestions.size(); ++i) {
    if (i) text += i + 1 == suggestions.size() ? " or " : ", ";
    text += "'" + suggestions[i] + "'";
  }
  return text + "?";
}

}  // namespace homeboy
