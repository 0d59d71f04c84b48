#pragma once
// "Did you mean": the one suggester for whatever a person types by name (a group, a
// command, an option, a module id, a project id). A candidate qualifies when
//   - it starts or ends with what was typed (3 characters or more: `sqlite` finds
//     `sqlite-storage`), or
//   - it is within a few edits of it, a swap of two neighbours counting as one: one edit
//     for words of up to 5 characters, two up to 9, three beyond (`raed` finds `read`;
//     `sho` finds neither `blog` nor `web`).
// Those starting with the word come first, then the others by distance.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace homeboy {

std::vector<std::string> suggest(std::string_view typed, const std::vector<std::string>& candidates,
                                 std::size_t limit = 3);

// "Did you mean 'a'?" / "Did you mean 'a' or 'b'?", or empty when there is nothing to suggest.
std::string did_you_mean(const std::vector<std::string>& suggestions);

}  // namespace homeboy
